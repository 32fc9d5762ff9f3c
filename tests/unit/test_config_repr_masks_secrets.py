"""repr() and str() of a loaded config, its models, and a config error show no secret.

A debugger, a log line or an exception message that formats a config (``f"{cfg}"``, ``{cfg!r}``)
printed every webhook URL, routing key, password, token, credential header and URL password in
clear, and ``LoadedConfig``/``ConfigError`` listed their set of secrets. Every secret-bearing field
of every source and channel type is set here, each to a value of its own.
"""

from __future__ import annotations

import pytest

from slotui.config.errors import ConfigError
from slotui.config.loader import load_text

SECRETS = {
    "prom_pw": "PrOmPaSsWoRd7c1e", "prom_q": "QuErYtOkEn93jd72", "prom_hdr": "HdRaPiKeY5501kq",
    "prom_bearer": "PrOmBeArEr55zz11", "http_bearer": "HtTpBeArEr88zz11", "http_user_pw": "UsErInFoPw44x9q2",
    "ml_token": "MlFlOwToK3n55aaq", "wv_key": "WeAvEaPiK3y2b8mm", "lf_secret": "LaNgFuSeSeC9q0pp",
    "ls_key": "LaNgSmItHk3y77ww", "slack_path": "T0SLK/B0SLK/SlAcKhOoKpAtH4422", "pd_key": "PaGeRdUtYrOuTe99",
    "hook_q": "HoOkQuErYt0k3n11", "hook_bearer": "HoOkBeArEr00aa77", "hook_hdr": "HoOkHeAdErK3y333",
    "hook_pw": "HoOkBaSiCpW00099", "am_pw": "AlErTmGrPw661177", "am_bearer": "AlErTmGrBeArEr42",
    "smtp_pw": "SmTpPaSsW0rd8181", "env_tok": "EnVtOkEnVaLuE123",
}
S = SECRETS
TEXT = f"""\
sources:
  prom: {{type: prometheus, url: "http://127.0.0.1:9/prom?token={S['prom_q']}", bearer_token: "{S['prom_bearer']}",
          headers: {{X-Api-Key: "{S['prom_hdr']}"}}}}
  prom2: {{type: prometheus, url: "http://127.0.0.1:9", basic_auth: {{username: bob, password: "{S['prom_pw']}"}}}}
  web: {{type: http, url: "http://ui:{S['http_user_pw']}@127.0.0.1:9/data"}}
  web2: {{type: http, url: "http://127.0.0.1:9/data", bearer_token: "{S['http_bearer']}"}}
  web3: {{type: http, url: "http://127.0.0.1:9/data", headers: {{Authorization: "${{TOKEN}}"}}}}
  ml: {{type: mlflow, url: "http://127.0.0.1:9", experiment: e1, token: "{S['ml_token']}"}}
  wv: {{type: weave, url: "http://127.0.0.1:9", api_key: "{S['wv_key']}", project: acme/bot}}
  lf: {{type: langfuse, url: "http://127.0.0.1:9", public_key: pk-lf-pub, secret_key: "{S['lf_secret']}"}}
  ls: {{type: langsmith, api_url: "http://127.0.0.1:9", api_key: "{S['ls_key']}", project: bot}}
slos:
  - {{name: p, source: prom, query: up, objective: {{target: 1, warning: 2}}}}
alerts:
  channels:
    slack: {{type: slack, webhook_url: "https://hooks.slack.com/services/{S['slack_path']}"}}
    pd: {{type: pagerduty, routing_key: "{S['pd_key']}"}}
    hook: {{type: webhook, url: "http://127.0.0.1:9/hook?token={S['hook_q']}", bearer_token: "{S['hook_bearer']}",
            headers: {{X-Api-Key: "{S['hook_hdr']}"}}}}
    hook2: {{type: webhook, url: "http://127.0.0.1:9/hook", basic_auth: {{username: hu, password: "{S['hook_pw']}"}}}}
    am: {{type: alertmanager, url: "http://127.0.0.1:9", bearer_token: "{S['am_bearer']}"}}
    am2: {{type: alertmanager, url: "http://127.0.0.1:9", basic_auth: {{username: amu, password: "{S['am_pw']}"}}}}
    mail: {{type: email, host: 127.0.0.1, username: smu, password: "{S['smtp_pw']}", from: a@example.com,
            to: [b@example.com]}}
"""
ENV = {"TOKEN": S["env_tok"]}


def _assert_clean(text: str) -> None:
    for name, value in SECRETS.items():
        for k in range(6, len(value) + 1):  # no recognisable part either
            assert value[:k] not in text, (name, text)
        assert value.split("/")[-1] not in text, name


def test_repr_and_str_of_every_config_model_mask_its_secrets() -> None:
    loaded = load_text(TEXT, name="t.yaml", env=ENV)
    models = [loaded.config, *loaded.config.sources.values(), *loaded.config.alerts.channels.values()]
    for model in models:
        _assert_clean(repr(model))
        _assert_clean(str(model))
    _assert_clean(repr(loaded))
    shown = repr(loaded.config.alerts.channels["slack"])
    assert "webhook_url='https://hooks.slack.com/…/****'" in shown  # still says where it goes
    assert "url='http://ui:****@127.0.0.1:9/data'" in repr(loaded.config.sources["web"])
    assert "username='bob'" in repr(loaded.config.sources["prom2"])  # not a secret: shown


def test_repr_of_a_config_error_lists_no_secret_and_no_file_text() -> None:
    with pytest.raises(ConfigError) as info:
        load_text(TEXT.replace("project: bot}", "project: bot, unknown: 1}"), name="t.yaml", env=ENV)
    err = info.value
    assert "unknown key 'unknown'" in str(err)
    for text in (repr(err), str(err), repr(err.args)):
        _assert_clean(text)
