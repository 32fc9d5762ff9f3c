"""An HTML page where an API's JSON was expected: a proxy's login page, a load balancer's error page.

Shown raw, a reason read ``malformed JSON ... ('<!DOCTYPE html><html lang="en"><head><meta
charset=...')`` or ``HTTP 502 from ...: <html><head><title>502 Bad Gateway</title>...``: tags,
not the words. :func:`html_summary` gives the page's title (else its visible text) so the reason
says what the page is.
"""

from __future__ import annotations

import html
import re

_HTML_START = re.compile(r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|title|meta|h1)\b",
                         re.IGNORECASE | re.DOTALL)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_INVISIBLE = re.compile(r"<(script|style|head)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def is_html(text: str, content_type: str = "") -> bool:
    """True when ``text`` is an HTML page (by its ``Content-Type`` or its first tag)."""
    return "html" in content_type.lower() or bool(_HTML_START.match(text))


def html_summary(text: str, limit: int = 120) -> str:
    """The page's ``<title>``, else its visible text, as one line of at most ``limit`` characters."""
    match = _TITLE.search(text)
    words = match.group(1) if match else _TAG.sub(" ", _INVISIBLE.sub(" ", text))
    line = " ".join(html.unescape(_TAG.sub(" ", words)).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
