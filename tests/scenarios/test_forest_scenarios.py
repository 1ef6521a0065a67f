"""Forest rights in whole runs: tables, market data, conservation, pledges, determinism."""

from __future__ import annotations

import math

import pytest

from exchange import (InsufficientBalance, MarketDesign, OrderRejected, Product, Side,
                      TradingRules, build_markets)
from scenarios import COLUMNS, ScenarioError, build_world, load_scenario, run_scenario
from scenarios.forest_tables import FOREST_KPIS

MARKET = "forest={pricing: market}"
BANKS = ("banks={lenders: [{name: a, region: changshou, capital_yuan: 5.0e9, "
         "deposits_yuan: 5.0e10}, {name: b, region: guangan, capital_yuan: 5.0e9, "
         "deposits_yuan: 5.0e10}]}")


def test_builtin_forest_scenarios_differ_only_in_pricing() -> None:
    dumps = {p: load_scenario(f"forest_{p}").model_dump() for p in ("market", "administered")}

    pricing = set()
    for dump in dumps.values():
        pricing.add(dump["forest"].pop("pricing"))
        dump.pop("name")
        dump.pop("description")
    assert pricing == {"market", "administered"}
    assert dumps["market"] == dumps["administered"]
    baseline = load_scenario("baseline").model_dump()
    assert {k: v for k, v in dumps["market"].items() if k != "forest"} == {
        k: v for k, v in baseline.items() if k not in ("name", "description", "forest")}


def test_market_run_trades_indicators_on_the_exchange_and_conserves_them() -> None:
    world = build_world(load_scenario("tiny", [MARKET]), seed=2)
    result = world.run()

    world.registry.audit()
    years = result["forest_years"]
    assert list(years.columns) == list(COLUMNS["forest_years"])
    assert len(years) == 2 * 2  # years x regions
    trades = result["trades"]
    forest = trades[trades["product"] == "forest"]
    assert len(forest) and set(forest["unit"]) == {"mu"}
    # only the governments trade forest; the pollution traders keep out of these markets
    assert set(forest["buyer"]) == {"gov:changshou"} and set(forest["seller"]) == {"gov:guangan"}
    assert forest["kind"].eq("auction").all() and forest["cross_border"].all()
    assert forest["quantity"].sum() == years["bought_mu"].sum() == years["sold_mu"].sum()
    daily = result["market_daily"]
    bars = daily[daily["product"] == "forest"]
    assert set(bars["market"]) == {"forest@changshou", "forest@guangan"}
    assert len(bars) == 2 * 2 * 40  # markets x years x days
    planted = years["planted_mu"].sum()
    start = years[years["year"] == 2025]["forest_mu"].sum()
    assert sum(world.forest.indicators_mu(r) for r in ("changshou", "guangan")) == \
        start + planted
    # KPIs of pollution markets leave forest trades out
    pollution = trades[trades["product"] == "COD"]
    assert result.kpis["trades"] == len(pollution)
    assert result.kpis["forest_indicators_traded_mu"] == years["bought_mu"].sum()


def test_administered_run_buys_at_the_fixed_price_and_changshou_meets_its_target() -> None:
    result = run_scenario(load_scenario("tiny", ["forest={}"]), seed=1)

    years = result["forest_years"].set_index(["year", "region"])
    first = years.loc[(2025, "changshou")]
    assert first["bought_mu"] == math.ceil(2_122_500 * 0.53) - round(2_122_500 * 0.50)
    assert first["price_yuan_per_mu"] == 2_500
    assert first["met_target"] and first["counted_coverage"] == pytest.approx(0.53)
    assert first["coverage"] == pytest.approx(0.50)  # physical forest unchanged
    assert years.loc[(2025, "guangan"), "sold_mu"] == first["bought_mu"]
    assert result["trades"]["product"].eq("COD").all()  # no forest market is listed
    assert result.kpis["forest_targets_met_share"] == 1.0
    assert result.kpis["forest_sink_revenue_yuan"] == pytest.approx(
        result.kpis["forest_sinks_tco2e"] * 30, rel=1e-6)


def test_runs_without_forests_have_an_empty_table_and_missing_kpis() -> None:
    result = run_scenario(load_scenario("tiny"), seed=1)

    assert len(result["forest_years"]) == 0
    assert list(result["forest_years"].columns) == list(COLUMNS["forest_years"])
    assert all(math.isnan(result.kpis[k]) for k in FOREST_KPIS)


def test_the_same_seed_gives_the_same_forest_table() -> None:
    scenario = load_scenario("tiny", [MARKET])

    a, b = run_scenario(scenario, 4), run_scenario(scenario, 4)

    assert a["forest_years"].equals(b["forest_years"])
    assert a["trades"].equals(b["trades"])


def test_a_pledged_forest_right_uses_the_forest_ltv_and_cannot_be_sold() -> None:
    world = build_world(load_scenario("tiny", [MARKET, BANKS, "ratings.shares={blue: 1}"]),
                        seed=1)
    credit, registry = world.credit, world.registry
    firm = next(k for k, a in enumerate(world.firms.ids)
                if world.firms.region[k] == "changshou" and a in world.forest.firm_mu)
    account, symbol = world.firms.ids[firm], "forest:changshou:2025"
    held = registry.total(account, symbol)

    granted = credit.request(firm, 1_000_000 * 100, "working_capital", month=11)

    (loan,) = [ln for ln in credit.loans if ln.borrower == firm]
    assert granted == loan.principal_fen and loan.collateral == symbol
    units = min(held, int(loan.principal_fen / (0.5 * 2_500 * 100)) + 1)
    assert loan.collateral_units == units == registry.holding(account, symbol).pledged
    assert loan.term_months == 12  # not cut to the year's end, as pollution rights are
    with pytest.raises(InsufficientBalance):
        registry.transfer(account, "gov:changshou", symbol, held - units + 1)
    world.env.run(until=0.4)  # the first session is open
    with pytest.raises(OrderRejected, match="insufficient_units"):
        world.venue.submit("forest@changshou", account, Side.SELL, held - units + 1, 2_500)
    registry.audit()


def test_pollution_rights_come_first_and_water_rights_are_never_pledged() -> None:
    world = build_world(load_scenario("tiny", [MARKET, BANKS, "ratings.shares={blue: 1}"]),
                        seed=1)
    world.env.run(until=0.4)  # the year's COD rights are allocated and listed
    credit, registry, firms = world.credit, world.registry, world.firms
    water = Product("water", "m3", 1_000, 1_000)
    (market,) = build_markets(MarketDesign("autarky"), water, 2025, ["changshou"], registry,
                              TradingRules(), {"changshou": 900}, world.venue.order_ids)
    world.venue.list_market(market)
    owner, other = (next(k for k, a in enumerate(firms.ids) if firms.region[k] == "changshou"
                         and (a in world.forest.firm_mu) is holds) for holds in (True, False))
    for k in (owner, other):
        registry.issue("issuer:changshou", firms.ids[k], market.instrument.symbol, 10**8)

    credit.request(owner, 1_000_000 * 100, "working_capital", month=0)
    credit.request(other, 1_000_000 * 100, "working_capital", month=11)

    first, last = (credit.loans[-2], credit.loans[-1])
    assert (first.borrower, last.borrower) == (owner, other)
    assert first.collateral == "COD:basin:2025"  # tiny is the integrated design
    assert first.term_months == 11  # due in the year's last month, before the true-up
    assert last.collateral is None and last.collateral_units == 0  # water is not collateral
    assert registry.holding(firms.ids[other], market.instrument.symbol).pledged == 0
    registry.audit()


@pytest.mark.parametrize(("overrides", "field"), [
    (["forest={regions: {changshou: {land_mu: 1000, coverage: 0.5, target: 0.5}}}"],
     "forest.regions"),
    (["forest.regions={changshou: {land_mu: 1000, coverage: 0.5, target: 0.5, "
      "firm_forest_mu: 100}, "
      "guangan: {land_mu: 1000, coverage: 0.1, target: 0.5, firm_forest_mu: 500}}"],
     "forest.regions.guangan.firm_forest_mu"),
    (["forest={pricing: auction}"], "forest.pricing"),
])
def test_forest_settings_that_do_not_fit_are_refused(overrides: list[str], field: str) -> None:
    with pytest.raises(ScenarioError, match=field):
        load_scenario("tiny", overrides)
