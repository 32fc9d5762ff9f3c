"""The peers' own example and test files (tests/data/peers, Apache-2.0) as a new user would import them.

Each upstream directory is imported as one ``slotui import dir/*`` run (an
SLO may refer to an SLI or DataSource of a sibling file). Every document that
holds an SLO on Prometheus imports, validates and gives PromQL that parses;
every other document or file is refused by file and document name with a
reason from the list of intentional refusals below, and never a traceback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from slotui.commands.import_ import import_files, render
from slotui.commands.import_ import PlaceholderEnv
from slotui.config.loader import load_text
from slotui.peers.promql import parse_error

PEERS = Path(__file__).resolve().parents[1] / "data" / "peers"
FILES = sorted(p for p in PEERS.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
DIRS: dict[Path, list[Path]] = defaultdict(list)
for _f in FILES:
    DIRS[_f.parent].append(_f)

#: why a peer document may be refused: other data sources, invalid on purpose, or not an SLO
REFUSALS = [
    r"data source( type)? '(Any|datadog)' is not supported \(only Prometheus and its API: Thanos, Mimir, Cortex, VictoriaMetrics\)",
    r"kind 'AlertWindows' holds no SLO \(expected PrometheusServiceLevel\)",
    r"SLI plugin '[\w-]+' is not supported \(its queries are not in the file\)",
    r"objective 101 is not a share between 0 and 1 \(as a percentage\)",
    r"version 'prometheus/v999' is not supported \(expected prometheus/v1\)",
    r"apiVersion 'openslo(\.com)?/v2alpha' is not supported \(expected openslo/v1 or openslo/v1alpha\)",
    r"service is missing",
    r"sli needs events, raw or plugin",
    r"SLI '(no-sli|my-sli)' not found in the given files",  # go-sdk test data: a dangling reference
    r"a threshold objective needs op \(lt/lte/gt/gte\) and value",
    r"budgetingMethod Timeslices needs timeSliceTarget",
    r"duplicate SLO name '[\w.-]+' \(first imported from .+\)",
    # VictoriaMetrics' MetricsQL (a range on a function call) is not PromQL
    r"PromQL does not parse: ranges only allowed for vector selectors \(in '\(vector\(1\)\[\{\{window\}\}\]\).+",
    r"holds no SLO document \(only [\w, ]+\)",
    r"not an OpenSLO, Sloth or Pyrra document .*",
]


def test_the_corpus_is_there() -> None:
    projects = {p.name: len([f for f in FILES if PEERS / p.name in f.parents]) for p in PEERS.iterdir()}
    assert set(projects) == {"OpenSLO+OpenSLO", "OpenSLO+go-sdk", "OpenSLO+oslo", "pyrra-dev+pyrra", "slok+sloth"}
    assert sum(projects.values()) == len(FILES) >= 150
    for p in PEERS.iterdir():
        assert "Apache License" in (p / "LICENSE").read_text()
        assert "github.com/" in (p / "README.md").read_text()


@pytest.mark.parametrize("directory", sorted(DIRS), ids=lambda d: str(d.relative_to(PEERS)))
def test_every_peer_directory_imports_or_is_refused_by_name(directory: Path) -> None:
    files = [str(f) for f in DIRS[directory]]
    report = import_files(files)
    for s in report.skipped:
        assert s.file in files and s.document
        assert any(re.fullmatch(p, s.reason) for p in REFUSALS), str(s)
    if report.imported:
        lc = load_text(render(report.config, report.notes, files), env=_Everything())
        assert len(lc.specs) == report.imported
        for spec in lc.specs:
            for q in (spec.good, spec.total, spec.query):
                if q is not None:
                    assert parse_error(q) is None, (spec.name, q)
            assert lc.config.sources[spec.source].type == "prometheus"


def test_prometheus_slos_of_every_project_import() -> None:
    imported: dict[str, int] = {}
    for directory, files in DIRS.items():
        project = directory.relative_to(PEERS).parts[0]
        imported[project] = imported.get(project, 0) + import_files([str(f) for f in files]).imported
    import yaml

    pyrra_docs = sum(1 for f in FILES if "pyrra-dev+pyrra" in f.parts
                     for d in yaml.safe_load_all(f.read_text()) if isinstance(d, dict)
                     and d.get("kind") == "ServiceLevelObjective")
    # Pyrra: every ServiceLevelObjective; Sloth: every spec/CRD SLO but plugins, bad ones, MetricsQL.
    assert imported["pyrra-dev+pyrra"] == pyrra_docs == 57
    assert imported["slok+sloth"] >= 37
    assert imported["OpenSLO+go-sdk"] >= 10 and imported["OpenSLO+oslo"] >= 2


def test_whole_corpus_on_the_command_line_has_no_traceback(tmp_path: Path) -> None:
    out = tmp_path / "slos.yaml"
    proc = subprocess.run([sys.executable, "-m", "slotui", "import", *map(str, FILES), "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1  # some documents are refused on purpose, the rest is written
    assert "Traceback" not in proc.stderr
    skipped = [ln for ln in proc.stderr.splitlines() if ln.startswith("skipped: ")]
    assert skipped and all(re.match(r"skipped: .+\.(ya?ml|json): (file|document \d+ .+): .+", ln) for ln in skipped)
    env = {**os.environ, "PD_ON_CALL_NOTIFICATION_ROUTING_KEY": "k" * 32}
    check = subprocess.run([sys.executable, "-m", "slotui", "validate", "-c", str(out)],
                           capture_output=True, text=True, timeout=60, env=env)
    assert check.returncode == 0, check.stderr


class _Everything(PlaceholderEnv):
    """Every ${VAR} set (to the importer's own URL-shaped placeholder)."""
