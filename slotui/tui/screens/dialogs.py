"""Typed dialogs: each is a ``ModalScreen[T]`` dismissed with its answer.

``ConfirmDialog`` answers ``bool``; ``SnoozeDialog`` answers a
:class:`SnoozeRequest` (duration + comment) or ``None`` when cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from slotui.clock import LATEST, TIME_RANGE
from slotui.config.durations import parse_duration
from slotui.formatting import format_duration


class ConfirmDialog(ModalScreen[bool]):
    """Yes / no. ``y`` or Enter on "Yes" answers True; ``n`` or Escape answers False."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n,escape", "answer(False)", "No", id="dialog.no"),
    ]

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "No", detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.yes_label = yes
        self.no_label = no

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.question, id="question", markup=False)
            if self.detail:
                yield Static(self.detail, id="detail", classes="dialog-detail", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes_label, variant="warning", id="yes")
                yield Button(self.no_label, variant="primary", id="no")

    def on_mount(self) -> None:
        # A fast "n" can dismiss the dialog before it mounts: then there is nothing to focus.
        for button in self.query("#no"):
            button.focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


@dataclass(frozen=True)
class SnoozeRequest:
    """``duration`` seconds from now, or None for a mute (until lifted)."""

    duration: float | None
    comment: str


PRESETS = (("15m", 900.0), ("1h", 3600.0), ("4h", 14400.0), ("1d", 86400.0))


class SnoozeDialog(ModalScreen[SnoozeRequest | None]):
    """Pick a duration (15m / 1h / 4h / 1d or a custom one) and a comment.

    Keys ``1``-``4`` pick a preset while the comment box is not focused; Enter
    in either box submits; Escape cancels. Submitting an invalid custom
    duration shows the error and keeps the dialog open.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("1", "preset(0)", "15m", show=False),
        Binding("2", "preset(1)", "1h", show=False),
        Binding("3", "preset(2)", "4h", show=False),
        Binding("4", "preset(3)", "1d", show=False),
    ]

    def __init__(self, title: str, *, duration: float | None = 3600.0, comment: str = "",
                 allow_mute: bool = False, submit_label: str = "Snooze", now: float | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.initial_duration = duration
        self.initial_comment = comment
        self.allow_mute = allow_mute
        self.submit_label = submit_label
        self.selected: float | None = duration
        #: False once a custom duration was typed: clearing it leaves no duration chosen (none shown)
        self.chosen = True
        #: when the dialog opened: a duration ending after the latest time slotui stores is refused here
        self.now = now

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.title_text, id="title", markup=False)
            with Grid(id="presets"):
                for label, seconds in PRESETS:
                    yield Button(label, id=f"preset-{label}", classes="preset")
                if self.allow_mute:
                    yield Button("until lifted", id="preset-mute", classes="preset")
            custom = "" if self.initial_duration is None or self.initial_duration in dict(PRESETS).values() \
                else format_duration(self.initial_duration)
            yield Input(value=custom, placeholder="custom: 30m, 2h, 3d…", id="custom")
            yield Input(value=self.initial_comment, placeholder="comment (why?)", id="comment")
            yield Static("", id="error", classes="dialog-error", markup=False)  # quotes the input
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.submit_label, variant="primary", id="submit")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        if not self.query("#comment"):  # dismissed (Escape) before it finished mounting
            return
        self._highlight()
        self.query_one("#comment", Input).focus()

    def _highlight(self) -> None:
        if not self.query(".preset"):
            return
        for label, seconds in PRESETS:
            self.query_one(f"#preset-{label}", Button).set_class(self.selected == seconds, "-selected")
        if self.allow_mute:
            self.query_one("#preset-mute", Button).set_class(self.selected is None, "-selected")

    def action_preset(self, index: int) -> None:
        self.selected = PRESETS[index][1]
        self.chosen = True
        self.query_one("#custom", Input).value = ""
        self._highlight()

    @on(Button.Pressed, ".preset")
    def _preset(self, event: Button.Pressed) -> None:
        key = (event.button.id or "").removeprefix("preset-")
        self.selected = None if key == "mute" else dict(PRESETS)[key]
        self.chosen = True
        self.query_one("#custom", Input).value = ""
        self._highlight()
        event.stop()

    @on(Input.Changed, "#custom")
    def _custom_changed(self, event: Input.Changed) -> None:
        if event.value.strip():
            # the typed duration replaces the preset: cleared again, nothing is chosen (Enter
            # submitted the 1h no button showed any more)
            self.chosen = False
            for button in self.query(".preset"):
                button.remove_class("-selected")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted)
    def submit(self) -> None:
        custom = self.query_one("#custom", Input).value.strip()
        duration = self.selected
        if custom:
            try:
                duration = float(parse_duration(custom))  # type: ignore[arg-type]
            except ValueError as exc:
                self.query_one("#error", Static).update(str(exc))
                return
            if duration < 1:
                # under a second it has ended by the time it is stored ("would end in the past")
                self.query_one("#error", Static).update("the duration must be at least 1s")
                return
            if self.now is not None and self.now + duration > LATEST:
                # kept open with the comment typed, instead of closing into a failed-action toast
                self.query_one("#error", Static).update(
                    f"too long: a silence must end {TIME_RANGE}; for no end, mute it (m)")
                return
        elif not self.chosen or (duration is None and not self.allow_mute):
            self.query_one("#error", Static).update("pick a duration: a preset or a custom one")
            return
        self.dismiss(SnoozeRequest(duration, self.query_one("#comment", Input).value.strip()))
