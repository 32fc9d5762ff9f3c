"""Email channel against a real SMTP server (aiosmtpd) run by the test:
plain SMTP, STARTTLS and implicit TLS with a self-signed certificate, AUTH
PLAIN and LOGIN, refusals."""

from __future__ import annotations

import logging

import pytest
from receivers import SMTPReceiver, sample_alert, sample_notification, self_signed_cert

from slotui.channels import build_channel
from slotui.config.model import EmailChannel as EmailCfg

pytestmark = [
    pytest.mark.integration,
    # aiosmtpd does not count SMTPS (implicit TLS) as TLS for AUTH, so that receiver warns
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]

PASSWORD = "smtpSECRETpassw0rd"


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return self_signed_cert(tmp_path_factory.mktemp("tls"))


def channel(port: int, base_dir=None, **kw):
    data = {"type": "email", "host": "127.0.0.1", "port": port, "starttls": False,
            "from": "slotui <slotui@example.com>", "to": ["oncall@example.com", "llm-team@example.com"],
            "timeout": 5}
    data.update(kw)
    return build_channel("team-email", EmailCfg.model_validate(data), base_dir=base_dir)


async def test_three_alerts_in_one_message_with_both_parts():
    alerts = [sample_alert("helpfulness"), sample_alert("latency_p95"), sample_alert("cost_per_query")]
    with SMTPReceiver() as smtp:
        ch = channel(smtp.port)
        res = await ch.send(sample_notification(alerts, id="notif-42"))
        (mail,) = smtp.messages
    assert res.ok and res.status_code == 250, res
    assert mail.mail_from == "slotui@example.com"
    assert mail.rcpt_tos == ["oncall@example.com", "llm-team@example.com"]
    msg = mail.message()
    assert msg["Subject"] == "[FIRING:3] slotui: critical: helpfulness, latency_p95, cost_per_query"
    assert msg["From"] == "slotui <slotui@example.com>"
    assert msg["To"] == "oncall@example.com, llm-team@example.com"
    assert msg["Date"].datetime is not None
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@example.com>")
    assert msg["References"].endswith(".group@example.com>")
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for slo in ("helpfulness", "latency_p95", "cost_per_query"):
        assert f"FIRING {slo} (critical)" in text
        assert f"{slo} (critical)</h3>" in html
        assert f"slotui silence add slo={slo}" in text
    assert "Budget:" in text and "42.0% left" in text
    assert '<a href="https://runbooks.example/llm">' in html


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
async def test_starttls_and_auth(cert, mechanism):
    other = "LOGIN" if mechanism == "PLAIN" else "PLAIN"
    with SMTPReceiver(cert=cert, starttls=True, users={"slotui": PASSWORD}, auth_exclude=[other]) as smtp:
        ch = channel(smtp.port, starttls=True, username="slotui", password=PASSWORD, ca_file=str(cert[0]))
        res = await ch.send(sample_notification([sample_alert()]))
        mails = smtp.messages
    assert res.ok, res
    (mail,) = mails
    assert mail.tls and mail.auth_user == "slotui"
    assert smtp.auth_successes == [("slotui", mechanism)]


async def test_ca_file_relative_to_the_slo_file(cert):
    with SMTPReceiver(cert=cert, starttls=True) as smtp:
        ch = channel(smtp.port, base_dir=cert[0].parent, starttls=True, ca_file=cert[0].name)
        res = await ch.send(sample_notification([sample_alert()]))
    assert res.ok, res


async def test_implicit_tls(cert):
    with SMTPReceiver(cert=cert, implicit_tls=True, users={"slotui": PASSWORD}) as smtp:
        ch = channel(smtp.port, tls=True, username="slotui", password=PASSWORD, ca_file=str(cert[0]))
        res = await ch.send(sample_notification([sample_alert()]))
        mails = smtp.messages
    assert res.ok, res
    assert mails[0].tls


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
async def test_wrong_password_is_final_with_server_message_and_no_password(cert, mechanism, caplog):
    caplog.set_level(logging.DEBUG)
    other = "LOGIN" if mechanism == "PLAIN" else "PLAIN"
    wrong = "wrongSECRETpw123"
    with SMTPReceiver(cert=cert, starttls=True, users={"slotui": PASSWORD}, auth_exclude=[other]) as smtp:
        ch = channel(smtp.port, starttls=True, username="slotui", password=wrong, ca_file=str(cert[0]))
        res = await ch.send(sample_notification([sample_alert()]))
        assert smtp.messages == [] and smtp.auth_failures == ["slotui"]
    assert not res.ok and not res.retryable and res.status_code == 535
    assert "authentication failed" in res.message and "Authentication credentials invalid" in res.message
    import base64

    for text in (res.message, caplog.text, repr(ch)):
        assert wrong not in text
        assert base64.b64encode(f"\0slotui\0{wrong}".encode()).decode() not in text
        assert base64.b64encode(wrong.encode()).decode() not in text


async def test_untrusted_certificate_is_a_final_tls_failure(cert):
    with SMTPReceiver(cert=cert, starttls=True) as smtp:
        ch = channel(smtp.port, starttls=True)  # system CAs do not know the self-signed cert
        res = await ch.send(sample_notification([sample_alert()]))
        assert smtp.messages == []
    assert not res.ok and not res.retryable and "TLS failed" in res.message
    assert "CERTIFICATE_VERIFY_FAILED" in res.message or "certificate verify failed" in res.message


async def test_starttls_required_but_not_offered():
    with SMTPReceiver() as smtp:
        ch = channel(smtp.port, starttls=True)
        res = await ch.send(sample_notification([sample_alert()]))
        assert smtp.messages == []
    assert not res.ok and not res.retryable and "STARTTLS" in res.message


async def test_server_down_is_retryable():
    with SMTPReceiver() as smtp:
        port = smtp.port
    ch = channel(port, password=PASSWORD, username="slotui")
    res = await ch.send(sample_notification([sample_alert()]))
    assert not res.ok and res.retryable and "cannot reach 127.0.0.1" in res.message
    assert PASSWORD not in res.message


async def test_refused_recipients():
    with SMTPReceiver(refuse_rcpt=["llm-team@example.com"]) as smtp:
        ch = channel(smtp.port)
        partly = await ch.send(sample_notification([sample_alert()]))
        ch_all = channel(smtp.port, to=["llm-team@example.com"])
        refused = await ch_all.send(sample_notification([sample_alert()]))
        mails = smtp.messages
    assert partly.ok and "refused recipients: llm-team@example.com" in partly.message
    assert [m.rcpt_tos for m in mails] == [["oncall@example.com"]]
    assert not refused.ok and not refused.retryable and "550" in refused.message
    assert "No such user" in refused.message


async def test_resolve_and_test_subjects():
    with SMTPReceiver() as smtp:
        ch = channel(smtp.port)
        assert (await ch.send(sample_notification([sample_alert(state="resolved")], kind="resolve"))).ok
        assert (await ch.send(sample_notification([sample_alert(is_test=True)], kind="test"))).ok
        subjects = [m.message()["Subject"] for m in smtp.messages]
    assert subjects == ["[RESOLVED:1] slotui: critical: helpfulness", "[TEST] [FIRING:1] slotui: critical: helpfulness"]


async def test_message_id_is_valid_for_engine_ids_and_stable_across_retries():
    # The engine's notification ids look like {severity="critical"}#3@team-email; copied into the
    # Message-ID they broke the header of every email (Message-ID: <...{severity=, no id-right).
    import re

    engine_id = '{severity="critical"}#3@team-email'
    n = sample_notification([sample_alert("helpfulness")], id=engine_id)
    later = n.model_copy(update={"id": '{severity="critical"}#4@team-email'})
    with SMTPReceiver() as smtp:
        ch = channel(smtp.port)
        for notification in (n, n, later):  # the second is a retry of the first
            assert (await ch.send(notification)).ok
        first, retry, other = (m.message() for m in smtp.messages)
    for msg in (first, retry, other):
        header = msg["Message-ID"]
        assert header.defects == (), header.defects
        assert re.fullmatch(r"<[0-9a-f]{32}\.slotui@example\.com>", str(header)), str(header)
    assert first["Message-ID"] == retry["Message-ID"]
    assert other["Message-ID"] != first["Message-ID"]
    assert first["References"] == other["References"]  # one group, one thread
