"""Banks and joint credit: the default model, the regimes, pledges, margin calls, fire sales."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agents.risk import asset_correlation, conditional_pd, draw_defaults, irb_capital
from experiments.network import concentration, contagion_paths, exposure_graph
from scenarios import build_world, load_scenario, run_scenario

BANKS = ("banks={regime: REGIME, reporting_lag_months: 0, "
         "lenders: [{name: a, region: changshou, capital_yuan: 5.0e9, deposits_yuan: 5.0e10},"
         " {name: b, region: changshou, capital_yuan: 5.0e9, deposits_yuan: 5.0e10}],"
         " joint: {min_banks: 2, voluntary_yuan: 1.0e6},"
         " demand: {target_leverage: 10, leverage_sigma: 0, leverage_pd: 0}}")


def credit_world(regime: str, *extra: str, seed: int = 1):
    scenario = load_scenario("tiny", [BANKS.replace("REGIME", regime),
                                      "ratings.shares={blue: 1}", *extra])
    return build_world(scenario, seed)


def test_irb_capital_matches_the_basel_table() -> None:
    # BCBS (2005): PD 1 %, LGD 45 %, M 2.5 gives a risk weight of 92.32 %, K = 7.39 %.
    assert irb_capital(0.01, 0.45, 2.5) * 12.5 == pytest.approx(0.9232, abs=5e-4)


@pytest.mark.parametrize("z", [-2.0, 0.0, 1.5])
def test_default_rate_of_a_large_portfolio_follows_vasicek(z: float) -> None:
    rng = np.random.default_rng(3)
    pd_ = np.full(400_000, 0.02)
    rho = asset_correlation(pd_)
    rate = draw_defaults(pd_, rho, z, rng).mean()
    assert rate == pytest.approx(conditional_pd(0.02, asset_correlation(0.02), z), rel=0.03)


def test_unconditional_default_rate_is_the_pd() -> None:
    rng = np.random.default_rng(4)
    pd_ = np.full(2_000, 0.03)
    rates = [draw_defaults(pd_, asset_correlation(pd_), rng.standard_normal(), rng).mean()
             for _ in range(1_500)]
    assert np.mean(rates) == pytest.approx(0.03, rel=0.1)
    # Fat tail from the common factor: the 99th percentile is far above the mean.
    assert np.quantile(rates, 0.99) > 3 * 0.03


def test_run_records_failures_against_the_formula() -> None:
    result = run_scenario(load_scenario("tiny", [BANKS.replace("REGIME", "independent")]), 2)
    years = result["credit_years"]
    assert len(years) == 2
    assert (years["vasicek_rate"] > 0).all()
    assert (years["failures"] == (years["failure_rate"] * years["firms"]).round()).all()


def debt_over_ceiling(world) -> float:
    credit = world.credit
    debt = credit.debt_fen()
    ceiling = np.array([credit.ceiling_fen(f) for f in range(len(debt))])
    return float((debt / np.maximum(ceiling, 1)).max())


def run_months(world, months: int) -> None:
    cal = world.venue.calendar
    world.env.run(until=months * cal.days_per_year / 12 + 0.5)


def test_firm_with_two_banks_over_borrows_when_each_sees_only_its_own_loans() -> None:
    world = credit_world("independent")
    run_months(world, 2)
    assert debt_over_ceiling(world) > 1.5  # both banks lent up to the ceiling


@pytest.mark.parametrize("regime", ["shared_information", "joint_committee"])
def test_shared_view_caps_debt_at_the_ceiling(regime: str) -> None:
    world = credit_world(regime)
    run_months(world, 2)
    assert debt_over_ceiling(world) <= 1.0 + 1e-9


def test_joint_committee_syndicates_with_shares() -> None:
    world = credit_world("joint_committee")
    run_months(world, 3)
    committee = [ln for ln in world.credit.loans if ln.committee]
    assert committee
    assert all(abs(sum(ln.shares.values()) - 1) < 1e-9 for ln in committee)
    assert any(len(ln.shares) == 2 for ln in committee)


def test_margin_call_then_default_forecloses_and_sells_through_the_exchange() -> None:
    world = credit_world("independent", "banks.demand={target_leverage: 0.1, "
                         "leverage_sigma: 0, buffer_months: 24}")
    run_months(world, 4)
    credit, registry = world.credit, world.registry
    pledged = [ln for ln in credit.loans if ln.collateral_units and ln.status == "performing"]
    assert pledged, "working-capital loans are secured by pledged rights"
    # a borrower with rights left to meet the margin call
    loan = next(ln for ln in pledged
                if registry.available(world.firms.ids[ln.borrower], ln.collateral))
    firm = world.firms.ids[loan.borrower]
    held = registry.holding(firm, loan.collateral)
    assert held.pledged >= loan.collateral_units
    with pytest.raises(Exception):  # a pledged unit can be neither sold nor surrendered
        registry.transfer(firm, "exchange", loan.collateral, held.available + 1)
    for market in world.venue.markets.values():  # the price halves
        market.reference_ticks = market.reference_ticks // 2
    month = 4
    credit.month(month)
    kinds = {e.kind for e in credit.events if e.month == month}
    assert "margin_call" in kinds
    credit.default(loan.borrower, month, "test")
    lead = credit.banks[loan.lead].account
    assert loan.status == "defaulted"
    foreclosed = sum(e.amount_yuan for e in credit.events
                     if e.kind == "foreclosure" and e.bank == loan.lead)
    assert registry.available(lead, loan.collateral) == foreclosed > held.pledged  # + margin
    world.env.run(until=world.env.now + 3)  # the fire sale runs in the next sessions
    assert any(e.kind == "fire_sale" and e.bank == loan.lead for e in credit.events)
    assert registry.available(lead, loan.collateral) < foreclosed
    registry.audit()


def test_credit_runs_are_reproducible_and_conserve_money() -> None:
    scenario = load_scenario("tiny", [BANKS.replace("REGIME", "joint_committee")])
    a, b = build_world(scenario, 9), build_world(scenario, 9)
    ra, rb = a.run(), b.run()
    for name in ("loans", "bank_months", "credit_events", "exposures", "trades"):
        pd.testing.assert_frame_equal(ra[name], rb[name])
    a.registry.audit()


def test_exposure_network_analysis() -> None:
    result = run_scenario(load_scenario("tiny", [BANKS.replace("REGIME", "independent")]), 5)
    graph = exposure_graph(result["exposures"])
    banks = concentration(graph)
    assert set(banks["bank"]) <= {"a", "b"}
    assert ((banks["herfindahl"] > 0) & (banks["herfindahl"] <= 1)).all()
    firm = result["exposures"]["firm"].iloc[0]
    assert all(path[0] == f"firm:{firm}" and path[1].startswith("bank:")
               for path in contagion_paths(graph, firm))


def test_stress_shocks_hit_prices_and_banks_on_their_day() -> None:
    shocks = ("stress=[{day: 45, kind: price_collapse, pollutant: COD, size: 0.5},"
              " {day: 45, kind: output_shock, sector: chemical, size: 0.5}]")
    calm = build_world(load_scenario("tiny", [BANKS.replace("REGIME", "independent")]), 6)
    hit = build_world(load_scenario("tiny", [BANKS.replace("REGIME", "independent"),
                                             shocks]), 6)
    calm_result, hit_result = calm.run(), hit.run()
    assert hit.stress.applied == [(45, "price_collapse"), (45, "output_shock")]
    before = calm_result["market_daily"].set_index("day")["close_yuan"]
    after = hit_result["market_daily"].set_index("day")["close_yuan"]
    assert after.loc[45:50].mean() < 0.9 * before.loc[45:50].mean()
    pd.testing.assert_series_equal(after.loc[:44], before.loc[:44])  # nothing before the day
    assert hit.credit.pd_multiplier.max() == pytest.approx(2.0)
    hit.registry.audit()
