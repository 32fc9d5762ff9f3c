"""``validate --show``: a free-form mapping (an http source's ``body``, an SLO's ``params``) masks
every value under a credential-named key -- strings, lists of them, numbers, nested mappings'
own credential keys -- and the dump stays YAML that parses back (``yq``, diffing resolved files).

Found: ``body: {credentials: [CRED4], "x-api-key": BODY5}`` was printed in clear (the same name as a
header was masked), and the values masked after dumping came out as a bare ``****``, a YAML alias:
the output did not parse.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

CONFIG = """\
version: 1
sources:
  web:
    type: http
    method: POST
    url: "http://127.0.0.1:9/x"
    headers: {X-Honeycomb-Team: HoNeYkEy0001}
    body:
      api_key: BoDyKeY0001
      query: {token: BoDyToK0002, q: "x"}
      auth: {user: alice, pass: BoDyPaSs0003}
      credentials: [CrEdLiSt0004, CrEdLiSt0005]
      "x-api-key": BoDyXaPiK0006
      secret: 918273645
      pin_count: 3
      model: gpt-4o
  token-log:
    type: file
    path: requests.jsonl
    fields: {token_cost: "tokens * 0.01"}
slos:
  - name: x_ms
    source: web
    query: "v"
    objective: {target: 2000}
    params: {accessToken: PaRaMtOk0007, page: 2}
"""
LEAKS = ("HoNeYkEy0001", "BoDyKeY0001", "BoDyToK0002", "BoDyPaSs0003", "CrEdLiSt0004", "CrEdLiSt0005",
         "BoDyXaPiK0006", "918273645", "PaRaMtOk0007")


def test_validate_show_masks_free_form_credentials_and_parses_back(tmp_path: Path) -> None:
    cfg = tmp_path / "slos.yaml"
    cfg.write_text(CONFIG)
    out = subprocess.run([sys.executable, "-m", "slotui", "validate", "--show", "-c", str(cfg)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    for leak in LEAKS:
        assert leak not in out.stdout + out.stderr, leak
    shown = yaml.safe_load(out.stdout.split("\nOK: ")[0])
    body = shown["sources"]["web"]["body"]
    assert body == {"api_key": "****", "query": {"token": "****", "q": "x"}, "auth": {"user": "alice", "pass": "****"},
                    "credentials": ["****", "****"], "x-api-key": "****", "secret": "****", "pin_count": 3,
                    "model": "gpt-4o"}
    assert shown["sources"]["web"]["headers"] == {"X-Honeycomb-Team": "****"}
    # mappings of names (sources, derived fields) are not credentials by their keys
    assert shown["sources"]["token-log"]["fields"] == {"token_cost": "tokens * 0.01"}
    (slo,) = shown["slos"]
    assert slo["params"] == {"accessToken": "****", "page": 2}
