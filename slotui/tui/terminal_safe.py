"""The last guard between the screen and the terminal: no control or bidi character gets out.

Textual writes a segment's text to the terminal as it is. A label value, a receiver's
error or a theme's glyph holding ESC would act on the reader's terminal (``ESC]2;``
retitles the window, ``ESC]52;`` writes the clipboard, ``ESC[2J`` wipes the screen);
bidi overrides make a name read differently from what it is. Text from data is
escaped where it enters (:func:`slotui.config.text.printable`); this filter, applied
to every line the app draws, drops whatever got through. The dropped characters all
measure zero cells, so columns stay aligned.
"""

from __future__ import annotations

import re

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from slotui.config.text import BIDI

#: C0 and C1 controls (ESC, BEL, CR, TAB, 8-bit CSI ...), DEL, bidi formatting, line/paragraph separators
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029" + "".join(sorted(BIDI)) + "]")


class TerminalSafeFilter(LineFilter):
    """Removes control and bidi characters from the text of every segment drawn."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        search = UNSAFE.search
        if not any(search(s.text) for s in segments if s.control is None):
            return segments
        return [
            Segment(UNSAFE.sub("", s.text), s.style, s.control) if s.control is None else s
            for s in segments
        ]
