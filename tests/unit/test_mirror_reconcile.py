"""Silence mirroring logic without a server: the cheap no-Alertmanager path (no
httpx, no config parsing), config problems as warnings, the reconcile rules
against a scripted fake channel (foreign copies, duplicates, final refusals),
the CLI's warning lines, the daemon's log de-duplication, and a mirror failure
never breaking a daemon tick. The real Alertmanager is in
tests/integration/test_silence_mirror.py."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from slotui.alerting.mirror import DaemonMirror, _cli_lines, mirror_silence, reconcile
from slotui.alerting.silence import Matcher, Silence, snooze
from slotui.channels.alertmanager import SilenceMirrorError, postable_silence
from slotui.config.loader import load_text
from slotui.store import Store

T0 = 1_780_000_000.0
REPO = Path(__file__).resolve().parents[2]

AM_CONFIG = """\
version: 1
sources: {demo: {type: demo, seed: 7}}
slos:
  - {name: helpfulness, sli: {field: evaluations.helpfulness, agg: mean}, objective: {target: 0.85, warning: 0.8}}
alerts:
  channels:
    am: {type: alertmanager, url: "http://127.0.0.1:9"}
    am-quiet: {type: alertmanager, url: "http://127.0.0.1:9", mirror_silences: false}
"""


def silence(slo: str = "helpfulness", *, start: float = T0, duration: float = 3600, sid: str | None = None) -> Silence:
    return snooze([Matcher("slo", "=", slo)], duration, start, "ana", "deploy", silence_id=sid)


class FakeAlertmanager:
    """A scripted stand-in for AlertmanagerChannel's silence methods (copies kept in a list)."""

    def __init__(self, name: str = "am") -> None:
        self.name = name
        self.copies: list[dict[str, Any]] = []
        self.down: SilenceMirrorError | None = None
        self.refuse: SilenceMirrorError | None = None
        self.calls: list[str] = []
        self._n = 0

    def add_copy(self, s: Silence, now: float) -> str:
        self._n += 1
        body = postable_silence(s, now)
        body.update(id=f"r{self._n}", status={"state": "active"})
        self.copies.append(body)
        return body["id"]

    async def list_mirrored(self) -> dict[str, dict[str, Any]]:
        self.calls.append("list")
        if self.down:
            raise self.down
        out = {}
        for c in self.copies:  # like the real one: one copy per slotui id, the last wins
            if c["status"]["state"] != "expired":
                out[c["comment"].split("[slotui silence ")[1].rstrip("]")] = c
        return out

    async def mirror_silence(self, s: Silence, *, remote_id: str | None = None) -> str:
        self.calls.append(f"post {s.id}")
        if self.refuse:
            raise self.refuse
        if remote_id:
            self.copies = [c for c in self.copies if c["id"] != remote_id]
        return self.add_copy(s, T0)

    async def expire_mirrored(self, remote_id: str) -> None:
        self.calls.append(f"expire {remote_id}")
        for c in self.copies:
            if c["id"] == remote_id:
                c["status"] = {"state": "expired"}

    async def aclose(self) -> None:
        pass


def active_ids(fake: FakeAlertmanager) -> list[str]:
    return sorted(c["id"] for c in fake.copies if c["status"]["state"] != "expired")


# ------------------------------------------------------------------------------------------ cheap path


def test_no_alertmanager_channel_means_no_httpx_and_no_config_parsing(tmp_path: Path) -> None:
    cfg = tmp_path / "slos.yaml"
    cfg.write_text("version: 1\n# alertmanager is only named in this comment\nsources: {demo: {type: demo}}\n")
    code = (
        "import json, sys\n"
        "from slotui.alerting.mirror import mirror_silence\n"
        "from slotui.alerting.silence import Matcher, snooze\n"
        "s = snooze([Matcher('slo', '=', 'x')], 60, 1.0, 'ana')\n"
        f"out = [mirror_silence(s, 'add', config={str(cfg)!r}, store=None, now=2.0),"
        " mirror_silence(s, 'add', config=None, store=None, now=2.0)]\n"  # cwd has no slos.yaml: the demo
        "print(json.dumps({'out': out, 'httpx': 'httpx' in sys.modules,"
        " 'loader': 'slotui.config.loader' in sys.modules}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"out": [[], []], "httpx": False, "loader": False}


def test_config_problems_are_warnings_not_errors(tmp_path: Path) -> None:
    s = silence()
    missing = mirror_silence(s, "add", config=str(tmp_path / "nope.yaml"), store=None, now=T0)
    assert len(missing) == 1 and missing[0].startswith("warning: silence saved locally, but not mirrored")
    bad = tmp_path / "bad.yaml"
    bad.write_text("alerts:\n  channels:\n    am: {type: alertmanager}\n")  # url missing
    (line,) = mirror_silence(s, "add", config=str(bad), store=None, now=T0)
    assert "not mirrored to Alertmanager" in line and f"slotui validate -c {bad}" in line


def test_only_mirroring_channels_are_used(tmp_path: Path) -> None:
    from slotui.alerting.mirror import mirroring_channels

    loaded = load_text(AM_CONFIG, base_dir=tmp_path)
    assert list(mirroring_channels(loaded.config)) == ["am"]


# ------------------------------------------------------------------------------------------ reconcile


async def test_reconcile_creates_records_skips_in_sync_and_leaves_foreign_copies(tmp_path: Path) -> None:
    fake = FakeAlertmanager()
    mine, other = silence(), silence("cost")
    foreign_rid = fake.add_copy(silence("latency"), T0)  # another slotui's silence
    with Store.open(tmp_path / "s.db") as store:
        store.add_silence(mine, now=T0)
        first = await reconcile(fake, {mine.id: mine, other.id: other}, {mine.id, other.id}, T0, store=store)
        assert sorted(first.created) == sorted([mine.id, other.id]) and first.ok
        assert store.silence_external_ids(mine.id) == {"am": first.created[mine.id]}
        again = await reconcile(fake, {mine.id: mine, other.id: other}, {mine.id, other.id}, T0 + 1, store=store)
    assert again.changes() == [] and again.ok
    assert foreign_rid in active_ids(fake) and len(active_ids(fake)) == 3


async def test_reconcile_expires_every_duplicate_copy_of_an_expired_silence() -> None:
    fake = FakeAlertmanager()
    s = silence()
    fake.add_copy(s, T0)
    fake.add_copy(s, T0)  # two processes mirrored it at once
    ended = s.expired_at(T0 + 10)
    res = await reconcile(fake, {s.id: ended}, {s.id}, T0 + 10)
    assert res.expired == [s.id] and res.ok
    assert active_ids(fake) == []


async def test_only_limits_the_pass_to_one_silence() -> None:
    fake = FakeAlertmanager()
    a, b = silence(), silence("cost")
    fake.add_copy(b, T0)
    res = await reconcile(fake, {a.id: a}, {a.id, b.id}, T0, only={a.id})
    assert list(res.created) == [a.id] and res.expired == []
    assert len(active_ids(fake)) == 2


async def test_unreachable_and_refused_are_reported_with_retryable() -> None:
    fake = FakeAlertmanager()
    fake.down = SilenceMirrorError("alertmanager am: list silences: connection failed", retryable=True)
    s = silence()
    down = await reconcile(fake, {s.id: s}, {s.id}, T0)
    assert down.failed and down.retryable and not down.ok
    (line,) = _cli_lines(down, s, "add")
    assert line == (
        "warning: silence saved locally, but mirroring to alertmanager channel 'am' failed: "
        "alertmanager am: list silences: connection failed; the daemon retries"
    )
    fake.down = None
    fake.refuse = SilenceMirrorError("alertmanager am: silence: 400 invalid label name", retryable=False,
                                     status_code=400)
    refused = await reconcile(fake, {s.id: s}, {s.id}, T0)
    assert refused.errors == {s.id: "alertmanager am: silence: 400 invalid label name"} and not refused.retryable
    assert _cli_lines(refused, s, "add")[0].endswith("Alertmanager refused it, so retrying will not help")


# ------------------------------------------------------------------------------------------ daemon


async def test_daemon_mirror_logs_each_problem_once_and_the_recovery(tmp_path: Path) -> None:
    fake = FakeAlertmanager()
    loaded = load_text(AM_CONFIG, base_dir=tmp_path)
    with Store.open(tmp_path / "s.db") as store:
        mirror = DaemonMirror.for_config(loaded, store, channels=lambda: {"am": fake})
        assert mirror is not None
        s = silence(start=T0)
        store.add_silence(s, now=T0)
        fake.down = SilenceMirrorError("alertmanager am: list silences: connection failed", retryable=True)
        first = await mirror.sync(T0 + 1)
        assert first == ["silence mirroring to alertmanager channel 'am' failed: "
                         "alertmanager am: list silences: connection failed"]
        assert await mirror.sync(T0 + 2) == []  # the same problem is not logged every tick
        fake.down = None
        back = await mirror.sync(T0 + 3)
        assert back[0].startswith(f"silence {s.id} mirrored to alertmanager channel 'am' as r")
        assert back[-1] == "silence mirroring to alertmanager recovered"
        assert await mirror.sync(T0 + 4) == []
        quiet = AM_CONFIG.replace('url: "http://127.0.0.1:9"}', 'url: "http://127.0.0.1:9", mirror_silences: false}')
        no_mirror = load_text(quiet, base_dir=tmp_path)
        assert DaemonMirror.for_config(no_mirror, store) is None
    assert DaemonMirror.for_config(loaded, None) is None


class _Engine:
    store = None
    last_report = None
    health: dict = {}

    async def tick(self, now: float) -> Any:
        from slotui.core.types import Report

        self.last_report = Report(now, ())
        return self.last_report


class _BrokenMirror:
    async def sync(self, now: float) -> list[str]:
        raise RuntimeError("alertmanager exploded")


def test_a_mirror_failure_never_breaks_the_daemon_tick(capsys: pytest.CaptureFixture[str]) -> None:
    from slotui.commands.run import Daemon

    daemon = Daemon(_Engine(), 30.0, None)
    daemon.mirror = _BrokenMirror()
    assert asyncio.run(daemon.run(once=True)) == 0
    assert daemon.last_error is None and daemon.engine.last_report is not None
    assert "silence mirroring failed: RuntimeError: alertmanager exploded" in capsys.readouterr().err
