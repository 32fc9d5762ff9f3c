"""Wall time of ``slotui check`` on the example config, against the interpreter's floor.

Peers measured in the same run: ``python -c pass`` (the interpreter's start-up
floor) and ``python -c "import slotui"``. Prints medians over N runs and the
ratios. Goal: ``slotui check`` under 0.35 s on a 2-core machine.

    python bench/check_startup.py [-n 15]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 0.35


CPU: dict[str, float] = {}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _time(argv: list[str], runs: int) -> float:
    """Median wall time of ``argv``; its mean CPU time (user + system) goes to ``CPU``."""
    samples = []
    cpu0 = _cpu()
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        samples.append(time.perf_counter() - t0)
        if proc.returncode not in (0, 1, 2):
            sys.exit(f"{argv} failed with {proc.returncode}: {proc.stderr.decode()[-2000:]}")
    CPU[" ".join(argv[1:])] = (_cpu() - cpu0) / runs
    return statistics.median(samples)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--runs", type=int, default=15)
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        state = str(Path(tmp) / "state.db")
        # warm the page cache and the bytecode cache once
        _time([py, "-m", "slotui", "check", "--state", state], 1)
        floor = _time([py, "-c", "pass"], args.runs)
        imp = _time([py, "-c", "import slotui"], args.runs)
        check = _time([py, "-m", "slotui", "check"], args.runs)
        check_state = _time([py, "-m", "slotui", "check", "--state", state], args.runs)
    print(f"python -c pass               {floor * 1000:8.1f} ms")
    print(f"python -c 'import slotui'    {imp * 1000:8.1f} ms  ({imp / floor:.2f}x the floor)")
    print(f"slotui check (example)       {check * 1000:8.1f} ms  ({check / floor:.2f}x the floor, {check / imp:.2f}x import slotui)")
    print(f"slotui check --state FILE    {check_state * 1000:8.1f} ms  ({check_state / floor:.2f}x the floor)")
    for what, cpu in CPU.items():
        print(f"  cpu per run {cpu * 1000:8.1f} ms  {what}")
    verdict = "meets" if check <= GOAL_S else "MISSES"
    print(f"goal: slotui check < {GOAL_S * 1000:.0f} ms -> {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
