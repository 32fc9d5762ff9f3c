"""Checks for the strings of an SLO file that reach a log line, the TUI or a notification.

A name with a newline forges log lines; ESC starts terminal escape sequences;
bidi overrides (U+202A..U+202E, U+2066..U+2069) make a name read differently
from what it is. Names and labels allow none of them; free text (a
description) allows newlines and tabs only. Messages say which character and
where, never repeating the value (it may come from a secret variable).
"""

from __future__ import annotations

import re
import unicodedata

#: bidirectional formatting characters (embeddings, overrides, isolates, marks)
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

_NAMES = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", "\x00": "a NUL byte", "\x1b": "ESC",
          " ": "a space"}


def _describe(ch: str) -> str:
    return _NAMES.get(ch, f"U+{ord(ch):04X}")


def _first_bad(text: str, allowed: str) -> tuple[int, str] | None:
    for i, ch in enumerate(text):
        if ch in allowed:
            continue
        if ch in BIDI or unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp"):
            return i, ch
    return None


def check_name(text: str) -> str:
    """A name or label: printable characters only."""
    bad = _first_bad(text, "")
    if bad is not None:
        i, ch = bad
        raise ValueError(
            f"contains {_describe(ch)} at character {i + 1}; names and labels must be printable "
            "(no control or bidi characters)"
        )
    return text


def check_text(text: str) -> str:
    """Free text: printable characters, newlines and tabs."""
    bad = _first_bad(text, "\n\t")
    if bad is not None:
        i, ch = bad
        raise ValueError(
            f"contains {_describe(ch)} at character {i + 1}; expected printable text (no control or bidi characters)"
        )
    return text


#: an HTTP header name: an RFC 9110 token
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _first_non_ascii(text: str, allowed: str = "") -> tuple[int, str] | None:
    """The first character of ``text`` that is not printable ASCII (nor in ``allowed``), with its index."""
    for i, ch in enumerate(text):
        if not (" " <= ch <= "~" or ch in allowed):
            return i, ch
    return None


def _header_value_problem(value: str) -> str | None:
    bad = _first_non_ascii(value, "\t")
    if bad is None:
        return None
    return f"character {bad[0] + 1} is {_describe(bad[1])}, and a header value must be printable ASCII"


def check_header_value(text: str) -> str:
    """A value sent in an HTTP header (a bearer token): printable ASCII. A token with ``é`` crashed the
    HTTP client when the channel or source was built (a UnicodeEncodeError traceback). The message
    never repeats the value: it is often a credential."""
    problem = _header_value_problem(text)
    if problem:
        raise ValueError(f"cannot be sent in an HTTP header: {problem}")
    return text


def check_smtp_login(text: str) -> str:
    """An SMTP user name or password: printable ASCII (smtplib's AUTH sends them as ASCII; a password
    with ``é`` failed every delivery attempt with a UnicodeEncodeError). Never repeats the value."""
    bad = _first_non_ascii(text)
    if bad is not None:
        raise ValueError(f"character {bad[0] + 1} is {_describe(bad[1])}; SMTP AUTH sends only printable ASCII")
    return text


def check_headers(headers: dict[str, str]) -> dict[str, str]:
    """Extra HTTP headers: names are tokens (``X-Scope-OrgID``), values printable ASCII. Checked when the
    file is read: a bad one was a traceback when the first request was built. Names the header, never
    its value (``X-Api-Key: ...``)."""
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(
                f"header name {name!r} is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~, no spaces or colons)"
            )
        problem = _header_value_problem(value)
        if problem:
            raise ValueError(f"the value of header {name!r} cannot be sent: {problem}")
    return headers


def check_non_blank(text: str) -> str:
    """A path, URL, host or credential: not empty and not only blanks (an empty ``${VAR}``)."""
    if not text.strip():
        raise ValueError("cannot be empty or blank; expected a value (from an empty ${VAR}?)")
    return text


def check_http_url(text: str) -> str:
    """An ``http://`` or ``https://`` URL with a host and, if given, a port from 1 to 65535.

    Checked when the file is read (a bad one gave a ValueError traceback from ``check``, or a
    source error at every fetch). The message never repeats the URL: it may hold a secret
    (a Slack webhook path, a token in the query).
    """
    from urllib.parse import urlsplit

    bad = _first_space_or_control(text.strip())
    if bad is not None:  # (accepted, it failed only at delivery; percent-encode it)
        raise ValueError(f"expected an http:// or https:// URL without spaces or control characters "
                         f"(character {bad[0]} is {_describe(bad[1])}; percent-encode it, e.g. %20 for a space)")
    try:
        parts = urlsplit(text.strip())
        port = parts.port  # raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise ValueError(f"expected an http:// or https:// URL ({exc})") from None
    if not parts.scheme or not parts.netloc and parts.path[:1].isdigit():  # 127.0.0.1:9090, localhost
        raise ValueError("expected an http:// or https:// URL; this one has no scheme (write http://HOST:PORT)")
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"expected an http:// or https:// URL (scheme: '{parts.scheme}://')")
    if not parts.hostname:
        raise ValueError("expected an http:// or https:// URL with a host, e.g. http://127.0.0.1:9090")
    if port == 0:
        raise ValueError("expected an http:// or https:// URL (Port out of range 1-65535)")
    return text


def _first_space_or_control(text: str) -> tuple[int, str] | None:
    """``(position from 1, character)`` of the first whitespace, control or format character of an
    address (a URL, a host name), or None."""
    for i, ch in enumerate(text, 1):
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            return i, ch
    return None


def check_host_name(text: str) -> str:
    """A host name or address to connect to (an SMTP server): no user, password, port or path in it
    (``user:pass@smtp.example`` was accepted and failed at delivery), no space or control character."""
    host = text.strip()
    bad = _first_space_or_control(host)
    if bad is not None:
        raise ValueError(f"expected a host name without spaces or control characters (character {bad[0]} is "
                         f"{_describe(bad[1])})")
    if "@" in host or "/" in host:
        raise ValueError("expected a host name only, e.g. smtp.example.com: put the user and password in "
                         "username/password and the port in port")
    return text


def check_plain_base_url(text: str) -> str:
    """A base URL without query or fragment, for a client that joins paths to it by text
    (LangSmith's SDK would put its API paths into the query)."""
    from urllib.parse import urlsplit

    parts = urlsplit(text.strip())
    if parts.query or parts.fragment:
        raise ValueError("expected the API's base URL without '?...' or '#...': the client adds its paths "
                         "after it (put the key in api_key)")
    return text


def printable(text: str) -> str:
    """``text`` with every control, bidi or line/paragraph separator character written as an escape
    (``\\x1b``, ``\\u202e``), for text from data (a log's label value) that reaches a terminal, a
    JUnit file (XML 1.0 has no ESC) or a notification. Printable text is returned as it is."""
    if _first_bad(text, "") is None:
        return text
    return "".join(
        (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        if ch in BIDI or unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") else ch
        for ch in text
    )



def one_line(text: str) -> str:
    """``text`` from outside (a server's error message, a source's note) as one printable line:
    runs of whitespace, newlines included, become one space (a ``\\n`` in a message would forge a
    line of ``slotui check``'s table or of a log), then :func:`printable` escapes what is left
    (ESC, NUL, bidi overrides, a lone surrogate that no UTF-8 output can encode)."""
    if text.isprintable():
        return text
    return printable(" ".join(text.split()))
