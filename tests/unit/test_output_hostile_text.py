"""Hostile text in reports: every renderer's output parses with a strict parser and shows the text
as it is.

- JUnit: ElementTree escaped ``<&>"`` but wrote XML 1.0's forbidden characters (NUL, ESC, other C0
  controls, lone surrogates, U+FFFE/U+FFFF) as they were: the file did not parse. Every text and
  attribute now goes through :func:`slotui.output.junit.xml_text`.
- Markdown: GitHub splits a table row at every unescaped ``|``, inside code spans too, so an SLO
  named ``a|b`` added a cell; backticks were deleted from names (the name shown was not the SLO's);
  ``&amp;`` showed as ``&``, ``~~x~~`` struck through, a warning starting with ``# `` became a
  heading. Checked by rendering with markdown-it (GitHub-flavoured tables) and reading cells back.
- The core: a source's error and notes (a server's words) become one printable line in the report
  (:func:`slotui.config.text.one_line`), whichever source put them there.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from slotui.config.text import one_line
from slotui.core.evaluate import evaluate_all, evaluate_slo
from slotui.core.types import GroupData, Report, SLIData, SLOResult, SLOSpec, Status
from slotui.output import junit, markdown, table

NOW = 1_780_315_200.0  # 2026-06-01T12:00:00Z
FORBIDDEN_IN_XML = "\x00\x01\x08\x0b\x0c\x1b\x1f\ud800\udfff\ufffe\uffff"
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _spec(name: str, **kw: object) -> SLOSpec:
    return SLOSpec(name=name, kind="threshold", target=1, direction="lower_is_better", **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- JUnit


def test_junit_is_well_formed_whatever_the_text() -> None:
    bad = f"x{FORBIDDEN_IN_XML}]]>y"
    spec = _spec(f"n{bad}", unit=f"u{bad}", source=f"s{bad}", description=f"d{bad}")
    results = (
        SLOResult(spec, Status.CRITICAL, NOW, value=2.0, error=f"e{bad}", notes=(f"note{bad}",)),
        SLOResult(_spec("nodata"), Status.NO_DATA, NOW, error=f"e{bad}"),
        SLOResult(_spec("ok"), Status.OK, NOW, value=0.5, notes=(f"ok{bad}",)),
    )
    report = Report(NOW, results, source_errors={f"src{bad}": f"m{bad}"}, warnings=(f"w{bad}",))
    for no_data_ok in (False, True):
        text = junit.render(report, no_data_ok=no_data_ok)
        root = ET.fromstring(text.encode("utf-8"))  # raises on any forbidden character
        names = [case.get("name") for case in root.iter("testcase")]
        assert names[0] == "nx\\x00\\x01\\x08\\x0b\\x0c\\x1b\\x1f\\ud800\\udfff\\ufffe\\uffff]]>y"
        failure = root.find(".//failure")
        assert failure is not None and "e" + names[0][1:] in (failure.get("message") or "")
        assert "\\x1b" in (root.find(".//system-err").text or "")  # type: ignore[union-attr]


@given(st.text())
@settings(max_examples=200, deadline=None)
def test_junit_parses_for_any_name_and_error(text: str) -> None:
    report = Report(NOW, (SLOResult(_spec(text or "n"), Status.CRITICAL, NOW, value=2.0, error=text),),
                    source_errors={"s": text}, warnings=(text,))
    ET.fromstring(junit.render(report).encode("utf-8"))


def test_xml_text_keeps_what_xml_allows() -> None:
    assert junit.xml_text("tab\tnl\ncr\r é ✔ 🔴 <&>") == "tab\tnl\ncr\r é ✔ 🔴 <&>"
    assert junit.xml_text("\x00\x1b\ud800\uffff") == "\\x00\\x1b\\ud800\\uffff"


# ---------------------------------------------------------------------- Markdown


def _table_cells(text: str) -> list[list[str]]:
    """Body rows of the first table as GitHub renders it, each cell as plain text."""
    rendered = MD.render(text)
    body = rendered.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
            for row in rows]


HOSTILE_NAMES = ["a|b", "lat`p95`", "``x``", "`edge", "a&amp;b", "~~struck~~", "*bold* _it_", "<b>x</b>",
                 "[link](http://x)", "a\\|b", "|", "x | y | z"]


def test_markdown_table_shows_every_name_and_unit_as_it_is() -> None:
    results = tuple(SLOResult(_spec(name, unit="m|s&amp;"), Status.OK, NOW, value=0.5, meets_target=True)
                    for name in HOSTILE_NAMES)
    rows = _table_cells(markdown.render(Report(NOW, results)))
    assert len(rows) == len(HOSTILE_NAMES)
    assert all(len(row) == 6 for row in rows)  # no pipe added a cell
    assert [row[1] for row in rows] == HOSTILE_NAMES
    assert {row[2] for row in rows} == {"0.5 m|s&amp;"}


def test_markdown_lists_show_names_and_messages_as_they_are() -> None:
    spec = _spec("a`|`b")
    result = SLOResult(spec, Status.NO_DATA, NOW, error="~~gone~~ & &amp; <i>x</i> a|b")
    report = Report(NOW, (result,), source_errors={"s|`x`": "bad | *thing*"},
                    warnings=("# not a heading", "1. not a list", "> not a quote", "- nested?"))
    rendered = MD.render(markdown.render(report))
    items = [html.unescape(re.sub(r"<[^>]+>", "", i)) for i in re.findall(r"<li>(.*?)</li>", rendered, flags=re.S)]
    assert "a`|`b: ~~gone~~ & &amp; <i>x</i> a|b" in items
    assert "s|`x`: bad | *thing*" in items
    assert {"# not a heading", "1. not a list", "> not a quote", "- nested?"} <= set(items)
    assert "<h1>" not in rendered and "<ol" not in rendered and "<blockquote>" not in rendered
    assert "<del>" not in rendered and "<s>" not in rendered and "<i>" not in rendered


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1))
@settings(max_examples=300, deadline=None)
def test_code_span_shows_the_text_in_a_cell_and_in_a_list(text: str) -> None:
    if not text.strip():
        return  # CommonMark shows an all-space code span as it is, but strips nothing: not a name
    cell = MD.render(f"| a |\n|---|\n| {markdown.code_span(text, cell=True)} |\n")
    listed = MD.render(f"- {markdown.code_span(text)}\n")
    for rendered in (cell, listed):
        codes = re.findall(r"<code>(.*?)</code>", rendered, flags=re.S)
        assert [html.unescape(c) for c in codes] == [text]


# ---------------------------------------------------------------------- the core passes text on as one line


def test_one_line_escapes_controls_and_joins_lines() -> None:
    assert one_line("plain text, é ✔") == "plain text, é ✔"
    assert one_line("a\nb\r\nc\td \x1b[2J\x00 \ud800 \u202e") == "a b c d \\x1b[2J\\x00 \\ud800 \\u202e"


def test_evaluate_slo_writes_source_text_as_one_printable_line() -> None:
    spec = SLOSpec(name="ratio", kind="ratio", target=0.99, direction="higher_is_better", breakdown=("model",))
    data = SLIData(
        error="HTTP 400: \x1b[31mred\x00\nCRITICAL forged", note="partial\nanswer \x07",
        groups=(GroupData(by="model", window=3600.0, note="model: failed \x1b]0;title\x07"),),
    )
    result = evaluate_slo(spec, data, NOW)
    assert result.error == "HTTP 400: \\x1b[31mred\\x00 CRITICAL forged"
    assert "partial answer \\x07" in result.notes
    assert result.breakdowns[0].notes == ("model: failed \\x1b]0;title\\x07",)
    text = table.render(Report(NOW, (result,)))
    assert "\x1b" not in text and "\x00" not in text
    assert not any(line.startswith("CRITICAL forged") for line in text.splitlines())


def test_evaluate_all_writes_source_errors_and_warnings_as_one_printable_line() -> None:
    spec = SLOSpec(name="v", kind="threshold", target=1, direction="lower_is_better", source="prom")
    report = evaluate_all([spec], {}, NOW, source_errors={"prom": "down\n\x1b[2J\ud800"}, warnings=("w\x00\nx",))
    assert report.source_errors == {"prom": "down \\x1b[2J\\ud800"}
    assert report.warnings == ("w\\x00 x",)
    assert report.results[0].error == "down \\x1b[2J\\ud800"
    assert report.results[0].status is Status.NO_DATA


@pytest.mark.parametrize("clean", ["connection refused", "HTTP 503 from http://127.0.0.1:1/", "é ✔ ünïcode"])
def test_printable_source_text_is_kept_as_it_is(clean: str) -> None:
    spec = SLOSpec(name="v", kind="threshold", target=1, direction="lower_is_better", source="prom")
    report = evaluate_all([spec], {}, NOW, source_errors={"prom": clean})
    assert report.source_errors == {"prom": clean} and report.results[0].error == clean


# ---------------------------------------------------------------------- the low-traffic note


def _low(status: Status, min_events: int) -> SLOResult:
    spec = SLOSpec(name="av", kind="ratio", target=0.99, direction="higher_is_better", min_events=min_events)
    return SLOResult(spec, status, NOW, value=None if status is Status.NO_DATA else 0.995, low_traffic=True,
                     error="file not found" if status is Status.NO_DATA else None)


def test_low_traffic_note_reads_in_english_and_not_on_a_failed_source() -> None:
    """It read "low traffic (fewer than 1 events)" on every SLO, also on one whose file was missing."""
    assert table.result_notes(_low(Status.OK, 1)) == ["low traffic (a window has no events): burn-rate alerts held back"]
    assert table.result_notes(_low(Status.AT_RISK, 1000)) == [
        "low traffic (a window has fewer than 1,000 events): burn-rate alerts held back"]
    assert table.result_notes(_low(Status.NO_DATA, 1)) == ["file not found"]
