"""Generators for the families of issue 8 items 5 and 15: every field x every bad value.

Each example replaces one field of a valid file (configs_families.TEMPLATE)
with one bad value and checks that loading fails with an issue naming that
field's key path at that field's line, saying what was expected, and that the
rendered message shows no secret and no raw control character.
"""

from __future__ import annotations

import pytest
from configs_families import FIELDS, line_of, render
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slotui.config.errors import ConfigError
from slotui.config.loader import load_text

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def by_family(*families: str) -> list[str]:
    return sorted(name for name, f in FIELDS.items() if f.family in families)


def _error(text: str, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_text(text, name="t.yaml", env=env or {})
    return info.value


def _issue_at(err: ConfigError, name: str) -> str:
    """The message of the issue at the field's key and line (fails when there is none)."""
    key, line = FIELDS[name].key, line_of(name)
    found = [i for i in err.issues if i.key == key and i.line == line]
    assert found, f"no issue at {key} line {line}:\n{err.render()}"
    rendered = err.render()
    assert "Traceback" not in rendered
    return found[0].message


def test_the_template_is_valid_and_quiet() -> None:
    lc = load_text(render(), name="t.yaml", env={})
    assert [s.name for s in lc.specs] == ["lat", "Low Helpfulness Alert"]
    assert lc.warnings == []


NON_FINITE = [".nan", ".NaN", ".inf", ".Inf", "-.inf", "-.Inf", "1.0e+999", "-1.0e+999"]


@SETTINGS
@given(name=st.sampled_from(by_family("number")), bad=st.sampled_from(NON_FINITE))
def test_non_finite_numbers_are_rejected_everywhere(name: str, bad: str) -> None:
    assert "expected a finite number" in _issue_at(_error(render(**{name: bad})), name)


@SETTINGS
@given(name=st.sampled_from(by_family("integer")), bad=st.sampled_from([*NON_FINITE, "-1", "-100", "1.5"]))
def test_bad_integers_are_rejected_everywhere(name: str, bad: str) -> None:
    message = _issue_at(_error(render(**{name: bad})), name)
    assert message.startswith("expected"), message


# fields whose negative values mean nothing: shares, rates, factors, latencies (the SLO is a p95 of duration_ms)
NON_NEGATIVE = by_family("number", "integer")


@SETTINGS
@given(name=st.sampled_from(NON_NEGATIVE), bad=st.sampled_from(["-1", "-0.5", "-1000000"]))
def test_negative_numbers_are_rejected_everywhere(name: str, bad: str) -> None:
    message = _issue_at(_error(render(**{name: bad})), name)
    assert "negative" in message or "greater than" in message or (
        FIELDS[name].family == "integer" and message.startswith("expected an integer")), message


@SETTINGS
@given(name=st.sampled_from(["src.maxc", "mail.port", "src.rate"]), bad=st.sampled_from(["1000000000", "1.0e+300"]))
def test_huge_counts_ports_and_rates_are_rejected(name: str, bad: str) -> None:
    message = _issue_at(_error(render(**{name: bad})), name)
    assert "less than or equal" in message or message.startswith("expected an integer"), message


ZERO = ["0", "0s", "0m", "0 hours", "0.0"]
NEGATIVE = ["-1", "-5m", "-0.5", "-1h"]
MALFORMED = [".nan", ".inf", "1e999s", "99999999d", "soon", "5 fortnights", "''"]


@SETTINGS
@given(name=st.sampled_from(by_family("duration")), bad=st.sampled_from(ZERO + NEGATIVE + MALFORMED))
def test_zero_negative_and_malformed_durations_are_rejected_everywhere(name: str, bad: str) -> None:
    message = _issue_at(_error(render(**{name: bad})), name)
    assert "duration" in message, message


@pytest.mark.parametrize("value", ["0", "0s"])
def test_zero_means_at_once_for_pending_and_group_wait(value: str) -> None:
    lc = load_text(render(**{"slo.for": value, "g.wait": value}), name="t.yaml", env={})
    assert lc.specs[0].for_ == 0 and lc.config.alerts.group.wait == 0


@SETTINGS
@given(name=st.sampled_from(by_family("duration0")), bad=st.sampled_from(NEGATIVE + MALFORMED))
def test_zero_allowed_durations_reject_negative_and_malformed(name: str, bad: str) -> None:
    assert "duration" in _issue_at(_error(render(**{name: bad})), name)


# YAML double-quoted escapes: newline, tab, ESC, NUL, DEL, carriage return, bidi overrides and isolates
CONTROL = ["\\n", "\\t", "\\e", "\\0", "\\x7f", "\\r", "\\u202E", "\\u202A", "\\u2066", "\\u2069", "\\u200F",
           "\\x1b[2J", "\\L", "\\P"]


@SETTINGS
@given(name=st.sampled_from(by_family("name")), bad=st.sampled_from(CONTROL),
       where=st.sampled_from(["start", "middle", "end"]))
def test_control_and_bidi_characters_are_rejected_in_every_name(name: str, bad: str, where: str) -> None:
    text = {"start": f"{bad}abc", "middle": f"ab{bad}c", "end": f"abc{bad}"}[where]
    err = _error(render(**{name: f'"{text}"'}))
    message = _issue_at(err, name)
    assert "must be printable" in message, message
    # nothing raw reaches the terminal: every rendered line is printable
    for line in err.render().splitlines():
        assert line.isprintable() or "→" in line, repr(line)


@SETTINGS
@given(name=st.sampled_from(by_family("required", "secret", "name")), value=st.sampled_from(["", " ", "  \t "]))
def test_an_empty_variable_is_named_in_every_field_kind(name: str, value: str) -> None:
    err = _error(render(**{name: '"${SLOTUI_FAMILY_VAR}"'}), env={"SLOTUI_FAMILY_VAR": value})
    message = _issue_at(err, name)
    assert message.startswith("environment variable SLOTUI_FAMILY_VAR is empty; expected a value"), message


@SETTINGS
@given(name=st.sampled_from(by_family("required", "secret", "name")), blank=st.sampled_from(["''", "' '", '"\\t"']))
def test_a_blank_value_is_rejected_in_every_required_field(name: str, blank: str) -> None:
    if FIELDS[name].family == "name" and name not in ("slo.name", "rule.name"):
        return  # optional labels may be empty; names of things may not
    message = _issue_at(_error(render(**{name: blank})), name)
    assert message.startswith("cannot be empty or blank"), message


@SETTINGS
@given(name=st.sampled_from(by_family("required", "secret", "name", "duration", "number")))
def test_an_unset_variable_without_default_is_named(name: str) -> None:
    err = _error(render(**{name: '"${SLOTUI_FAMILY_UNSET}"'}), env={})
    message = _issue_at(err, name)
    assert message.startswith("environment variable SLOTUI_FAMILY_UNSET is not set"), message


@SETTINGS
@given(name=st.sampled_from(by_family("secret")), bad=st.sampled_from(["", "  "]))
def test_secrets_are_not_shown_when_the_file_is_broken(name: str, bad: str) -> None:
    """A broken file whose secrets came from the environment never prints them."""
    secret = "s3cr3t-" + name.replace(".", "-") + "-value"
    text = render(**{name: '"${SLOTUI_FAMILY_SECRET}"', "d.interval": "0s"})
    err = _error(text, env={"SLOTUI_FAMILY_SECRET": secret})
    assert secret not in err.render()
    assert any(i.key == "defaults.interval" for i in err.issues)


#: every URL field of the template (sources and channels; secrets among them)
URL_FIELDS = ["prom.url", "am.url", "hook.url", "slack.url"]
BAD_URLS = [
    ("'file:///etc/passwd'", "scheme: 'file://'"),
    ("'ftp://hooks.example/x'", "scheme: 'ftp://'"),
    ("'javascript:alert(1)'", "scheme: 'javascript://'"),
    ("'127.0.0.1:9090'", "has no scheme"),
    ("'localhost'", "has no scheme"),
    ("'http://[::1/x'", "Invalid IPv6 URL"),
    ("'http://127.0.0.1:99999/x'", "Port out of range"),
    ("'http://127.0.0.1:0/x'", "Port out of range 1-65535"),
    ("'https:///path-only'", "with a host"),
]


@SETTINGS
@given(name=st.sampled_from(URL_FIELDS), bad=st.sampled_from(BAD_URLS))
def test_every_url_field_takes_only_an_http_url(name: str, bad: tuple[str, str]) -> None:
    """A URL that is no http(s) URL gave a ValueError traceback from `check` ([::1, :99999) or a
    source error at every fetch (file://, no scheme); now the file is refused when read."""
    value, fragment = bad
    message = _issue_at(_error(render(**{name: value})), name)
    assert message.startswith("expected an http:// or https:// URL") and fragment in message, message


@SETTINGS
@given(name=st.sampled_from(URL_FIELDS))
def test_a_bad_secret_url_is_not_shown(name: str) -> None:
    secret = "ftp://hooks.example/T0/B0/sEcReT-" + name.replace(".", "-")
    err = _error(render(**{name: '"${SLOTUI_FAMILY_URL}"'}), env={"SLOTUI_FAMILY_URL": secret})
    assert "scheme: 'ftp://'" in _issue_at(err, name)
    if FIELDS[name].family == "secret":
        assert "sEcReT" not in err.render()


OTHER_URLS = {
    "sources.h.url": "sources:\n  h: {type: http, url: @}\n",
    "sources.ls.api_url": "sources:\n  ls: {type: langsmith, api_key: k, project: p, api_url: @}\n",
    "sources.ml.url": "sources:\n  ml: {type: mlflow, url: @}\n",
    "sources.wv.url": "sources:\n  wv: {type: weave, project: e/p, api_key: k, url: @}\n",
    "sources.lf.url": "sources:\n  lf: {type: langfuse, public_key: a, secret_key: b, url: @}\n",
    "alerts.channels.pd.url": "alerts:\n  channels:\n    pd: {type: pagerduty, routing_key: R0UT1NGKEY000, url: @}\n",
}


@pytest.mark.parametrize("key", sorted(OTHER_URLS))
@pytest.mark.parametrize(("value", "fragment"), BAD_URLS[:4])
def test_the_other_url_fields_too(key: str, value: str, fragment: str) -> None:
    text = "version: 1\n" + OTHER_URLS[key].replace("@", value) + \
        "slos:\n  - {name: a, sli: {field: a, agg: mean}, objective: {target: 1, warning: 2}}\n"
    err = _error(text)
    found = [i.message for i in err.issues if i.key == key]
    assert found and found[0].startswith("expected an http:// or https:// URL") and fragment in found[0], err.render()
