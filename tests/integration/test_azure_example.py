"""The Azure trace shipped in examples/ (CC-BY 4.0) and the README example that reads it, run from a clone.

``slotui check -c examples/azure.yaml --at 2023-11-16T19:00:00Z`` is run as a
subprocess, from the repository root as the README says and from another
directory (the CSV path is relative to the SLO file, not to the cwd). The
expected values are computed here from the CSV itself with the stdlib: the mean
cost per query over the rows up to 19:00:00 and their ContextTokens p95 by
linear interpolation (``statistics.quantiles(method="inclusive")``, DuckDB's
``quantile_cont``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DATA = EXAMPLES / "azure-llm-inference-2023"
CONFIG = EXAMPLES / "azure.yaml"
AT = "2023-11-16T19:00:00Z"
# name -> (data rows, sha256), as published in Azure/AzurePublicDataset and listed in the folder's README
FILES = {
    "AzureLLMInferenceTrace_code.csv": (8_819, "54e9a6d2a4bd06ba1e060304b900abbc74cbea53de96506e60fe5bb4f2277fb6"),
    "AzureLLMInferenceTrace_conv.csv": (19_366, "2f1e5b666d4e3055fdbba98598ce2ec307767b9064e03e2fa46676dbcc7d0bf8"),
}


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name", sorted(FILES))
def test_azure_csv_is_in_the_repository_unmodified(name: str) -> None:
    rows, digest = FILES[name]
    path = DATA / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    data = _rows(name)
    assert len(data) == rows
    assert list(data[0]) == ["TIMESTAMP", "ContextTokens", "GeneratedTokens"]
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert digest in readme and f"{rows:,}" in readme
    # committed, not just present in this work tree
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", str(path.relative_to(ROOT))],
                             cwd=ROOT, capture_output=True, text=True)
    assert tracked.returncode == 0, tracked.stderr


def test_azure_attribution_next_to_the_data() -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for needed in ("CC-BY 4.0", "creativecommons.org/licenses/by/4.0", "github.com/Azure/AzurePublicDataset",
                   "Splitwise: Efficient generative LLM inference using phase", "Patel et al.", "ISCA 2024"):
        assert needed in readme.replace("\n> ", " "), needed


def test_azure_data_is_in_the_sdist_manifest() -> None:
    # setuptools' own MANIFEST.in interpreter decides what the sdist carries beyond the package
    from setuptools._distutils.filelist import FileList

    files = FileList()
    files.allfiles = [p.relative_to(ROOT).as_posix() for p in EXAMPLES.rglob("*") if p.is_file()]
    files.allfiles.append("slotui/__init__.py")
    for line in (ROOT / "MANIFEST.in").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            files.process_template_line(line)
    wanted = {f"examples/azure-llm-inference-2023/{n}" for n in [*FILES, "README.md"]} | {"examples/azure.yaml"}
    assert wanted <= set(files.files)


def test_azure_readme_example_is_the_shipped_config() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "AzureLLMInferenceTrace" in b]
    assert len(blocks) == 1
    shipped = "".join(line + "\n" for line in CONFIG.read_text().splitlines() if not line.startswith("#"))
    assert blocks[0] == shipped
    assert f"slotui check -c examples/azure.yaml --at {AT}" in readme
    assert "shared/data" not in readme


def _expected() -> tuple[float, float, int]:
    rows = [r for r in _rows("AzureLLMInferenceTrace_conv.csv") if r["TIMESTAMP"] < "2023-11-16 19:00:00"]
    assert not any(r["TIMESTAMP"].startswith("2023-11-16 19:00:00.0000000") for r in rows)
    costs = [int(r["ContextTokens"]) * 2.5e-6 + int(r["GeneratedTokens"]) * 1.0e-5 for r in rows]
    p95 = statistics.quantiles([int(r["ContextTokens"]) for r in rows], n=100, method="inclusive")[94]
    return math.fsum(costs) / len(costs), p95, len(rows)


@pytest.mark.parametrize("where", ["root", "elsewhere"])
def test_azure_readme_command_runs_from_a_clone(where: str, tmp_path: Path) -> None:
    cwd, config = (ROOT, "examples/azure.yaml") if where == "root" else (tmp_path, str(CONFIG))
    cmd = [sys.executable, "-m", "slotui", "check", "-c", config, "--at", AT,
           "--state", str(tmp_path / "state.db"), "-o", "json"]
    run = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    report = {s["name"]: s for s in json.loads(run.stdout)["slos"]}
    cost, p95, n = _expected()
    assert n == 15_606  # 18:15:46 .. 18:59:59 of the conversation trace
    assert report["cost_per_query"]["status"] == "OK"
    assert report["cost_per_query"]["value"] == pytest.approx(cost, rel=1e-12)
    assert report["context_tokens_p95"]["value"] == pytest.approx(p95, rel=1e-12)
    assert report["context_tokens_p95"]["status"] == "OK"
