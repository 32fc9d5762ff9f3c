"""``?``: every key (as currently bound, keymap applied), the icons and where settings live."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from slotui.core.types import Status
from slotui.tui.cells import STATUS_LABEL
from slotui.tui.themes import IconSet


def help_renderable(bindings: list[tuple[str, str, str]], icons: IconSet, settings_path: str,
                    *, narrow: bool = False) -> Table:
    """Keys beside icons, or (``narrow``) the icons under the keys."""
    outer = Table.grid(padding=(0, 3))
    if narrow:
        outer.add_column()
    else:
        outer.add_column(width=50)
        outer.add_column()
    keys = Table(box=None, title="Keys", title_justify="left", show_header=True, header_style="bold", padding=(0, 1))
    # on a narrow screen the binding id gives way first, then the description: a key is never cut
    # to "…" (esc, enter, ctrl+p were at 40 columns)
    widest_key = max((Text(key).cell_len for key, _d, _b in bindings), default=3)
    keys.add_column("key", no_wrap=True, min_width=widest_key)
    keys.add_column("does", no_wrap=True, min_width=min(12, max((len(d) for _k, d, _b in bindings), default=4)))
    keys.add_column("binding id", style="dim", no_wrap=True, ratio=1)
    for key, description, binding_id in bindings:
        keys.add_row(Text(key, style="bold"), Text(description), Text(binding_id))
    legend = Table(box=None, title="Icons", title_justify="left", show_header=False, padding=(0, 1))
    legend.add_column(no_wrap=True)
    legend.add_column()
    for status in Status:
        legend.add_row(Text(icons.status[status.value]), STATUS_LABEL[status])  # glyphs from a theme file
    legend.add_row(Text(icons.muted), "muted (silenced until lifted)")
    legend.add_row(Text(icons.snoozed), "snoozed (silenced until a time)")
    legend.add_row(Text(icons.acked), "acknowledged")
    legend.add_row("", "")
    legend.add_row("Budget", "bar capped at 0; the % is the true figure")
    legend.add_row("Burn", "fastest long-window burn rate")
    legend.add_row("", "")
    legend.add_row("keymap", Text(f"{settings_path}\n(keymap: binding id -> key)", style="dim"))
    if narrow:
        outer.add_row(keys)
        outer.add_row(legend)
    else:
        outer.add_row(keys, legend)
    return outer


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", id="help.close")]

    def __init__(self, bindings: list[tuple[str, str, str]], icons: IconSet, settings_path: str) -> None:
        super().__init__()
        self._args = (bindings, icons, settings_path)

    @property
    def _renderable(self) -> Table:
        return help_renderable(*self._args, narrow=self.app.size.width < 104)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help", classes="dialog"):
            yield Static(self._renderable)

    def on_resize(self) -> None:
        # keys beside icons, or under them, by the width now (not the width when it opened)
        for static in self.query(Static):
            static.update(self._renderable)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
