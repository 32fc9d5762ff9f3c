"""slotui.blas_threads: the `slotui` command gives numpy's OpenBLAS one thread (it spun a core away)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "azure.yaml"


def _python(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


_TASKS = "import os, numpy; print(len(os.listdir('/proc/self/task')))"


def test_the_limit_leaves_numpy_one_thread_where_it_would_start_one_per_core() -> None:
    limited = int(_python("from slotui import blas_threads; blas_threads.limit(); " + _TASKS))
    default = int(_python(_TASKS))
    assert limited == 1
    if len(os.sched_getaffinity(0)) > 1:
        assert default > 1  # OpenBLAS's threads (each spins ~2**28 cycles after numpy loads)


def test_the_command_sets_it_before_its_work_and_the_users_own_setting_wins() -> None:
    run = ("import os, sys; from slotui.cli import main; code = main(['validate', '-c', sys.argv[-1]]); "
           "print(code, os.environ.get('OPENBLAS_NUM_THREADS'))")
    assert _python(run.replace("sys.argv[-1]", repr(str(EXAMPLE)))) == "0 1"
    assert _python(run.replace("sys.argv[-1]", repr(str(EXAMPLE))), OPENBLAS_NUM_THREADS="2") == "0 2"


def test_importing_slotui_alone_leaves_the_environment_alone() -> None:
    code = "import os, slotui, slotui.results, slotui.sources.file; print(os.environ.get('OPENBLAS_NUM_THREADS'))"
    assert _python(code) == "None"
