"""Label names as Prometheus and Alertmanager accept them (alerts, mirrored silences, exported rules)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slotui.alerting.prometheus_labels import VALID_NAME, label_name, label_set


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("team", "team"), ("_x", "_x"), ("__meta", "__meta"), ("team-name", "team_name"),
        ("gen_ai.request.model", "gen_ai_request_model"), ("a:b", "a_b"), ("9lives", "_9lives"),
        ("modèle", "mod_le"), ("-", "_"), ("", "_"), ("٣x", "_x"),
    ],
)
def test_label_name(name, expected):
    assert label_name(name) == expected


@given(st.text(max_size=20))
def test_every_name_becomes_a_valid_one(name):
    assert VALID_NAME.fullmatch(label_name(name))


def test_a_name_valid_as_written_wins_and_the_first_rewritten_one_next():
    labels, changed = label_set({"team-name": "a", "team_name": "b", "x.y": "c", "x-y": "d", "ok": "e"})
    assert labels == {"team_name": "b", "x_y": "d", "ok": "e"}
    assert changed == {"team-name": None, "x-y": "x_y", "x.y": None}


@given(st.dictionaries(st.text(max_size=6), st.text(max_size=3), max_size=8))
def test_label_set_keeps_every_valid_name_and_only_valid_names(labels):
    out, changed = label_set(labels)
    assert all(VALID_NAME.fullmatch(k) for k in out)
    assert {k: v for k, v in labels.items() if VALID_NAME.fullmatch(k)}.items() <= out.items()
    assert set(changed) == {k for k in labels if not VALID_NAME.fullmatch(k)}
    assert len(out) == len(labels) - sum(1 for v in changed.values() if v is None)
