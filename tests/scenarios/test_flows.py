"""Cross-border flows are reported in every design, the integrated one included."""

from __future__ import annotations

import pytest

from scenarios import build_world, load_scenario


@pytest.mark.parametrize("design", ["integrated", "linked", "autarky"])
def test_flows_sum_the_trades_between_regions(design: str) -> None:
    tables = build_world(load_scenario("tiny", [f"exchange.design={{kind: {design}}}"]),
                         2).run().tables
    trades, flows, kpis = tables["trades"], tables["cross_border_flows"], tables["kpis"]
    # Independently: walk the trades and add up those whose two sides differ in region.
    expected: dict[tuple[int, str, str], list[float]] = {}
    for t in trades.itertuples():
        if t.kind != "primary" and t.buyer_region != t.seller_region:
            row = expected.setdefault((t.year, t.seller_region, t.buyer_region), [0.0] * 3)
            row[0] += t.quantity
            row[1] += t.delivered_quantity
            row[2] += t.value_yuan
    got = {(r.year, r.seller_region, r.buyer_region): [r.quantity_t, r.delivered_t,
                                                       r.value_yuan]
           for r in flows.itertuples()}
    assert got.keys() == expected.keys()
    for key, values in expected.items():
        assert got[key] == pytest.approx(values)
    into = {r: sum(v[0] for k, v in expected.items() if k[2] == r)
            for r in ("changshou", "guangan")}
    assert kpis["cross_border_to_changshou_t"].iloc[0] == pytest.approx(into["changshou"])
    assert kpis["cross_border_to_guangan_t"].iloc[0] == pytest.approx(into["guangan"])
    assert kpis["cross_border_volume_t"].iloc[0] == pytest.approx(sum(into.values()))
    if design == "autarky":
        assert flows.empty
    else:
        assert not flows.empty  # both regions trade COD in tiny: some of it crosses
        assert flows["converted"].tolist() == [design == "linked"] * len(flows)
    if design == "integrated":  # the basin's rights move at 1:1
        assert flows["delivered_t"].tolist() == pytest.approx(flows["quantity_t"].tolist())
