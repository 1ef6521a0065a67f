"""Water rights: leases with conveyance loss and expiry, use within rights, flows, and the
conservation of water volume in whole runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agents.river import Reach, Section, net_flows, river_graph, route
from agents.water import WATER, Lease, deliver_lease
from exchange import CASH, OUTSIDE, Registry, issuer_account, retirement_account
from scenarios import ScenarioError, build_world, load_scenario

WATER_TINY = [
    "river={}",
    "water={sectors: {chemical: {m3_per_year: 1000000}, paper_food: {m3_per_year: 1500000}},"
    " regions: {changshou: {permit_share: 0.8}, guangan: {permit_share: 1.0,"
    " regional_m3_per_year: 3000000}},"
    " leases: [{lessor: guangan, lessee: changshou, volume_m3_per_year: 1000000, years: 1}]}",
]


def registry_with_rights(units: int) -> Registry:
    reg = Registry(lambda: 0)
    for region in ("changshou", "guangan"):
        reg.open_account(issuer_account(region), may_go_negative=True)
        reg.open_account(retirement_account(region))
        reg.open_account(f"gov:{region}", region)
    reg.issue(issuer_account("guangan"), "gov:guangan", f"{WATER}:guangan:2025", units)
    reg.issue(OUTSIDE, "gov:changshou", CASH, 10_000_000)
    return reg


def test_a_lease_across_the_border_loses_the_conveyance_share_and_is_paid_at_the_source(
        ) -> None:
    reg = registry_with_rights(1_000_000)
    lease = Lease(1, "gov:guangan", "gov:changshou", 600_000, 2025, 2027, 0.87)

    done = deliver_lease(reg, lease, 2025, loss=0.1)

    assert (done.delivered_m3, done.lost_m3) == (540_000, 60_000)
    assert reg.available("gov:changshou", f"{WATER}:changshou:2025") == 540_000
    assert reg.available("gov:guangan", f"{WATER}:guangan:2025") == 400_000
    assert reg.cash("gov:guangan") == 600_000 * 87  # fen: 0.87 yuan on each m3 at the source
    assert reg.total(retirement_account("guangan"), f"{WATER}:guangan:2025") == 600_000
    reg.audit()


def test_a_lease_delivers_only_in_its_term() -> None:
    lease = Lease(1, "gov:guangan", "gov:changshou", 1, 2025, 2027, 1.0)

    assert [y for y in range(2023, 2031) if lease.active(y)] == [2025, 2026, 2027]


def test_withdrawals_lower_the_flow_below_them_and_raise_the_concentration() -> None:
    reaches = [Reach("a", "guangan", "b", 43.2, 10.0, 0.5, {"COD": 0.2}, {"COD": 10.0}),
               Reach("b", "changshou", None, 43.2, 20.0, 0.5, {"COD": 0.2}, {"COD": 8.0},
                     Section("mouth", "III", False))]
    g = river_graph(reaches)
    loads = {"a": {"COD": 1000.0}}

    flows = net_flows(g, {"a": 4.0}, min_share=0.1)
    dry = net_flows(g, {"a": 30.0}, min_share=0.1)

    assert flows == {"a": 6.0, "b": 16.0}
    assert dry == {"a": 1.0, "b": 2.0}  # never under the ecological minimum
    reaching = 1000 * math.exp(-0.2) * math.exp(-0.2)
    assert route(g, loads, flows)["mouth"]["COD"] == pytest.approx(8 + reaching / (86.4 * 16))
    assert route(g, loads)["mouth"]["COD"] < route(g, loads, flows)["mouth"]["COD"]


@pytest.fixture(scope="module")
def water_run():
    world = build_world(load_scenario("tiny", WATER_TINY), seed=3)
    return world, world.run()


def test_every_m3_issued_is_used_expired_or_lost_in_conveyance(water_run) -> None:
    world, result = water_run
    reg = world.registry
    reg.audit()
    for year in (2025, 2026):
        issued = retired = 0
        for region in ("changshou", "guangan"):
            symbol = f"{WATER}:{region}:{year}"
            issued -= reg.total(issuer_account(region), symbol)
            retired += reg.total(retirement_account(region), symbol)
        held = sum(reg.total(a, f"{WATER}:{r}:{year}") for a in reg.accounts()
                   if not a.startswith(("issuer:", "retired:")) for r in ("changshou", "guangan"))
        assert held == 0  # nothing outlives its year
        w = result["water_years"][result["water_years"]["year"] == year]
        lost = result["water_leases"].query("year == @year")["lost_m3"].sum()
        trades = result["trades"].query("product == @WATER and year == @year")
        lost += (trades["quantity"] - trades["delivered_quantity"]).sum()
        expired = next(y for y in world.water.years if y.year == year).expired_m3
        assert issued == retired
        # Issued once, delivered across the border again: both count as issued.
        converted = trades.loc[trades["cross_border"], "delivered_quantity"].sum() + \
            result["water_leases"].query("year == @year")["delivered_m3"].sum()
        assert issued - converted == pytest.approx(w["used_m3"].sum() + sum(expired.values())
                                                   + lost, abs=1)


def test_firms_use_no_more_than_they_hold_and_save_the_rest(water_run) -> None:
    world, result = water_run
    w = result["water_years"]

    assert (w["used_m3"] <= w["held_m3"] + 1e-9).all()
    assert (w["saved_m3"] >= -1e-9).all()
    assert (w["saving_cost_yuan"] > 0).all()
    paid = [e.amount for e in world.registry.journal if e.memo == "water use"]
    due = (w["saving_cost_yuan"] + w["resource_tax_yuan"] - w["unpaid_yuan"]).sum()
    assert sum(paid) == pytest.approx(due * 100, abs=len(w))
    short = w[w["region"] == "changshou"]
    assert (short["bought_m3"] > 0).any()  # Changshou's permits cover 80 %: its firms buy


def test_the_lease_expires_after_its_term(water_run) -> None:
    world, result = water_run
    leases = result["water_leases"]

    assert list(leases["year"]) == [2025]
    assert leases["delivered_m3"].iloc[0] == 900_000
    assert world.water.years[1].year == 2026
    # In 2026 the Changshou government received nothing: its only 2026 rights came
    # from its own issuance (none) or purchases, so it never held any.
    symbol = f"{WATER}:changshou:2026"
    got = [e for e in world.registry.journal
           if e.asset == symbol and e.credit == "gov:changshou"]
    assert got == []


def test_withdrawals_are_reported_per_reach_and_the_kpis_add_up(water_run) -> None:
    _, result = water_run
    flows, kpis = result["water_flows"], result.kpis

    assert len(flows) == 2 * flows["reach"].nunique()
    assert (flows["flow_m3s"] <= flows["mean_flow_m3s"]).all()
    assert kpis["water_used_m3"] == pytest.approx(result["water_years"]["used_m3"].sum())
    assert kpis["water_leased_m3"] == 900_000
    assert 0 < kpis["water_lowest_flow_share"] <= 1
    pollution = result["trades"][result["trades"]["product"] != WATER]
    assert kpis["trades"] == len(pollution)  # pollution KPIs leave water out


def test_water_runs_are_reproducible() -> None:
    a = build_world(load_scenario("tiny", WATER_TINY), seed=4).run()
    b = build_world(load_scenario("tiny", WATER_TINY), seed=4).run()

    for table in ("water_years", "water_leases", "water_flows", "trades"):
        assert a[table].equals(b[table]), table


def test_a_lease_of_a_region_to_itself_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"water\.leases\.0\.lessee: a lease moves water "
                                            r"to the other region"):
        load_scenario("tiny", [WATER_TINY[0], WATER_TINY[1].replace("lessee: changshou",
                                                                    "lessee: guangan")])


def test_no_water_means_empty_water_tables() -> None:
    result = build_world(load_scenario("tiny"), seed=1).run()

    assert result["water_years"].empty and result["water_flows"].empty
    assert np.isnan(result.kpis["water_used_m3"])
