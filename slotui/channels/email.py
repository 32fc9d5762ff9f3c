"""Email over SMTP: one message per notification (one group of alerts).

The message is ``multipart/alternative`` with a ``text/plain`` part and a
``text/html`` part carrying the same facts. Headers: ``From``, ``To``,
``Subject`` (``[FIRING:3] slotui: critical: a, b, c``; ``[TEST]`` first for
test alerts), ``Date``, ``Message-ID``, and ``References`` naming the group
so mail clients thread a group's firing and resolved messages together.

Transport (stdlib ``smtplib`` in a worker thread, so the event loop never
waits on the network): implicit TLS when ``tls`` (port 465 style), else
STARTTLS when ``starttls`` (refusing to send if the server does not offer it),
else plain SMTP; then ``AUTH`` when a username is set. ``ca_file`` trusts a
private CA.

Answers: 250 for the message is delivered (recipients the server refused are
named in the message). SMTP 4xx and network trouble are retryable; 5xx
(e.g. ``535 Authentication credentials invalid``), a TLS failure or a server
without STARTTLS/AUTH are not. The password (and its base64 forms, as sent by
AUTH PLAIN/LOGIN) never appears in a message.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import re
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

from slotui.channels import http, render
from slotui.channels.base import DeliveryResult

if TYPE_CHECKING:
    from slotui.alerting.notification import Alert, Notification
    from slotui.config.model import EmailChannel as EmailChannelConfig

_HEAD = re.compile(r"(\[(?:FIRING|RESOLVED|ACK):\d+\]) ")


def subject(notification: "Notification") -> str:
    """``[FIRING:3] slotui: critical: a, b, c`` (``[TEST] `` first for tests)."""
    title = notification.title
    out, n = _HEAD.subn(r"\1 slotui: ", title, count=1)
    return out if n else f"slotui: {title}"


def _alert_lines(alert: "Alert") -> list[str]:
    head = f"{render.status_word(alert)} {alert.slo} ({alert.severity})"
    if alert.is_test:
        head = "[TEST] " + head
    lines = [head, f"  {alert.summary}"]
    if render.description(alert):
        lines.append(f"  {render.description(alert)}")
    rows = [(f.label, f.value) for f in render.facts(alert)]
    runbook = render.runbook_url(alert)
    if runbook:
        rows.append(("Runbook", runbook))
    if alert.state == "firing":
        rows.append(("Silence", render.silence_command(alert)))
    width = max(len(label) for label, _ in rows) + 1
    lines.extend(f"  {label + ':':<{width}} {value}" for label, value in rows)
    return lines


def text_body(notification: "Notification") -> str:
    """The plain-text part: the title, then each alert with its facts."""
    lines = [subject(notification), ""]
    for alert in notification.alerts:
        lines.extend(_alert_lines(alert))
        lines.append("")
    if notification.truncated_alerts:
        lines.append(f"+{notification.truncated_alerts} more alerts not shown")
    if notification.external_url:
        lines.append(f"slotui: {notification.external_url}")
    lines.append(f"group: {notification.group_key}")
    return "\n".join(lines) + "\n"


_COLOURS = {"FIRING": "#c62828", "RESOLVED": "#2e7d32", "ACKED": "#6d4c41"}


def html_body(notification: "Notification") -> str:
    """The HTML part: the same facts as the text part, one table per alert."""
    e = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head>",
        "<body style=\"font-family:sans-serif\">",
        f"<h2>{e(subject(notification))}</h2>",
    ]
    for alert in notification.alerts:
        status = render.status_word(alert)
        colour = _COLOURS.get(status, "#333")
        test = "[TEST] " if alert.is_test else ""
        parts.append(
            f"<h3><span style=\"color:{colour}\">{test}{status}</span> {e(alert.slo)} ({e(alert.severity)})</h3>"
        )
        parts.append(f"<p>{e(alert.summary)}</p>")
        if render.description(alert):
            parts.append(f"<p>{e(render.description(alert))}</p>")
        parts.append("<table cellpadding=\"4\" style=\"border-collapse:collapse\">")
        for f in render.facts(alert):
            parts.append(f"<tr><th align=\"left\">{e(f.label)}</th><td>{e(f.value)}</td></tr>")
        runbook = render.runbook_url(alert)
        if runbook:
            parts.append(
                f"<tr><th align=\"left\">Runbook</th>"
                f"<td><a href=\"{e(runbook, quote=True)}\">{e(runbook)}</a></td></tr>"
            )
        if alert.state == "firing":
            parts.append(
                f"<tr><th align=\"left\">Silence</th><td><code>{e(render.silence_command(alert))}</code></td></tr>"
            )
        parts.append("</table>")
    if notification.truncated_alerts:
        parts.append(f"<p>+{notification.truncated_alerts} more alerts not shown</p>")
    parts.append(f"<p style=\"color:#777\">group {e(notification.group_key)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def message_id(notification: "Notification", domain: str) -> str:
    """``<HEX.slotui@DOMAIN>``: the same for every attempt at one notification (a retry after a lost
    answer is one message to a mail client, not two), different for any other.

    The notification id (``{severity="critical"}#3@team-email``) is hashed, not copied: quotes,
    braces and ``@`` are not allowed in a msg-id, and copying it broke the header of every email
    (``Message-ID: <...{severity=``). ``created_at`` keeps ids apart when a new state file
    starts the group's numbering again."""
    digest = hashlib.sha256(f"{notification.id}\0{notification.created_at!r}".encode("utf-8", "surrogatepass"))
    return f"<{digest.hexdigest()[:32]}.slotui@{domain}>"


def _set_text_header(msg: EmailMessage, name: str, value: str) -> None:
    """``value`` as the header ``name``; non-ASCII text as RFC 2047 encoded words folded here.

    Python's folder (3.11, 3.12) splits a long header just before a non-ASCII character into an
    empty encoded word, ``=?utf-8?q??=``, which RFC 2047 does not allow (``encoded-text`` has at
    least one character): strict mail readers showed it as text. ``email.header.Header`` encodes
    and folds whole words, and the message keeps its lines as they are (none over 76 characters,
    so the policy does not fold them again)."""
    if value.isascii():
        msg[name] = value
        return
    from email.header import Header

    msg.set_raw(name, Header(value, "utf-8", header_name=name).encode(linesep="\n"))


def build_message(
    notification: "Notification", *, sender: str, to: list[str], now: float | None = None
) -> EmailMessage:
    """The whole email for one notification (headers and both parts)."""
    msg = EmailMessage()
    domain = parseaddr(sender)[1].rpartition("@")[2] or "slotui.local"
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    _set_text_header(msg, "Subject", subject(notification))
    msg["Date"] = formatdate(now, usegmt=True)
    msg["Message-ID"] = message_id(notification, domain)
    group_ref = f"<{hashlib.sha1(notification.group_key.encode()).hexdigest()[:24]}.group@{domain}>"
    msg["References"] = group_ref
    _set_text_header(msg, "X-Slotui-Group-Key", notification.group_key)
    msg.set_content(text_body(notification))
    msg.add_alternative(html_body(notification), subtype="html")
    return msg


def _smtp_detail(resp: object) -> str:
    if isinstance(resp, bytes):
        return resp.decode("utf-8", "replace")
    return str(resp)


class EmailChannel:
    """Sends one email per notification through an SMTP server."""

    def __init__(self, name: str, config: "EmailChannelConfig", *, base_dir: Path | None = None) -> None:
        self.name = name
        self.send_resolved = config.send_resolved
        self._cfg = config
        self.timeout = float(config.timeout)
        ca = config.ca_file
        if ca:
            p = Path(ca).expanduser()
            ca = str(p if p.is_absolute() else Path(base_dir or ".") / p)
        self._ca_file = ca
        secrets: list[str] = []
        if config.password:
            pw = config.password
            user = config.username or ""
            secrets += [
                pw,
                base64.b64encode(pw.encode()).decode(),
                base64.b64encode(f"\0{user}\0{pw}".encode()).decode(),
                base64.b64encode(f"{user}\0{user}\0{pw}".encode()).decode(),
            ]
        self._secrets = http.secret_parts(*secrets)

    def __repr__(self) -> str:
        return f"EmailChannel({self.name!r}, {self._cfg.host}:{self._cfg.port})"

    def _ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self._ca_file)

    def _deliver(self, msg: EmailMessage) -> dict[str, tuple[int, bytes]]:
        """Blocking SMTP conversation; runs in a worker thread. Returns refused recipients."""
        cfg = self._cfg
        if cfg.tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=cfg.timeout, context=self._ssl_context()
            )
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        with smtp:
            smtp.ehlo()
            if cfg.starttls and not cfg.tls:
                if not smtp.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS (starttls: true)")
                smtp.starttls(context=self._ssl_context())
                smtp.ehlo()
            if cfg.username:
                smtp.login(cfg.username, cfg.password or "")
            return smtp.send_message(msg, from_addr=parseaddr(cfg.from_)[1] or cfg.from_, to_addrs=cfg.to)

    def _failure(self, exc: BaseException) -> DeliveryResult:
        what = "email"
        code: int | None = None
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            codes = [c for c, _ in exc.recipients.values()]
            detail = "; ".join(f"{rcpt}: {c} {_smtp_detail(m)}" for rcpt, (c, m) in exc.recipients.items())
            message = f"{what}: all recipients refused ({detail})"
            retryable = bool(codes) and all(400 <= c < 500 for c in codes)
            code = codes[0] if codes else None
        elif isinstance(exc, smtplib.SMTPResponseException):
            code = exc.smtp_code
            kind = "authentication failed" if isinstance(exc, smtplib.SMTPAuthenticationError) else "refused"
            message = f"{what}: {kind}: {code} {_smtp_detail(exc.smtp_error)}"
            retryable = 400 <= code < 500 or code == -1
        elif isinstance(exc, smtplib.SMTPNotSupportedError):
            message, retryable = f"{what}: {exc}", False
        elif isinstance(exc, smtplib.SMTPServerDisconnected):
            message, retryable = f"{what}: server disconnected ({exc})", True
        elif isinstance(exc, ssl.SSLError):
            message, retryable = f"{what}: TLS failed ({exc.__class__.__name__}: {exc})", False
        elif isinstance(exc, (socket.timeout, TimeoutError)):
            message, retryable = f"{what}: timed out talking to {self._cfg.host}:{self._cfg.port}", True
        elif isinstance(exc, OSError):
            message, retryable = f"{what}: cannot reach {self._cfg.host}:{self._cfg.port} ({exc})", True
        else:
            message, retryable = f"{what}: {exc.__class__.__name__}: {exc}", True
        message = http.mask(" ".join(message.split()), self._secrets)
        return DeliveryResult.failed(http.truncate(message, 500), retryable=retryable, status_code=code)

    async def send(self, notification: "Notification") -> DeliveryResult:
        skip = render.skip_reason(self.send_resolved, notification)
        if skip:
            return DeliveryResult.delivered(message=skip)
        msg = build_message(notification, sender=self._cfg.from_, to=list(self._cfg.to))
        try:
            refused = await asyncio.to_thread(self._deliver, msg)
        except (smtplib.SMTPException, OSError) as exc:
            return self._failure(exc)
        if refused:
            names = ", ".join(sorted(refused))
            return DeliveryResult.delivered(
                250, http.mask(f"email: sent; refused recipients: {names}", self._secrets)
            )
        return DeliveryResult.delivered(250, f"email: sent to {len(self._cfg.to)} recipient(s)")

    async def aclose(self) -> None:
        return None
