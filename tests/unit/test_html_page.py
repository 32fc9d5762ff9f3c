"""An HTML page where JSON was expected is summed up by its title or visible words."""

from __future__ import annotations

import pytest

from slotui.sources.kit.html_page import html_summary, is_html

NGINX_502 = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
             "</center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n")
LOGIN = ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Sign in &middot; Okta</title>'
         "<script>var x = '<b>';</script><style>body{color:red}</style></head><body><form>...</form></body></html>")


@pytest.mark.parametrize(("text", "ctype", "want"), [
    (NGINX_502, "", "502 Bad Gateway"),
    (LOGIN, "text/html; charset=utf-8", "Sign in · Okta"),
    ("<html><body><h1>Please   log\nin</h1><script>alert(1)</script></body></html>", "", "Please log in"),
    ("<!-- proxy --><body>Access &amp; denied</body>", "", "Access & denied"),
    ("<html></html>", "", ""),
])
def test_a_page_is_summed_up_by_its_title_else_its_visible_text(text: str, ctype: str, want: str) -> None:
    assert is_html(text, ctype)
    assert html_summary(text) == want


@pytest.mark.parametrize("text", ['{"status": "success"}', "upstream exploded", "<not html at all", "[1, 2]", ""])
def test_what_is_not_a_page_is_left_alone(text: str) -> None:
    assert not is_html(text, "application/json")


def test_a_long_title_is_cut_with_a_mark() -> None:
    got = html_summary(f"<title>{'x' * 300}</title>", limit=50)
    assert len(got) == 50 and got.endswith("…")
