"""A TUI crash prints no secret: no frame's local variables, the error's URLs masked.

Textual's own crash report (App._fatal_error) renders every frame's locals: whatever secret a frame
held (a webhook URL, a header dict with a token) was printed to the terminal on exit.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from tui_fakes import NOW  # noqa: F401  (the fakes' module, as conftest imports it)

WEBHOOK = "https://hooks.slack.com/services/T0/B0/CrAsHhOoK9911"
TOKEN = "CrAsHtOkEn7733aa"


def _crash() -> None:
    webhook = WEBHOOK  # noqa: F841 - a local a crash report must not show
    headers = {"Authorization": f"Bearer {TOKEN}"}  # noqa: F841
    raise RuntimeError(f"delivery blew up on http://127.0.0.1:9/hook?token={TOKEN}")


async def test_a_crash_report_shows_the_error_but_no_locals_and_no_secret(build) -> None:
    app = build()
    shown: list[object] = []
    fatal = app._fatal_error

    def keep() -> None:  # what the app will print on exit, before it is printed and cleared
        fatal()
        shown.extend(app._exit_renderables)

    app._fatal_error = keep  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):  # Pilot re-raises the crash when the test app exits
        async with app.run_test(size=(120, 40)) as pilot:
            app.call_later(_crash)
            await pilot.pause()
    assert isinstance(app._exception, RuntimeError)  # the app did crash on it
    console = Console(width=120, file=io.StringIO(), record=True)
    assert shown
    for renderable in shown:
        console.print(renderable)
    report = console.export_text()
    assert "RuntimeError" in report and "delivery blew up" in report and "_crash" in report
    assert "token=****" in report
    assert TOKEN not in report and "CrAsHhOoK" not in report


async def test_errors_shown_in_toasts_and_the_header_mask_secrets(build) -> None:
    from test_app import settle
    from tui_fakes import FakeEngine

    engine = FakeEngine()
    app = build(engine)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(app, pilot)

        def fail(_engine: object) -> None:
            raise RuntimeError(f"fetch failed on http://127.0.0.1:9/q?api_key={TOKEN}")

        engine.on_tick = fail
        await pilot.press("r")  # a refresh that fails: a toast and the header say so
        await settle(app, pilot)

        async def action(_b: object) -> None:
            raise RuntimeError(f"delivery blew up on http://127.0.0.1:9/hook?token={TOKEN}")

        app._run(app.thread.call(action), "test alert accuracy")  # an action that fails
        for _ in range(200):  # until the failure is reported (settle would re-raise the worker's error)
            await pilot.pause()
            toasts = " ".join(str(t.render()) for t in app.screen.query("Toast"))
            if "test alert accuracy failed" in toasts:
                break
        header = str(app.screen.query_one("#summary").render())
        assert "refresh failed: RuntimeError: fetch failed on http://127.0.0.1:9/q?api_key=****" in toasts
        assert "test alert accuracy failed: RuntimeError: delivery blew up on http://127.0.0.1:9/hook?token=****" \
            in toasts
        assert "refresh failed: RuntimeError: fetch failed on http://127.0" in header  # cut to the width
        assert app.refresh_error == "RuntimeError: fetch failed on http://127.0.0.1:9/q?api_key=****"
        assert TOKEN not in toasts and TOKEN not in header
