"""Sloth's names for SLOs (slotui.sources.kit.sloth_ids): the ``<service>-`` prefix comes off unless
two SLOs would then carry the same labels; the exporter and the recorded reader agree (pure)."""

from __future__ import annotations

from slotui.core.types import DAY, HOUR, SLOSpec
from slotui.peers.prometheus_rules import prometheus_rules
from slotui.sources.kit.prometheus_recorded import detection_query, missing_windows, record_query, selector
from slotui.sources.kit.sloth_ids import sloth_labels, sloth_names


def spec(name: str, service: str | None = "checkout", source: str = "prom", **kw: object) -> SLOSpec:
    base: dict[str, object] = dict(
        name=name, kind="ratio", target=0.99, direction="higher_is_better", window=HOUR, period=30 * DAY,
        labels={"service": service} if service else {}, source=source,
        good='sum(rate(ok_total[{{window}}]))', total='sum(rate(all_total[{{window}}]))',
    )
    base.update(kw)
    return SLOSpec(**base)  # type: ignore[arg-type]


def test_the_prefix_comes_off_when_no_other_slo_takes_the_rest() -> None:
    assert sloth_names([spec("checkout-latency"), spec("availability")]) == {
        "checkout-latency": "latency", "availability": "availability"}


def test_an_slo_named_the_rest_keeps_the_prefixed_one_whole() -> None:
    specs = [spec("latency"), spec("checkout-latency")]
    naming = sloth_names(specs)
    assert naming == {"latency": "latency", "checkout-latency": "checkout-latency"}
    labels = [sloth_labels(s, naming) for s in specs]
    assert labels[0] == {"sloth_id": "checkout-latency", "sloth_service": "checkout", "sloth_slo": "latency"}
    assert labels[1] == {"sloth_id": "checkout-checkout-latency", "sloth_service": "checkout",
                         "sloth_slo": "checkout-latency"}


def test_a_clash_chain_settles_and_an_imported_pair_keeps_sloths_names() -> None:
    # latency / checkout-latency / checkout-checkout-latency: each reverted name clashes with the next
    chain = sloth_names([spec("latency"), spec("checkout-latency"), spec("checkout-checkout-latency")])
    assert chain == {"latency": "latency", "checkout-latency": "checkout-latency",
                     "checkout-checkout-latency": "checkout-checkout-latency"}
    # slotui import of Sloth's "latency" and "checkout-latency" of service checkout: no clash once both
    # are stripped, so both keep Sloth's own names
    imported = sloth_names([spec("checkout-latency"), spec("checkout-checkout-latency")])
    assert imported == {"checkout-latency": "latency", "checkout-checkout-latency": "checkout-latency"}


def test_other_services_and_the_default_service() -> None:
    # another service's "latency" takes nothing from checkout
    assert sloth_names([spec("latency", service="search"), spec("checkout-latency")])["checkout-latency"] == "latency"
    # an SLO with no service is labelled service "slotui": service slotui's "slotui-x" would clash with it
    naming = sloth_names([spec("x", service=None), spec("slotui-x", service="slotui")])
    assert naming == {"x": "x", "slotui-x": "slotui-x"}


def test_the_reader_asks_for_each_slos_own_series() -> None:
    specs = [spec("latency"), spec("checkout-latency")]
    naming = sloth_names(specs)
    # the other SLO's series are recorded under sloth_slo="latency": not the prefixed one's
    found = {("latency", "checkout"): {"5m", "30m", "1h", "6h", "3d", "30d"}}
    assert selector(specs[1], found, naming) == '{sloth_slo="checkout-latency", sloth_service="checkout"}'
    assert record_query(specs[1], HOUR, found, naming).startswith('slo:sli_error:ratio_rate1h{sloth_slo="checkout-latency"')
    assert missing_windows(specs[1], found, naming) == ["5m", "30m", "1h", "6h", "3d", "30d"]
    assert missing_windows(specs[0], found, naming) == []
    # without the naming (no clash known) it would have read the other SLO's series
    assert selector(specs[1], found) == '{sloth_slo="latency", sloth_service="checkout"}'
    assert detection_query(specs, naming).endswith('sloth_slo=~"checkout-latency|latency"})')


def _groups(out: dict) -> dict[str, set[str]]:
    return {g["name"]: {r.get("labels", {}).get("sloth_slo", "") for r in g["rules"]} for g in out["groups"]}


def test_the_export_gives_the_clashing_pair_distinct_labels_and_group_names() -> None:
    out = prometheus_rules([spec("latency"), spec("checkout-latency")], {"prom": "prometheus"})
    assert out.exported == ["latency", "checkout-latency"] and out.skipped == []
    groups = _groups(out.rules)
    assert set(groups) == {"slotui-slo-checkout-latency", "slotui-slo-checkout-checkout-latency"}
    assert groups["slotui-slo-checkout-latency"] - {""} == {"latency"}
    assert groups["slotui-slo-checkout-checkout-latency"] - {""} == {"checkout-latency"}
    # threshold SLOs are named by the same ids (their group names would repeat too)
    thresholds = [spec("p95", kind="threshold", query="max(p95_ms)", critical=900.0, target=500.0,
                       direction="lower_is_better", good=None, total=None),
                  spec("checkout-p95", kind="threshold", query="max(q95_ms)", critical=900.0, target=500.0,
                       direction="lower_is_better", good=None, total=None)]
    names = [g["name"] for g in prometheus_rules(thresholds, {"prom": "prometheus"}).rules["groups"]]
    assert sorted(names) == ["slotui-slo-checkout-checkout-p95", "slotui-slo-checkout-p95"]


def test_the_same_sloth_id_on_two_sources_is_skipped_with_the_reason() -> None:
    out = prometheus_rules([spec("latency", source="a"), spec("checkout-latency", source="b")],
                           {"a": "prometheus", "b": "prometheus"})
    assert out.exported == ["latency"]
    assert len(out.skipped) == 1
    name, reason = out.skipped[0]
    assert name == "checkout-latency"
    assert "'checkout-latency'" in reason and "'latency'" in reason and "another source" in reason
