"""Silences mirrored to the real ``prometheus-alertmanager`` (``/api/v2/silences``):
``slotui silence add|expire`` as separate processes, Alertmanager down at the
time of the change and up later (the daemon's ``sync_all`` catches up), the
daemon itself (``run --headless --once``), duplicate and foreign copies."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
import receivers
from receivers import AlertmanagerProcess, poll_until

from slotui.alerting.mirror import sync_all
from slotui.alerting.silence import Matcher, snooze
from slotui.channels import build_channel
from slotui.config.loader import load_config
from slotui.store import Store

pytestmark = pytest.mark.integration

TOKEN = "amMIRRORtoken-7781"  # sent as a bearer token; Alertmanager ignores it; must never be printed


def write_config(tmp: Path, url: str, name: str = "slos.yaml", *, mirror: bool = True) -> Path:
    cfg = tmp / name
    cfg.write_text(
        "version: 1\n"
        "defaults: {interval: 30s}\n"
        "sources:\n  demo: {type: demo, seed: 7}\n"
        "slos:\n"
        "  - name: helpfulness\n"
        "    sli: {field: evaluations.helpfulness, agg: mean}\n"
        "    objective: {target: 0.85, warning: 0.80, critical: 0.70}\n"
        "alerts:\n"
        "  channels:\n"
        f"    am: {{type: alertmanager, url: \"{url}\", bearer_token: \"${{AM_TOKEN}}\", timeout: 5s,"
        f" mirror_silences: {'true' if mirror else 'false'}}}\n"
    )
    return cfg


def slotui(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SLOTUI_STATE",)}
    env.update(USER="ana", AM_TOKEN=TOKEN)
    return subprocess.run([sys.executable, "-m", "slotui", *argv], capture_output=True, text=True, env=env,
                          timeout=90)


def ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def copies(am: AlertmanagerProcess, sid: str) -> list[dict]:
    return [s for s in am.get("/api/v2/silences") if f"[slotui silence {sid}]" in s["comment"]]


def states(am: AlertmanagerProcess, sid: str) -> list[str]:
    return sorted(s["status"]["state"] for s in copies(am, sid))


def free_port() -> int:
    return receivers._free_port()


@pytest.fixture
def am(tmp_path):
    with AlertmanagerProcess(tmp_path / "am") as proc:
        yield proc


def no_secret(*outputs: subprocess.CompletedProcess[str]) -> None:
    for out in outputs:
        assert TOKEN not in out.stdout and TOKEN not in out.stderr


def test_cli_add_appears_in_alertmanager_and_expire_expires_it(am, tmp_path):
    cfg, state = write_config(tmp_path, am.url), tmp_path / "state.db"
    before = time.time()
    added = slotui("silence", "add", "slo=helpfulness", "-d", "1h", "--comment", "deploy",
                   "-c", str(cfg), "--state", str(state))
    assert added.returncode == 0, added.stderr
    sid = added.stdout.splitlines()[0]
    assert "mirrored to alertmanager channel 'am'" in added.stderr, added.stderr
    assert "warning" not in added.stderr

    (copy,) = poll_until(lambda: copies(am, sid), what="the mirrored silence")
    assert copy["matchers"] == [{"name": "slo", "value": "helpfulness", "isRegex": False, "isEqual": True}]
    assert copy["comment"] == f"deploy [slotui silence {sid}]"
    assert copy["createdBy"] == "ana"
    assert copy["status"]["state"] == "active"
    assert before + 3600 - 2 <= ts(copy["endsAt"]) <= time.time() + 3600 + 2
    with Store.open(state) as store:
        assert store.silence_external_ids(sid) == {"am": copy["id"]}
    assert copy["id"] in added.stderr

    expired = slotui("silence", "expire", sid[:8], "-c", str(cfg), "--state", str(state))
    assert expired.returncode == 0, expired.stderr
    assert expired.stdout.split() == [sid]
    assert "expired its mirror in alertmanager channel 'am'" in expired.stderr, expired.stderr
    poll_until(lambda: states(am, sid) == ["expired"], what="the mirror expired")
    no_secret(added, expired)


def test_add_while_alertmanager_is_down_warns_keeps_it_and_sync_all_mirrors_it_later(tmp_path, monkeypatch):
    port = free_port()
    cfg, state = write_config(tmp_path, f"http://127.0.0.1:{port}"), tmp_path / "state.db"
    added = slotui("silence", "add", "slo=helpfulness", "-d", "2h", "--comment", "deploy",
                   "-c", str(cfg), "--state", str(state))
    assert added.returncode == 0, added.stderr
    sid = added.stdout.splitlines()[0]
    assert ("warning: silence saved locally, but mirroring to alertmanager channel 'am' failed: "
            in added.stderr), added.stderr
    assert added.stderr.rstrip().endswith("the daemon retries"), added.stderr
    assert "connection failed" in added.stderr
    assert "Traceback" not in added.stderr
    listed = slotui("silence", "list", "-q", "--state", str(state))
    assert listed.stdout.split() == [sid]  # the local silence stands

    # a second silence, expired locally while Alertmanager is still down: it must never be mirrored
    gone = slotui("silence", "add", "slo=cost", "-d", "1h", "-q", "-c", str(cfg), "--state", str(state))
    gone_id = gone.stdout.strip()
    ended = slotui("silence", "expire", gone_id, "-c", str(cfg), "--state", str(state))
    assert ended.returncode == 0 and "warning: silence expired locally, but expiring its mirror" in ended.stderr
    no_secret(added, gone, ended)

    # Alertmanager comes up on the configured port; the daemon's next reconcile mirrors what is due
    monkeypatch.setattr(receivers, "_free_port", lambda: port)
    monkeypatch.setenv("AM_TOKEN", TOKEN)
    with AlertmanagerProcess(tmp_path / "am") as am:
        assert am.port == port
        assert am.get("/api/v2/silences") == []
        loaded = load_config(cfg, env={"AM_TOKEN": TOKEN})
        with Store.open(state) as store:
            report = asyncio.run(sync_all(loaded, store, time.time()))
            assert report.ok, report.problems()
            assert list(report.channels[0].created) == [sid]
            (copy,) = copies(am, sid)
            assert copy["status"]["state"] == "active" and copy["comment"] == f"deploy [slotui silence {sid}]"
            assert store.silence_external_ids(sid) == {"am": copy["id"]}
            assert copies(am, gone_id) == []
            # a second pass finds everything in sync and changes nothing
            again = asyncio.run(sync_all(loaded, store, time.time()))
            assert again.ok and again.changes() == []
            assert len(copies(am, sid)) == 1

            # expired locally while Alertmanager was "down" (a config pointing elsewhere): the next pass expires it
            store.expire_silence(sid, time.time())
            later = asyncio.run(sync_all(loaded, store, time.time()))
            assert later.channels[0].expired == [sid], later.problems()
            poll_until(lambda: states(am, sid) == ["expired"], what="the mirror expired by sync_all")


def test_daemon_tick_mirrors_silences_made_elsewhere(am, tmp_path):
    cfg, state = write_config(tmp_path, am.url), tmp_path / "state.db"
    now = time.time()
    with Store.open(state) as store:  # as the TUI would: straight into the store, no mirroring
        s = snooze([Matcher("slo", "=", "helpfulness")], 1800, now, "tui-user", "from the TUI")
        store.add_silence(s, now=now)
    run = slotui("run", "--headless", "--once", "--listen", "none", "-c", str(cfg), "--state", str(state))
    assert run.returncode == 0, run.stderr
    (copy,) = poll_until(lambda: copies(am, s.id), what="the daemon's mirror")
    assert copy["createdBy"] == "tui-user" and copy["status"]["state"] == "active"
    assert f"silence {s.id} mirrored to alertmanager channel 'am'" in run.stderr
    no_secret(run)


def test_mirror_silences_false_sends_nothing(am, tmp_path):
    cfg, state = write_config(tmp_path, am.url, mirror=False), tmp_path / "state.db"
    added = slotui("silence", "add", "slo=helpfulness", "-d", "1h", "-c", str(cfg), "--state", str(state))
    assert added.returncode == 0 and added.stderr == ""
    assert am.get("/api/v2/silences") == []


async def test_expire_removes_duplicate_copies_and_sync_leaves_foreign_ones(am, tmp_path):
    cfg, state = write_config(tmp_path, am.url), tmp_path / "state.db"
    loaded = load_config(cfg, env={"AM_TOKEN": TOKEN})
    ch = build_channel("am", loaded.config.alerts.channels["am"], base_dir=tmp_path)
    now = time.time()
    mine = snooze([Matcher("slo", "=", "helpfulness")], 3600, now, "ana", "deploy")
    foreign = snooze([Matcher("slo", "=", "cost")], 3600, now, "other-team", "their slotui")
    # two processes mirrored the same new silence at once: two copies
    first, second = await ch.mirror_silence(mine), await ch.mirror_silence(mine)
    await ch.mirror_silence(foreign)  # another slotui's silence, unknown to this store
    assert first != second and len(copies(am, mine.id)) == 2
    with Store.open(state) as store:
        store.add_silence(mine, now=now)
        report = await sync_all(loaded, store, now + 1)
        assert report.ok and report.changes() == []  # both in sync, foreign untouched
        ended_at = time.time()
        store.expire_silence(mine.id, ended_at)
        report = await sync_all(loaded, store, ended_at)
    await ch.aclose()
    assert report.ok, report.problems()
    assert report.channels[0].expired == [mine.id]
    poll_until(lambda: states(am, mine.id) == ["expired", "expired"], what="both copies expired")
    assert states(am, foreign.id) == ["active"]
