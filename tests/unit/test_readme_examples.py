"""Every SLO-file example in the README loads with the real loader (no errors, no warnings)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from slotui.config.loader import load_text

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
ENV = {"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/xyz", "PAGERDUTY_ROUTING_KEY": "k" * 32}


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_loads(index: int, tmp_path: Path) -> None:
    text = textwrap.dedent(BLOCKS[index])
    if not text.lstrip().startswith("version:"):
        # A fragment (e.g. alert_rules:) is shown inside a minimal file with a 30d period.
        text = "version: 1\ndefaults: {period: 30d}\n" + text
    loaded = load_text(text, name=f"README.md example {index + 1}", env=ENV, base_dir=tmp_path)
    assert loaded.specs, "an example defines at least one SLO"
    assert [w for w in loaded.warnings if "no sources" not in w] == []
