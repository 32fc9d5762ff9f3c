"""A broken YAML file never prints a secret (SPEC 5, non-negotiable 4).

Errors found after parsing masked every secret field; errors of the YAML layer itself (a duplicate
key, an unterminated quote, a tab, a bad tag, ...) quoted the raw line, and some quoted the value in
the message too (``invalid literal for int() with base 10: 'R0UTE-...'``): there is no tree to find
the secret fields in, so the text is read for credential-like keys, URL passwords and secret query
parameters.
"""

from __future__ import annotations

import pytest

from slotui.config.errors import ConfigError
from slotui.config.loader import load_text

HEAD = """\
version: 1
sources: {demo: {type: demo}}
slos:
  - name: availability
    ratio: {good: "error.type == null"}
    objective: {target: 0.99}
alerts:
  channels:
"""

CASES = {
    "duplicate key": "    pd: {type: pagerduty, routing_key: K-SeCrEt-1, routing_key: K-SeCrEt-2}\n",
    "unterminated quote": "    pd: {type: pagerduty, routing_key: 'K-SeCrEt-3}\n",
    "int tag": "    pd: {type: pagerduty, routing_key: !!int K-SeCrEt-4}\n",
    "tab": "    pd:\n      type: pagerduty\n\trouting_key: K-SeCrEt-5\n",
    "control character": "    pd: {type: pagerduty, routing_key: K-SeCrEt-6\a}\n",
    "unexpected colon": "    pd: {type: pagerduty, routing_key: K-SeCrEt-7: oops}\n",
    "bad escape": '    pd: {type: pagerduty, routing_key: "K-SeCrEt-8\\q"}\n',
    "reserved character": "    pd: {type: pagerduty, routing_key: @K-SeCrEt-9}\n",
    "binary tag": "    pd: {type: pagerduty, routing_key: !!binary KSeCrEt10}\n",
    "undefined alias": "    pd: {type: pagerduty, routing_key: *KSeCrEt11}\n",
    "bad indentation": "    pd:\n      type: pagerduty\n        routing_key: K-SeCrEt-12\n",
    "duplicate header": '    hook: {type: webhook, url: "https://x.example/h", headers: '
                        '{Authorization: "Bearer K-SeCrEt-13", Authorization: "Bearer K-SeCrEt-14"}}\n',
    "malformed reference": '    slack: {type: slack, webhook_url: "${https://hooks.slack.com/services/T0/B0/K-SeCrEt-15}"}\n',
    "password in a URL": '    hook: {type: webhook, url: "https://u:K-SeCrEt-16@x.example/h", url: "https://x.example/h"}\n',
    "secret query parameter": '    hook: {type: webhook, url: "https://x.example/h?token=K-SeCrEt-17", x: [}\n',
    "block style": "    pd:\n      type: pagerduty\n      routing_key: K-SeCrEt-18\n      routing_key: K-SeCrEt-19\n",
}


@pytest.mark.parametrize("body", CASES.values(), ids=CASES.keys())
def test_a_yaml_error_never_prints_a_secret(body: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_text(HEAD + body, name="slos.yaml", env={})
    shown = info.value.render()
    assert "SeCrEt" not in shown, shown
    assert shown.startswith("slos.yaml: invalid SLO file") and "slos.yaml:" in shown.splitlines()[1]


def test_an_ordinary_value_on_the_line_is_still_shown() -> None:
    # only credential-like keys' values are masked: the line stays readable
    with pytest.raises(ConfigError) as info:
        load_text(HEAD + "    pd: {type: pagerduty, routing_key: K-SeCrEt-20, severity_map: x, type: again}\n",
                  name="slos.yaml", env={})
    shown = info.value.render()
    assert "SeCrEt" not in shown and "type: pagerduty" in shown and "severity_map: x" in shown


SOURCE_HEAD = HEAD.replace("sources: {demo: {type: demo}}", "sources:\n  demo: {type: demo}\n{source}")

SHAPES = {
    "prometheus basic_auth as user:pass": ('  prom: {type: prometheus, url: "http://127.0.0.1:9090", '
                                           'basic_auth: "u:K-SeCrEt-20"}\n', ""),
    "prometheus headers as one string": ('  prom: {type: prometheus, url: "http://127.0.0.1:9090", '
                                         'headers: "Authorization: Bearer K-SeCrEt-21"}\n', ""),
    "prometheus header with a bad name": ('  prom: {type: prometheus, url: "http://127.0.0.1:9090", '
                                          'headers: {"Bad Name": "K-SeCrEt-22"}}\n', ""),
    "webhook basic_auth as a list": ("", '    hook: {type: webhook, url: "https://h.example/x", '
                                         'basic_auth: [u, K-SeCrEt-23]}\n'),
    "webhook basic_auth as user:pass": ("", '    hook: {type: webhook, url: "https://h.example/x", '
                                            'basic_auth: "u:K-SeCrEt-24"}\n'),
    "webhook headers as one string": ("", '    hook: {type: webhook, url: "https://h.example/x", '
                                          'headers: "X-Api-Key: K-SeCrEt-25"}\n'),
    "alertmanager basic_auth as user:pass": ("", '    am: {type: alertmanager, url: "http://127.0.0.1:9093", '
                                                 'basic_auth: "u:K-SeCrEt-26"}\n'),
    "block style basic_auth list": ("", "    hook:\n      type: webhook\n      url: https://h.example/x\n"
                                        "      basic_auth:\n        - u\n        - K-SeCrEt-27\n"),
}


@pytest.mark.parametrize(("source", "channel"), SHAPES.values(), ids=SHAPES.keys())
def test_a_credential_field_of_the_wrong_shape_never_prints_its_value(source: str, channel: str) -> None:
    """basic_auth and headers hold credentials in whatever shape they are written: "user:pass", a list,
    one "Name: value" string, a header with an invalid name were quoted in the message ("(got 'u:...')")
    and on the excerpt line."""
    text = SOURCE_HEAD.replace("{source}", source) + (channel or "    audit: {type: file, path: a.jsonl}\n")
    with pytest.raises(ConfigError) as info:
        load_text(text, name="slos.yaml", env={})
    shown = info.value.render()
    assert "SeCrEt" not in shown, shown
    assert "basic_auth" in shown or "headers" in shown


def test_a_secret_written_with_yaml_escapes_is_masked_on_the_excerpt_line() -> None:
    """The excerpt shows the raw line, where a secret holding an escape (\\x01) is not its value: the
    webhook URL's token was printed whole beside the error about its control character."""
    text = HEAD + '    hook: {type: webhook, url: "https://h.example/hooks/K-SeCrEt-30\\x01"}\n'
    with pytest.raises(ConfigError) as info:
        load_text(text, name="slos.yaml", env={})
    shown = info.value.render()
    assert "SeCrEt" not in shown, shown
    assert "without spaces or control characters" in shown


@pytest.mark.parametrize("shown", ["name", "description", "label"])
def test_a_variable_feeding_a_secret_cannot_also_feed_what_every_output_shows(shown: str) -> None:
    """${VAR} in a Slack webhook URL and in an SLO's name: check's table printed the secret."""
    field = {"name": 'name: "${HOOK}"', "description": 'name: ok, description: "${HOOK}"',
             "label": 'name: ok, labels: {team: "${HOOK}"}'}[shown]
    text = (HEAD.replace("  - name: availability\n", f"  - {{{field}, ratio: {{good: \"error.type == null\"}}, "
                                                       "objective: {target: 0.99}}\n  - name: availability\n")
            + '    slack: {type: slack, webhook_url: "https://hooks.slack.com/services/T0/B0/${HOOK}"}\n')
    with pytest.raises(ConfigError) as info:
        load_text(text, name="slos.yaml", env={"HOOK": "K-SeCrEt-31"})
    shown_text = info.value.render()
    assert "SeCrEt" not in shown_text
    assert "${HOOK} also feeds alerts.channels.slack.webhook_url, a secret" in shown_text
    # a variable of its own is fine
    fine = text.replace('"${HOOK}"', '"${TEAM}"', 1)
    loaded = load_text(fine, name="slos.yaml", env={"HOOK": "K-SeCrEt-31", "TEAM": "support"})
    assert loaded.specs


@pytest.mark.parametrize(("link", "what"), [
    ("https://bob:K-SeCrEt-32@wiki.example/rb", "a password"),
    ("https://wiki.example/rb?token=K-SeCrEt-33", "a credential query parameter"),
])
def test_a_runbook_link_holding_a_credential_is_warned_about_without_repeating_it(
        link: str, what: str, capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    """A runbook is a link that must work where it lands (Slack, PagerDuty, email), so it is sent as
    written; `validate --show` masked its credential while every notification carried it: now
    validate warns, naming the key and line, never the credential."""
    from slotui.cli import main

    base = ("version: 1\nsources: {demo: {type: demo}}\nslos:\n  - name: availability\n"
            "    ratio: {good: \"error.type == null\"}\n    objective: {target: 0.99}\n")
    cfg = tmp_path / "slos.yaml"
    cfg.write_text(base + f"    runbook: '{link}'\n")
    assert main(["validate", "-c", str(cfg)]) == 0
    err = capsys.readouterr().err
    assert f"slos[0].runbook (line 7): the link holds {what}" in err and "SeCrEt" not in err
    plain = tmp_path / "plain.yaml"
    plain.write_text(base + "    runbook: https://wiki.example/rb\n")
    assert main(["validate", "-c", str(plain)]) == 0
    assert "warning" not in capsys.readouterr().err
