"""Reports for people and machines: each module renders a :class:`~slotui.core.types.Report` to text.

- ``table``: aligned plain text with status icons (``slotui check`` default);
- ``json_report``: the documented, versioned JSON report (``docs/report-schema.md``);
- ``junit``: JUnit XML, one testcase per SLO;
- ``markdown``: a GitHub job-summary table;
- ``exposition``: Prometheus text format for the daemon's ``/metrics``;
- ``metrics_listener``: the daemon's bounded HTTP listener for ``/metrics`` and ``/healthz``.

How every value is written (units, percentages, durations, rates) lives in
:mod:`slotui.formatting`, shared with the TUI and the channels.

Every renderer is a pure function ``render(report, ...) -> str``; modules are
imported by the caller that needs them, so none of them loads the others.
"""

from __future__ import annotations

FORMATS = ("table", "json", "junit", "markdown", "prometheus")


def render(report, fmt: str = "table", **options) -> str:  # type: ignore[no-untyped-def]
    """Render ``report`` in one of :data:`FORMATS`; ``options`` go to that renderer."""
    if fmt == "table":
        from slotui.output.table import render as r
    elif fmt == "json":
        from slotui.output.json_report import render as r
    elif fmt == "junit":
        from slotui.output.junit import render as r
    elif fmt == "markdown":
        from slotui.output.markdown import render as r
    elif fmt in ("prometheus", "exposition"):
        from slotui.output.exposition import render as r
    else:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return r(report, **options)
