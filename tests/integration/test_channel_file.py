"""File channel: several processes appending to one log never interleave lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

WRITER = r"""
import asyncio, sys
sys.path.insert(0, sys.argv[3])
from receivers import sample_alert, sample_notification
from slotui.channels import build_channel
from slotui.config.model import FileChannel

async def main():
    ch = build_channel("audit", FileChannel(type="file", path=sys.argv[1]), base_dir=None)
    who = sys.argv[2]
    big = "x" * 100_000  # far beyond PIPE_BUF: a single write is not atomic by itself
    for i in range(25):
        n = sample_notification([sample_alert(f"slo_{who}_{i}", annotations={"summary": big})], id=f"{who}-{i}")
        res = await ch.send(n)
        assert res.ok, res
    await ch.aclose()

asyncio.run(main())
"""


def test_concurrent_processes_append_whole_lines(tmp_path):
    log = tmp_path / "deep" / "dir" / "alerts.jsonl"
    here = str(Path(__file__).parent)
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(log), f"w{k}", here], stderr=subprocess.PIPE)
        for k in range(4)
    ]
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err.decode()
    lines = log.read_bytes().split(b"\n")
    assert lines[-1] == b""
    records = [json.loads(line) for line in lines[:-1]]
    assert len(records) == 100
    assert sorted(r["id"] for r in records) == sorted(f"w{k}-{i}" for k in range(4) for i in range(25))
    assert all(len(r["alerts"][0]["annotations"]["summary"]) == 100_000 for r in records)
    assert all(isinstance(r["delivered_at"], float) for r in records)


async def test_unwritable_path_is_a_final_failure(tmp_path):
    from receivers import sample_alert, sample_notification

    from slotui.channels import build_channel
    from slotui.config.model import FileChannel

    (tmp_path / "a_file").write_text("")
    ch = build_channel("audit", FileChannel(type="file", path="a_file/alerts.jsonl"), base_dir=tmp_path)
    res = await ch.send(sample_notification([sample_alert()]))
    assert not res.ok and not res.retryable and "cannot append" in res.message
