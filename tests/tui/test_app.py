"""Pilot tests of the live table: every key, dialog and screen, asserting on state and on the screen text."""

from __future__ import annotations

import json

import pytest
from conftest import SIZE, make_alerting, screen_text
from tui_fakes import NOW, FakeEngine, demo_specs, spec

from slotui.core.types import Status
from slotui.tui.screens.detail import DetailScreen
from slotui.tui.screens.dialogs import ConfirmDialog, SnoozeDialog
from slotui.tui.screens.silences import SilencesScreen
from slotui.tui.widgets.slo_table import SLOTable

pytestmark = pytest.mark.tui


async def settle(app, pilot) -> None:
    """Wait until every worker finished and the screen processed the results."""
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def table(app) -> SLOTable:
    return app.screen_stack[0].query_one(SLOTable) if not isinstance(app.screen, SLOTable) else app.screen


async def goto(pilot, app, name: str) -> None:
    t = table(app)
    t.move_cursor(row=t.get_row_index(name))
    await pilot.pause()
    assert t.cursor_key == name


async def test_table_sorted_worst_first_with_header(build):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        t = table(app)
        assert t.order == ["helpfulness", "response_time_p95_ms", "availability", "accuracy", "cost_per_query"]
        text = screen_text(app)
        assert "3/5 SLOs meeting target (60%)" in text
        assert "period 7d" in text
        assert "refreshed 20:26:40Z (0s ago)" in text
        assert "0 firing" in text and "0 silenced" in text
        # the true (negative) budget figure is printed while the bar is capped
        assert "-35.0%" in text
        assert "3,400 ms" in text and "≤ 2,000 ms" in text
        assert "20.0x 1h" in text
        lines = [ln for ln in text.splitlines() if "helpfulness" in ln]
        assert lines and "CRITICAL" in lines[0]


async def test_refresh_diffs_cells_instead_of_rebuilding(build, clock):
    engine = FakeEngine()
    app = build(engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        t = table(app)
        await goto(pilot, app, "availability")
        row_keys_before = {row.key for row in t.ordered_rows}
        # only one SLO changes: everything else must be left alone
        engine.statuses["accuracy"] = (Status.OK, 0.95, 0.8, 0.4)
        engine.ticks -= 1  # same history phase as before for the others
        await pilot.press("r")
        await settle(app, pilot)
        assert {row.key for row in t.ordered_rows} == row_keys_before
        assert t.cursor_key == "availability"
        assert 0 < t.last_updates <= 2 * 8  # a handful of cells, not 5 rows x 8 columns
        assert "0.95 score" in screen_text(app)


async def test_sort_cycles_and_keeps_cursor(build):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await goto(pilot, app, "accuracy")
        index_before = table(app).cursor_row
        await pilot.press("s")  # budget: least remaining first
        assert app.sort_key == "budget"
        t = table(app)
        assert t.order[0] == "helpfulness" and t.order[-1] == "cost_per_query"
        assert t.cursor_key == "accuracy"
        await pilot.press("s")  # burn
        assert app.sort_key == "burn"
        assert t.order[0] == "helpfulness"
        await pilot.press("s")  # name
        assert t.order == sorted(t.order)
        assert t.cursor_key == "accuracy" and t.cursor_row != index_before
        assert "sort: name" in screen_text(app)
        await pilot.press("s")
        assert app.sort_key == "status"


async def test_filter_by_name_and_label(build):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        await pilot.press(*"resp")
        t = table(app)
        assert t.order == ["response_time_p95_ms"]
        assert "filter: resp (1 shown)" in screen_text(app)
        await pilot.press("enter")
        assert t.has_focus
        await pilot.press("escape")
        assert len(t.order) == 5
        await pilot.press("slash")
        await pilot.press(*"team=platform")
        assert set(t.order) == {"response_time_p95_ms", "availability"}
        await pilot.press("ctrl+a", "ctrl+k")
        await pilot.press(*"nothing-like-this")
        assert t.order == []
        assert "No SLO matches the filter" in screen_text(app)
        await pilot.press("escape")
        assert len(t.order) == 5


async def test_detail_view(build):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await goto(pilot, app, "helpfulness")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.slo == "helpfulness"
        text = screen_text(app)
        assert "CRITICAL" in text and "helpfulness" in text
        assert "target ≥ 0.85" in text and "warning 0.8" in text and "critical 0.7" in text
        assert "SLI over the period (48 slices" in text
        assert "target" in text and "critical" in text  # chart lines labelled
        assert "Burn rate per tier" in text and "burning" in text and "14.4x" in text
        assert "-35.0% remaining" in text
        assert "runbook https://runbooks.example/helpfulness" in text
        assert "mean(evaluations.helpfulness)" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)


async def test_mute_and_unmute_go_through_the_store(build, store):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await goto(pilot, app, "availability")
        await pilot.press("m")
        await settle(app, pilot)
        silences = store.list_silences(NOW)
        assert len(silences) == 1
        s = silences[0]
        assert [str(m) for m in s.matchers] == ["slo=availability"]
        assert s.ends_at is None and s.created_by == "tester"
        line = next(ln for ln in screen_text(app).splitlines() if "availability" in ln)
        assert "AT RISK M" in line
        assert "1 silenced" in screen_text(app)
        await pilot.press("m")
        await settle(app, pilot)
        assert store.list_silences(NOW + 1) == []
        line = next(ln for ln in screen_text(app).splitlines() if "availability" in ln)
        assert "AT RISK M" not in line


async def test_snooze_dialog_presets_custom_and_cancel(build, store, clock):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await goto(pilot, app, "helpfulness")
        await pilot.press("z")
        await pilot.pause()
        assert isinstance(app.screen, SnoozeDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SnoozeDialog)
        assert store.list_silences(NOW) == []

        await pilot.press("z")
        await pilot.pause()
        await pilot.click("#preset-4h")
        await pilot.click("#comment")
        await pilot.press(*"deploy rollback")
        await pilot.press("enter")
        await settle(app, pilot)
        [s] = store.list_silences(NOW)
        assert s.ends_at == NOW + 4 * 3600 and s.comment == "deploy rollback"
        line = next(ln for ln in screen_text(app).splitlines() if "helpfulness" in ln)
        assert "CRITICAL Z" in line

        await goto(pilot, app, "accuracy")
        await pilot.press("z")
        await pilot.pause()
        await pilot.click("#custom")
        await pilot.press(*"forever-ish")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SnoozeDialog)  # stays open with the error
        assert "expected a duration" in screen_text(app)
        await pilot.press("ctrl+a", "ctrl+k", *"90m", "enter")
        await settle(app, pilot)
        ends = sorted(s.ends_at for s in store.list_silences(NOW))
        assert ends == [NOW + 90 * 60, NOW + 4 * 3600]


async def test_snooze_past_year_9999_is_refused_not_a_crash(build, store, clock):
    """A custom snooze of 99999999999d would end in the year 273 million: no datetime can show it and
    no state file row may hold it. The dialog refuses it and stays open; the app keeps running; nothing is stored."""
    app = build()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await goto(pilot, app, "helpfulness")
        await pilot.press("z")
        await pilot.pause()
        await pilot.click("#custom")
        await pilot.press(*"99999999999d", "enter")
        await settle(app, pilot)
        assert store.list_silences(NOW) == []
        assert isinstance(app.screen, SnoozeDialog)
        assert "9999-12-31T23:59:59Z" in str(app.screen.query_one("#error").render())
        assert "helpfulness" in screen_text(app)  # the table is still there


async def test_fire_test_alert_to_file_channel_and_alert_log(build, store, tmp_path):
    log = tmp_path / "alerts.jsonl"
    alerting = make_alerting(store, demo_specs(), tmp_path, {"local-file": {"type": "file", "path": str(log)}})
    app = build(FakeEngine(alerting=alerting))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await goto(pilot, app, "accuracy")
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")  # cancelled: nothing sent
        await settle(app, pilot)
        assert not log.exists() or "accuracy" not in log.read_text()
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        lines = [json.loads(x) for x in log.read_text().splitlines()]
        tests = [x for x in lines if x["kind"] == "test"]
        assert len(tests) == 1 and tests[0]["alerts"][0]["slo"] == "accuracy"
        assert tests[0]["alerts"][0]["annotations"]["summary"].startswith("[TEST]")
        assert any("test alert delivered: local-file: delivered" in n.message for n in app._notifications)
        await pilot.press("l")
        await settle(app, pilot)
        text = screen_text(app)
        assert "Alert log" in text and "local-file" in text and "delivered" in text and "test" in text


async def test_test_alert_dialog_says_a_muted_slo_is_tested_anyway(build, store, tmp_path):
    log = tmp_path / "alerts.jsonl"
    alerting = make_alerting(store, demo_specs(), tmp_path, {"local-file": {"type": "file", "path": str(log)}})
    app = build(FakeEngine(alerting=alerting))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await goto(pilot, app, "accuracy")
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "muted" not in app.screen.detail
        await pilot.press("n")
        await settle(app, pilot)
        await pilot.press("m")
        await settle(app, pilot)
        assert app.silence_kind("accuracy") == "mute"
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "accuracy is muted: its real alerts are held, the test goes out anyway" in app.screen.detail
        await pilot.press("y")
        await settle(app, pilot)
        tests = [json.loads(x) for x in log.read_text().splitlines() if json.loads(x)["kind"] == "test"]
        assert len(tests) == 1 and tests[0]["alerts"][0]["slo"] == "accuracy"


async def test_failing_channel_shows_in_alert_log_not_a_crash(build, store, tmp_path):
    # a directory where the file channel expects a file: every append fails with the OS error
    bad = tmp_path / "not-a-file"
    bad.mkdir()
    alerting = make_alerting(store, demo_specs(), tmp_path, {"broken": {"type": "file", "path": str(bad)}})
    app = build(FakeEngine(alerting=alerting))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await goto(pilot, app, "accuracy")
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert app.is_running
        assert any("broken" in n.message and n.severity == "error" for n in app._notifications)
        await pilot.press("l")
        await settle(app, pilot)
        text = screen_text(app)
        assert "broken" in text and ("failed" in text or "pending" in text)
        # the Error column cuts the OS error; Enter opens the notification whole
        row = app.notifications[0]  # the highlighted one: the newest
        assert row.channel == "broken" and row.error and row.error not in text.replace("\n", "")
        await pilot.press("enter")
        await settle(app, pilot)
        from slotui.tui.screens.alert_log import NotificationDialog

        assert isinstance(app.screen, NotificationDialog)
        opened = " ".join(screen_text(app).split())
        assert "Channel broken" in opened and f"SLOs {', '.join(row.slos)}" in opened
        error_part = opened.rsplit("Error", 1)[1].split("Esc or Enter closes")[0]
        assert "".join(error_part.replace("█", "").split()) == "".join(row.error.split())  # whole, wrapped
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, NotificationDialog) and "Alert log" in screen_text(app)


async def test_acknowledge_firing_alert(build, store, tmp_path):
    log = tmp_path / "alerts.jsonl"
    alerting = make_alerting(store, demo_specs(), tmp_path, {"local-file": {"type": "file", "path": str(log)}})
    app = build(FakeEngine(alerting=alerting))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        firing = [a for a in app.alerts if a.state == "firing" and not a.inhibited]
        assert sorted(a.slo for a in firing) == ["helpfulness", "response_time_p95_ms"]
        assert "2 firing" in screen_text(app)  # helpfulness' inhibited warning is not counted
        await goto(pilot, app, "accuracy")
        await pilot.press("a")
        await settle(app, pilot)
        assert any("no firing alert" in n.message for n in app._notifications)
        await goto(pilot, app, "helpfulness")
        await pilot.press("a")
        await settle(app, pilot)
        records = [r for r in alerting.alerts("helpfulness") if r.state == "firing"]
        assert records and all(r.acked and r.acked_by == "tester" for r in records)
        line = next(ln for ln in screen_text(app).splitlines() if "helpfulness" in ln)
        assert "CRITICAL ✓" in line


async def test_silences_screen_lists_edits_and_expires(build, store, clock):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await goto(pilot, app, "accuracy")
        await pilot.press("m")
        await settle(app, pilot)
        await goto(pilot, app, "cost_per_query")
        await pilot.press("z")
        await pilot.pause()
        await pilot.click("#preset-15m")
        await pilot.click("#submit")
        await settle(app, pilot)
        await pilot.press("S")
        await settle(app, pilot)
        assert isinstance(app.screen, SilencesScreen)
        text = screen_text(app)
        assert "Silences: 2 active" in text
        assert "slo=accuracy" in text and "until lifted" in text
        assert "slo=cost_per_query" in text and "(in 15m)" in text

        screen = app.screen
        grid = screen.query_one("#silences-table")
        grid.move_cursor(row=[s.matchers for s in screen.silences].index("slo=cost_per_query"))
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, SnoozeDialog)
        await pilot.click("#preset-1d")
        await pilot.click("#submit")
        await settle(app, pilot)
        active = {str(s.matchers[0]): s for s in store.list_silences(NOW)}
        assert active["slo=cost_per_query"].ends_at == NOW + 86400
        assert "(in 1d)" in screen_text(app)

        grid.move_cursor(row=[s.matchers for s in screen.silences].index("slo=accuracy"))
        await pilot.press("x")
        await settle(app, pilot)
        assert [str(s.matchers[0]) for s in store.list_silences(NOW + 1)] == ["slo=cost_per_query"]
        assert "Silences: 1 active" in screen_text(app)
        await pilot.press("h")
        await settle(app, pilot)
        assert "expired" in screen_text(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, SilencesScreen)


async def test_pause_and_resume(build):
    app = build(poll=True, refresh=3600)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app._timer is not None  # next refresh armed after the first one finished
        await pilot.press("p")
        assert app.paused and app._timer is None
        assert "PAUSED" in screen_text(app)
        count = app.refresh_count
        await pilot.press("r")  # a manual refresh still works while paused
        await settle(app, pilot)
        assert app.refresh_count == count + 1 and app._timer is None
        await pilot.press("p")
        await settle(app, pilot)
        assert not app.paused and app._timer is not None
        assert app.refresh_count == count + 2


async def test_keymap_rebinds_by_binding_id(build, store):
    app = build(keymap={"slotui.mute": "M"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await goto(pilot, app, "accuracy")
        await pilot.press("m")
        await settle(app, pilot)
        assert store.list_silences(NOW) == []
        await pilot.press("M")
        await settle(app, pilot)
        assert len(store.list_silences(NOW)) == 1
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert "slotui.mute" in text and "Keys" in text


async def test_help_screen_lists_keys_and_icons(build):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        for expected in ("Snooze", "Test alert", "slotui.snooze", "CRITICAL", "snoozed", "command palette"):
            assert expected in text
        await pilot.press("escape")
        await pilot.pause()
        assert "Snooze" not in screen_text(app).split("\n")[3]


async def test_command_palette_runs_actions(build, store):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await goto(pilot, app, "accuracy")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Mute / unmute")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press("enter")
        await settle(app, pilot)
        assert [str(s.matchers[0]) for s in store.list_silences(NOW)] == ["slo=accuracy"]


async def test_actions_disabled_while_a_dialog_is_open(build, store):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("m")  # not a mute: the dialog is modal
        await settle(app, pilot)
        assert store.list_silences(NOW) == []


async def test_mouse_click_opens_the_row_under_the_pointer_after_resort(build):
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("s", "s", "s")  # sort by name: rows move
        await settle(app, pilot)
        t = table(app)
        assert t.order[1] == "availability"
        # header is line 0 of the table; the second row is line 2
        await pilot.click("#slos", offset=(20, 2))
        await pilot.click("#slos", offset=(20, 2))
        await settle(app, pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.slo == "availability"


class _Receiver:
    """A local webhook receiver (real HTTP on loopback) answering a fixed status."""

    def __init__(self, status: int) -> None:
        import http.server
        import threading

        self.bodies: list[dict] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                receiver.bodies.append(json.loads(self.rfile.read(length) or b"{}"))
                body = b"ok" if status < 400 else b"receiver exploded"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("status", [200, 400])
async def test_test_alert_to_a_local_webhook_receiver(build, store, tmp_path, status):
    receiver = _Receiver(status)
    try:
        alerting = make_alerting(store, demo_specs(), tmp_path, {"hook": {"type": "webhook", "url": receiver.url}})
        app = build(FakeEngine(alerting=alerting))
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(app, pilot)
            await goto(pilot, app, "cost_per_query")
            await pilot.press("t")
            await pilot.pause()
            await pilot.press("y")
            await settle(app, pilot)
            tests = [b for b in receiver.bodies if b.get("commonLabels", {}).get("test") == "true"]
            assert len(tests) == 1 and tests[0]["alerts"][0]["labels"]["slo"] == "cost_per_query"
            messages = [n.message for n in app._notifications]
            await pilot.press("l")
            await settle(app, pilot)
            text = screen_text(app)
            if status == 200:
                assert any("test alert delivered: hook: delivered" in m for m in messages)
                assert "delivered" in text
            else:
                # a 400 is final: shown as failed with the receiver's answer, and the app goes on
                assert any("hook: FAILED" in m and "HTTP 400" in m and "receiver exploded" in m for m in messages), messages
                assert "failed" in text and "HTTP 400" in text
                assert app.is_running
    finally:
        receiver.close()


async def test_detail_view_writes_thresholds_as_written_not_as_values(build):
    # warning $195,000.00 and critical $210,000.00 beside target ≤ $180,000: thresholds are amounts as
    # written in the file, not values rounded to cents (and 1.255 s is not 1.25 s)
    specs = [spec("monthly_spend", target=180000.0, warning=195000.0, critical=210000.0, unit="USD",
                  direction="lower_is_better"),
             spec("p95_s", target=1.255, warning=1.5, critical=2.0, unit="s", direction="lower_is_better")]
    engine = FakeEngine(specs, statuses={"monthly_spend": (Status.OK, 31658.69, 0.8, 0.1),
                                         "p95_s": (Status.WARNING, 1.3, 0.2, 1.0)})
    app = build(engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for name, expected in (("monthly_spend", ("target ≤ $180,000", "warning $195,000", "critical $210,000")),
                               ("p95_s", ("target ≤ 1.255 s", "warning 1.5 s", "critical 2 s"))):
            await goto(pilot, app, name)
            await pilot.press("enter")
            await settle(app, pilot)
            assert isinstance(app.screen, DetailScreen) and app.screen.slo == name
            text = screen_text(app)
            for fragment in expected:
                assert fragment in text, (fragment, text)
            assert "$195,000.00" not in text and "$210,000.00" not in text
            await pilot.press("escape")
            await settle(app, pilot)


async def test_a_severity_silence_marks_only_the_slos_whose_alerts_it_matches(build, store, tmp_path):
    """severity=critical quiets helpfulness' critical alert, not response_time_p95_ms' firing warning:
    that one shows no Z, and m mutes it (it said "silenced by a broader silence")."""
    from slotui.alerting.silence import Matcher, snooze
    from slotui.alerting.silences import Silences

    Silences(store).set(snooze((Matcher("severity", "=", "critical"),), 7200, NOW - 60, "cli", "quiet the pages"),
                        now=NOW - 60)
    alerting = make_alerting(store, demo_specs(), tmp_path, {"local-file": {"type": "file", "path": str(tmp_path / "a")}})
    app = build(FakeEngine(alerting=alerting))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        lines = {name: next(ln for ln in screen_text(app).splitlines() if name in ln)
                 for name in ("helpfulness", "response_time_p95_ms", "accuracy")}
        assert "CRITICAL Z" in lines["helpfulness"]
        assert "WARNING Z" not in lines["response_time_p95_ms"] and "WARNING" in lines["response_time_p95_ms"]
        assert " Z " not in lines["accuracy"]  # OK: its next alert (warning) is not matched
        await goto(pilot, app, "response_time_p95_ms")
        await pilot.press("m")
        await settle(app, pilot)
        mutes = [s for s in store.list_silences(NOW) if s.ends_at is None]
        assert [str(m) for s in mutes for m in s.matchers] == ["slo=response_time_p95_ms"]
        line = next(ln for ln in screen_text(app).splitlines() if "response_time_p95_ms" in ln)
        assert "WARNING M" in line


async def test_m_on_a_snoozed_slo_mutes_it_and_the_footer_says_unmute(build, store):
    """m is labelled Mute: on a snoozed SLO it lifted the snooze (alerts went out again). It now ends
    the snooze and mutes; on a muted SLO the footer reads Unmute and m lifts the mute."""
    app = build()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await goto(pilot, app, "helpfulness")
        footer = screen_text(app).splitlines()[-1]
        assert "m Mute" in footer and "Unmute" not in footer
        await pilot.press("z")
        await pilot.pause()
        await pilot.press("enter")  # the 1h preset
        await settle(app, pilot)
        [snoozed] = store.list_silences(NOW)
        assert snoozed.ends_at == NOW + 3600
        await pilot.press("m")
        await settle(app, pilot)
        [muted] = store.list_silences(NOW + 1)
        assert muted.ends_at is None and [str(m) for m in muted.matchers] == ["slo=helpfulness"]
        assert any("muted until lifted" in n.message and "snooze ended" in n.message for n in app._notifications)
        text = screen_text(app)
        assert "CRITICAL M" in next(ln for ln in text.splitlines() if "helpfulness" in ln)
        assert "m Unmute" in text.splitlines()[-1]
        await goto(pilot, app, "accuracy")  # the label follows the cursor
        assert "m Mute" in screen_text(app).splitlines()[-1]
        await goto(pilot, app, "helpfulness")
        await pilot.press("m")
        await settle(app, pilot)
        assert store.list_silences(NOW + 2) == []
        assert "m Mute" in screen_text(app).splitlines()[-1]


async def test_times_from_another_day_show_their_date(build, store, clock):
    """The alert log, the silences' Ends and the detail history wrote only the time of day: a
    notification from two days ago read as today's; the Ends column cut the relative part."""
    from slotui.alerting.silence import Matcher, snooze
    from slotui.alerting.silences import Silences
    from slotui.tui.backend import NotificationView
    from slotui.tui.screens.alert_log import AlertLogScreen

    service = Silences(store)
    service.set(snooze((Matcher("slo", "=", "accuracy"),), 999998 * 86400, NOW, "cli", "forever"), now=NOW)
    service.set(snooze((Matcher("slo", "=", "helpfulness"),), 86400 + 60, NOW - 60, "cli", "a day"), now=NOW - 60)
    service.set(snooze((Matcher("slo", "=", "availability"),), 3600, NOW - 2 * 86400, "cli", "old"),
                now=NOW - 2 * 86400)
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("S", "h")
        await settle(app, pilot)
        text = screen_text(app)
        assert "(in 999998d)" in text  # the relative part is not cut
        assert "4764-" in text  # another year: the year too
        assert "05-29 20:26:40Z (in 1d)" in text  # tomorrow (UTC): month-day
        assert "ended 05-26 21:26:40Z" in text
        await pilot.press("escape", "l")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, AlertLogScreen)
        screen.show([NotificationView(at=NOW - 5, channel="hook", kind="trigger", title="today", slos=("a",),
                                      severity="", status="failed"),
                     NotificationView(at=NOW - 2 * 86400, channel="hook", kind="trigger", title="older",
                                      slos=("a",), severity="", status="failed")], app.palette)
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert any(ln.strip().startswith("20:26:35Z") and "today" in ln for ln in lines)
        assert any(ln.strip().startswith("05-26 20:26:40Z") and "older" in ln for ln in lines)


async def test_detail_shows_an_inhibited_alert_as_inhibited(build, store, tmp_path):
    alerting = make_alerting(store, demo_specs(), tmp_path, {"local-file": {"type": "file", "path": str(tmp_path / "a")}})
    app = build(FakeEngine(alerting=alerting))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_detail("helpfulness")
        await settle(app, pilot)
        await pilot.press("end")
        await settle(app, pilot)
        text = screen_text(app)
        assert "warning firing (inhibited by critical) since" in text
        assert "critical firing since" in text


async def test_an_expired_mute_is_still_listed_as_a_mute(build, store, clock):
    """Expiring a mute writes its end: the silences history listed it as a snooze, and a mute the CLI
    made (`silence add` without -d, its own comment) expired by `silence expire` as "lifted"."""
    from slotui.alerting.silence import Matcher, mute, snooze
    from slotui.alerting.silences import Silences

    service = Silences(store)
    service.set(snooze((Matcher("slo", "=", "cost_per_query"),), 600, NOW - 3600, "cli", "ran out"), now=NOW - 3600)
    for slo, comment in (("accuracy", "snoozed for 1h from the slotui TUI"), ("helpfulness", "why not")):
        sid = service.set(snooze((Matcher("slo", "=", slo),), 3600, NOW - 600, "cli", comment), now=NOW - 600).silence.id
        service.expire(sid, now=NOW - 300)  # ended by hand
    sid = service.set(mute((Matcher("slo", "=", "monthly_spend"),), NOW - 900, "cli", "deploy"),
                      now=NOW - 900).silence.id
    service.expire(sid, now=NOW - 200)
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await goto(pilot, app, "availability")
        await pilot.press("m")
        await settle(app, pilot)
        clock.now = NOW + 60
        await pilot.press("m")  # unmute
        await settle(app, pilot)
        await pilot.press("S", "h")
        await settle(app, pilot)
        rows = {ln.split()[2]: ln.split()[1] for ln in screen_text(app).splitlines()
                if "slo=" in ln and len(ln.split()) > 2}
        # (a snooze ended by hand with a comment of its own was "lifted": the row could not tell)
        assert rows == {"slo=availability": "mute", "slo=cost_per_query": "snooze", "slo=accuracy": "snooze",
                        "slo=helpfulness": "snooze", "slo=monthly_spend": "mute"}


def _footer(app) -> str:
    return screen_text(app).splitlines()[-1]


@pytest.mark.parametrize("read_only", [False, True])
async def test_read_only_footer_offers_no_state_change_and_its_keys_say_why(build, store, read_only):
    """k9s' read-only mode drops what would change state from its hints: the footer offers no Mute,
    Snooze, Test alert or Ack (and on the silences list no Edit or Expire) while read-only, and the
    keys still answer with the refusal naming what is off. Writable, all of them are offered."""
    from slotui.alerting.silence import Matcher, snooze
    from slotui.alerting.silences import Silences

    Silences(store).set(snooze((Matcher("slo", "=", "helpfulness"),), 7200, NOW - 60, "ops", "known"), now=NOW - 60)
    app = build(read_only=read_only)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await settle(app, pilot)
        footer = _footer(app)
        for label in ("m Mute", "z Snooze", "t Test alert", "a Ack"):
            assert (label in footer) is not read_only, (label, footer)
        assert "S Silences" in footer and "l Alert log" in footer and "q Quit" in footer
        if read_only:
            for key, what in (("m", "mute"), ("z", "snooze"), ("t", "test alert"), ("a", "acknowledge")):
                app._notifications.clear()
                await pilot.press(key)
                await settle(app, pilot)
                assert any(f"read-only: {what}" in n.message for n in app._notifications), (key, what)
        await pilot.press("S")
        await settle(app, pilot)
        footer = _footer(app)
        assert ("Edit" in footer) is not read_only and ("Expire" in footer) is not read_only, footer
        if read_only:
            for key, what in (("x", "expire silence"), ("e", "edit silence")):
                app._notifications.clear()
                await pilot.press(key)
                await settle(app, pilot)
                assert any(f"read-only: {what}" in n.message for n in app._notifications), (key, what)
            assert [s.matchers for s in store.list_silences(NOW)] != []  # nothing expired


async def test_read_only_hint_names_the_flag_of_the_mode_it_runs_in(build, store, monkeypatch):
    """slotui tui --read-only said 'serve with --allow-actions', a flag tui does not have."""
    from slotui.tui.app import SlotuiApp

    app = build(read_only=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("m")
        await settle(app, pilot)
        [note] = [n.message for n in app._notifications if "read-only" in n.message]
        assert "run slotui tui without --read-only to allow it" in note and "--allow-actions" not in note
        monkeypatch.setattr(SlotuiApp, "is_web", property(lambda self: True))  # slotui serve: a browser
        app._notifications.clear()
        await pilot.press("m")
        await settle(app, pilot)
        assert any("serve with --allow-actions" in n.message for n in app._notifications)
        assert store.list_silences(NOW) == []


@pytest.mark.parametrize("icons,expected", [("unicode", "CRITICAL Z ✓"), ("ascii", "CRITICAL Z ack")])
async def test_status_cell_keeps_the_silence_and_ack_marks_at_120_columns(build, store, tmp_path, icons, expected):
    """Snoozed and acknowledged, the status cell was cut to '✖ CRITICAL …' while other columns had room."""
    alerting = make_alerting(store, demo_specs(), tmp_path, {"local-file": {"type": "file", "path": str(tmp_path / "a")}})
    app = build(FakeEngine(alerting=alerting), icons=icons)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await goto(pilot, app, "helpfulness")
        await pilot.press("a", "z")
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        line = next(ln for ln in screen_text(app).splitlines() if "helpfulness" in ln)
        assert expected in line, line
        assert "…" not in line.split("helpfulness")[0]


async def test_saving_a_silence_edit_unchanged_keeps_its_end(build, store, clock):
    """The edit dialog pre-fills the time left rounded (1h59m for 1h59m30s): saved as shown, it moved
    the end up to a minute earlier at every save."""
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await goto(pilot, app, "cost_per_query")
        await pilot.press("z")
        await pilot.pause()
        await pilot.click("#preset-4h")
        await pilot.click("#submit")
        await settle(app, pilot)
        (before,) = store.list_silences(NOW)
        clock.now = NOW + 30.5 * 60  # 3h29m30s left: shown as 3h29m
        await pilot.press("S")
        await settle(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, SnoozeDialog)
        await pilot.click("#submit")
        await settle(app, pilot)
        (after,) = store.list_silences(clock.now)
        assert after.ends_at == before.ends_at == NOW + 4 * 3600


async def test_the_footer_says_resume_while_paused_and_hide_expired_while_shown(build):
    """The footer said "p Pause" while paused and "h Show expired" with the expired rows shown (m
    already flipped to Unmute)."""
    app = build(poll=True, refresh=3600)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "Pause" in screen_text(app).splitlines()[-1]
        await pilot.press("p")
        await settle(app, pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "Resume" in footer and "Pause" not in footer
        await pilot.press("p")
        await settle(app, pilot)
        assert app.paused is False and "Pause" in screen_text(app).splitlines()[-1]
        await pilot.press("S")
        await settle(app, pilot)
        assert "Show expired" in screen_text(app).splitlines()[-1]
        await pilot.press("h")
        await settle(app, pilot)
        footer = screen_text(app).splitlines()[-1]
        assert "Hide expired" in footer and "Show expired" not in footer
        assert app.screen.include_expired
        await pilot.press("h")
        await settle(app, pilot)
        assert not app.screen.include_expired and "Show expired" in screen_text(app).splitlines()[-1]
