"""JUnit XML of a report (``slotui check --format junit``), for CI test-report views.

One ``<testsuite name="slotui">`` inside ``<testsuites>``, one ``<testcase>``
per SLO (``classname="slotui.<source>"``, ``name=<slo>``), in config order:

- CRITICAL: ``<failure type="CRITICAL">``;
- WARNING: ``<failure type="WARNING">`` with ``fail_on="warning"`` (the
  default); with ``fail_on="critical"`` the case passes and the warning is
  written to its ``<system-out>``;
- NO DATA and STALE: ``<error>`` (the SLO could not be checked, like a test
  that could not run; this matches exit code 3, UNKNOWN). With
  ``no_data_ok=True`` (``--no-data ok``) they become ``<skipped>`` instead;
- OK and AT RISK pass (AT RISK is noted in ``<system-out>``).

The ``message`` attribute reads ``CRITICAL: 6,000 ms vs target ≤ 2,000 ms
(warning 3,000 ms, critical 5,000 ms)``; the element text and
``<system-out>`` carry budget and burn-rate details. Suite-level
``<properties>`` hold the evaluation time and overall compliance; source errors
and config warnings go to the suite's ``<system-err>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Literal

from slotui.clock import strftime_utc
from slotui.core.types import Report, SLOResult, Status
from slotui.formatting import (
    format_burn,
    format_duration,
    format_percent,
    format_target,
    format_value,
    overall_line,
    result_judged,
    result_samples_line,
    result_spread,
    rfc3339,
)
from slotui.output.table import contributor_lines, result_notes


#: characters XML 1.0 does not allow in a document at all, even escaped (C0 controls but tab,
#: newline and carriage return; surrogates; U+FFFE, U+FFFF): ElementTree writes them as they are
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 forbids written as ``\\xNN`` / ``\\uNNNN``, so the
    document always parses (a CI report view rejects the whole file for one ESC byte)."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def _well_formed(root: ET.Element) -> None:
    """Apply :func:`xml_text` to every text, tail and attribute value under ``root``, in place."""
    for element in root.iter():
        if element.text:
            element.text = xml_text(element.text)
        if element.tail:
            element.tail = xml_text(element.tail)
        for key, value in element.attrib.items():
            element.set(key, xml_text(value))


def describe(result: SLOResult) -> str:
    """``6,000 ms vs target ≤ 2,000 ms (warning 3,000 ms, critical 5,000 ms)``; a forecast SLO's
    projection, which its status is judged on: ``projected $3,260 by Nov 30 ($2,140 so far) vs ...``."""
    spec = result.spec
    fmt = lambda v: format_value(v, spec.unit, kind=spec.kind, precise=True)  # noqa: E731
    text = (
        f"{result_judged(result)} vs target "
        f"{format_target(spec.target, spec.direction, spec.unit, kind=spec.kind)}"
    )
    extra = []
    if spec.warning is not None:
        extra.append(f"warning {fmt(spec.warning)}")
    if spec.critical is not None:
        extra.append(f"critical {fmt(spec.critical)}")
    if extra:
        text += f" ({', '.join(extra)})"
    return text


def details(result: SLOResult) -> str:
    """Multi-line details: value, budget, burn rates, notes."""
    lines = [f"status: {result.status.value}", f"value: {describe(result)}"]
    if result.good is not None and result.total is not None:
        lines.append(f"events: {result.good:g} good of {result.total:g}")
    b = result.budget
    if b is not None:
        line = f"error budget remaining: {format_percent(b.remaining)}"
        if b.time_left is not None:
            line += f" ({format_duration(b.time_left)} of bad time left)"
        lines.append(line)
    for br in result.burn_rates:
        fired = "FIRING" if result.spec.kind == "ratio" else "burning"  # (a threshold SLO pages on its levels)
        state = fired if br.firing else ("low traffic" if br.low_traffic else "ok")
        lines.append(
            f"burn rate {br.severity} {format_burn(br.long_rate, br.long_window)} "
            f"short {format_burn(br.short_rate, br.short_window)} factor {br.factor:.3g}: {state}"
        )
    samples = result_samples_line(result)
    if samples:
        lines.append(f"samples: {result_spread(result)} ({samples})")
    lines.extend(f"note: {n}" for n in result_notes(result))
    lines.extend(f"top contributor: {line}" for _name, line in contributor_lines([result]))
    return "\n".join(lines)


def render(
    report: Report,
    *,
    fail_on: Literal["warning", "critical"] | str = "warning",
    no_data_ok: bool = False,
) -> str:
    """The report as a JUnit XML document (UTF-8 declaration, ends with a newline)."""
    failing = {Status.CRITICAL} if fail_on == "critical" else {Status.CRITICAL, Status.WARNING}
    suites = ET.Element("testsuites", name="slotui")
    # Ant's JUnit schema (what strict report parsers validate against) takes the suite's timestamp
    # as YYYY-MM-DDTHH:MM:SS, no zone, no fraction: UTC here; the evaluated_at property has the zone
    suite = ET.SubElement(suites, "testsuite", name="slotui",
                          timestamp=strftime_utc(report.evaluated_at, "%Y-%m-%dT%H:%M:%S"))
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="evaluated_at", value=rfc3339(report.evaluated_at) or "")
    ET.SubElement(props, "property", name="overall", value=overall_line(report.meeting, len(report.results)))
    ET.SubElement(props, "property", name="fail_on", value=str(fail_on))
    failures = errors = skipped = 0
    for result in report.results:
        case = ET.SubElement(
            suite, "testcase", classname=f"slotui.{result.spec.source}", name=result.spec.name, time="0"
        )
        message = f"{result.status.value}: {describe(result)}"
        if result.error:
            message += f"; {result.error}"
        body = details(result)
        if result.status in failing:
            ET.SubElement(case, "failure", message=message, type=result.status.value).text = body
            failures += 1
        elif result.status in (Status.NO_DATA, Status.STALE) and not no_data_ok:
            ET.SubElement(case, "error", message=message, type=result.status.value).text = body
            errors += 1
        elif result.status in (Status.NO_DATA, Status.STALE):
            ET.SubElement(case, "skipped", message=message)
            ET.SubElement(case, "system-out").text = body
            skipped += 1
        else:
            ET.SubElement(case, "system-out").text = body
    suite.set("tests", str(len(report.results)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    suite.set("time", "0")
    for k in ("tests", "failures", "errors", "skipped"):
        suites.set(k, suite.get(k, "0"))
    problems = [f"source {n}: {m}" for n, m in sorted(report.source_errors.items())]
    problems += [f"warning: {w}" for w in report.warnings]
    if problems:
        ET.SubElement(suite, "system-err").text = "\n".join(problems)
    _well_formed(suites)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
