"""Banks and joint credit: the default model, the regimes, pledges, margin calls, fire sales."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, norm

from agents.risk import asset_correlation, draw_defaults, irb_capital
from exchange import InsufficientBalance, retirement_account
from experiments.network import concentration, contagion_paths, exposure_graph
from scenarios import RunResult, World, build_world, load_scenario, run_scenario

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


def vasicek_pd(pd_: np.ndarray | float, rho: np.ndarray | float, z: float) -> np.ndarray:
    """Vasicek (2002): PD given the systematic factor, N((N^-1(PD) - sqrt(R) z) / sqrt(1 - R))."""
    return norm.cdf((norm.ppf(pd_) - np.sqrt(rho) * z) / np.sqrt(1 - rho))


def basel_correlation(pd_: np.ndarray) -> np.ndarray:
    """BCBS (2005) corporate asset correlation: 0.24 for low PDs falling to 0.12 for high."""
    w = (1 - np.exp(-50 * pd_)) / (1 - np.exp(-50))
    return 0.12 * w + 0.24 * (1 - w)


def binomial_bounds(n: int, p: float) -> tuple[float, float]:
    """Counts a Binomial(n, p) falls outside with probability 1e-6 at most. Given the factor,
    defaults are independent Bernoulli draws; with unequal PDs their count is more
    concentrated than the binomial of the same mean (Hoeffding 1956), so the bounds hold."""
    low, high = binom.interval(1 - 1e-6, n, p)
    return float(low), float(high)


@pytest.mark.parametrize(("pds", "rhos", "z"), [
    ((0.02,), (0.12,), -2.0),
    ((0.02,), (0.24,), 0.0),
    ((0.05,), (0.20,), 1.5),
    ((0.005, 0.08), (0.24, 0.12), -2.5),  # two groups in one draw: PDs apply elementwise
    ((0.01, 0.03), (0.30, 0.15), 1.0),
])
def test_default_rate_given_the_factor_is_the_vasicek_conditional_pd(
        pds: tuple[float, ...], rhos: tuple[float, ...], z: float) -> None:
    group = 100_000
    pd_ = np.repeat(pds, group)
    rho = np.repeat(rhos, group)
    defaults = draw_defaults(pd_, rho, z, np.random.default_rng(3))
    assert defaults.shape == pd_.shape
    for k, (p, r) in enumerate(zip(pds, rhos)):
        count = int(defaults[k * group:(k + 1) * group].sum())
        low, high = binomial_bounds(group, float(vasicek_pd(p, r, z)))
        assert low <= count <= high, (p, r, z, count, low, high)


def test_unconditional_default_rate_is_the_pd() -> None:
    rng = np.random.default_rng(4)
    pd_ = np.full(2_000, 0.03)
    rates = [draw_defaults(pd_, asset_correlation(pd_), rng.standard_normal(), rng).mean()
             for _ in range(1_500)]
    assert np.mean(rates) == pytest.approx(0.03, rel=0.1)
    # Fat tail from the common factor: the 99th percentile is far above the mean.
    assert np.quantile(rates, 0.99) > 3 * 0.03


# The built-in credit worlds, cut to three short years: 300 firms, six banks.
SHORT = ["calendar.years=3", "calendar.days_per_year=40"]


@pytest.fixture(scope="module", params=["credit_alone", "credit_joint"])
def credit_run(request: pytest.FixtureRequest) -> tuple[World, RunResult]:
    world = build_world(load_scenario(request.param, SHORT), 3)
    return world, world.run()


def failure_defaults(events: pd.DataFrame, year: int) -> set[str]:
    """Firms with a loan that defaulted in the year for the firm's failure."""
    hit = events[(events["kind"] == "default") & (events["detail"] == "failure")
                 & (events["month"] // 12 == year)]
    return set(hit["firm"])


def test_credit_years_follow_the_one_factor_model(credit_run: tuple[World, RunResult]
                                                  ) -> None:
    world, result = credit_run
    credit = world.credit
    years = result["credit_years"].set_index("year")
    start = world.scenario.calendar.start_year
    assert list(years.index) == [start, start + 1, start + 2]
    for index, pd_all in sorted(credit.pd_at_draw.items()):
        pd_ = pd_all[credit.exposed[index]]  # a firm that has defaulted already is not drawn
        row = years.loc[start + index]
        expected = vasicek_pd(pd_, basel_correlation(pd_), row["systematic_factor"])
        assert row["firms"] == len(pd_)
        assert row["mean_pd"] == pytest.approx(pd_.mean())
        assert row["vasicek_rate"] == pytest.approx(expected.mean(), rel=1e-9)
        low, high = binomial_bounds(len(pd_), float(expected.mean()))
        assert low <= row["failures"] <= high
        assert row["failures"] == credit.failures[index].sum()


def test_firms_defaulting_for_failure_are_the_years_failures(
        credit_run: tuple[World, RunResult]) -> None:
    """A firm defaults for failure only in a year it was drawn to fail, and a firm drawn to
    fail does not carry a loan it had at the start of that year past the year's end."""
    world, result = credit_run
    ids = world.firms.ids
    events, loans = result["credit_events"], result["loans"]
    failed_before: set[str] = set()
    carried = 0
    for index, failing in sorted(world.credit.failures.items()):
        drawn = {ids[i] for i in np.flatnonzero(failing)}
        defaulted = failure_defaults(events, index)
        assert defaulted <= drawn
        assert not defaulted & failed_before  # a firm fails once
        first, last = 12 * index, 12 * index + 11
        held = loans[loans["borrower"].isin(drawn - failed_before)
                     & (loans["start_month"] < first)
                     & (loans["end_month"].isna() | (loans["end_month"] >= first))]
        carried += len(held)
        assert (held["end_month"] <= last).all(), held
        failed_before |= defaulted
    assert failed_before and carried  # the checks above had something to check


def test_recorded_failures_are_the_firms_that_failed() -> None:
    """A firm fails once, in its failure month, whether or not it has loans; one that has
    defaulted already is not exposed to later draws."""
    # High PDs make it certain that firms which failed in the first year are drawn again.
    scenario = load_scenario("credit_alone", [
        "calendar.years=2", "calendar.days_per_year=40", "ratings.shares={blue: 1}",
        "banks.policy.pd_by_grade={green: 0.3, blue: 0.3, yellow: 0.3, red: 0.3}"])
    result = run_scenario(scenario, 1)
    events = result["credit_events"]
    start = scenario.calendar.start_year
    recorded = dict(zip(result["credit_years"]["year"] - start,
                        result["credit_years"]["failures"]))
    failed = events[events["kind"] == "failure"]
    assert recorded == {year: len(failed[failed["month"] // 12 == year]) for year in recorded}
    assert failed["firm"].is_unique and len(failed) > 0
    assert failure_defaults(events, 0) | failure_defaults(events, 1) <= set(failed["firm"])


def debt_over_ceiling(world) -> float:
    credit = world.credit
    debt = credit.debt_fen()
    ceiling = np.array([credit.ceiling_fen(f) for f in range(len(debt))])
    return float((debt / np.maximum(ceiling, 1)).max())


def run_months(world, months: int) -> None:
    """Run to the middle of the first day of month ``months`` (its credit cycle done)."""
    cal = world.venue.calendar
    first = next(d for d in range(cal.horizon_days) if cal.month_index(d) == months)
    world.env.run(until=first + 0.5)


def test_firm_with_two_banks_over_borrows_when_each_sees_only_its_own_loans() -> None:
    world = credit_world("independent")
    run_months(world, 2)
    assert debt_over_ceiling(world) > 1.5  # both banks lent up to the ceiling


@pytest.mark.parametrize("regime", ["shared_information", "joint_committee"])
def test_shared_view_caps_debt_at_the_ceiling(regime: str) -> None:
    world = credit_world(regime)
    run_months(world, 2)
    assert debt_over_ceiling(world) <= 1.0 + 1e-9


@pytest.mark.parametrize("lag", [0, 2])
def test_with_a_reporting_lag_each_bank_lends_against_the_debt_before_lending(lag: int
                                                                            ) -> None:
    # Firms aim at 10 years of cash flow and ask the two banks in turn. In the first month
    # a lag of two months shows each bank the firm's debt before any lending (none), so
    # each lends up to the ceiling; without a lag the second bank sees the first's loan.
    world = credit_world("shared_information", f"banks.reporting_lag_months={lag}")
    run_months(world, 0)
    assert debt_over_ceiling(world) == pytest.approx(1.0 if lag == 0 else 2.0)


ONE_BANK_NO_DEMAND = (
    "banks={regime: shared_information, reporting_lag_months: LAG,"
    " lenders: [{name: a, region: changshou, capital_yuan: 5.0e9, deposits_yuan: 5.0e10}],"
    " policy: {pd_by_grade: {green: 1.0e-9, blue: 1.0e-9, yellow: 1.0e-9, red: 1.0e-9}},"
    " demand: {target_leverage: 1.0e-6, leverage_sigma: 0, buffer_months: 0}}")


@pytest.mark.parametrize("lag", [0, 1, 2, 3])
def test_a_bank_sees_the_debt_of_reporting_lag_months_ago(lag: int) -> None:
    """Firms borrow only when the test asks: each month one firm asks the one bank for half
    its ceiling. The bank lends up to the ceiling less the debt it sees: under a lag of k
    months, the debt recorded k months earlier (after that month's debt service)."""
    scenario = load_scenario("tiny", [ONE_BANK_NO_DEMAND.replace("LAG", str(lag)),
                                      "ratings.shares={blue: 1}"])
    world = build_world(scenario, 1)
    credit, firm = world.credit, 0
    run_months(world, 0)  # the year opens: the firm's cash flow, hence its ceiling, is set
    ceiling = credit.ceiling_fen(firm)
    ask = ceiling // 2
    smallest = scenario.banks.demand.min_loan_yuan * 100
    recorded: list[int] = []
    granted: list[int] = []
    for month in range(7):
        if month:
            run_months(world, month)  # the month's cycle: nothing due, nobody else borrows
        assert credit.ceiling_fen(firm) == ceiling
        recorded.append(int(credit.debt_fen()[firm]))
        seen = recorded[max(0, month - lag)]
        room = min(ask, ceiling - seen)
        expected = room if room >= smallest else 0
        granted.append(credit.request(firm, ask, "business", month))
        assert granted[-1] == expected, (month, recorded, granted)
    assert [ln.principal_fen for ln in credit.loans if ln.borrower == firm] == \
        [g for g in granted if g]
    # By hand: k months of lag let the firm borrow k more halves of its ceiling.
    assert int(credit.debt_fen()[firm]) == (2 + lag) * ask


def test_joint_committee_lends_across_the_border(credit_run: tuple[World, RunResult]
                                                 ) -> None:
    """In credit_joint, committees of both regions' banks syndicate loans, so some lending
    crosses the border; tests/agents/test_committee.py works syndicates out by hand."""
    world, result = credit_run
    if world.scenario.banks.regime != "joint_committee":
        pytest.skip("committees sit under the joint regime only")
    committee = [ln for ln in world.credit.loans if ln.committee]
    assert committee
    assert all(abs(sum(ln.shares.values()) - 1) < 1e-9 for ln in committee)
    regions = {name: b.region for name, b in world.credit.banks.items()}
    assert any(regions[n] != world.firms.region[ln.borrower] for ln in committee
               for n in ln.shares)
    assert result["kpis"]["cross_region_lending_share"].iloc[0] > 0
    votes = result["credit_events"].query("kind == 'committee_vote'")
    assert set(votes["detail"].str.split(":").str[0]) <= {"yes", "no", "abstain"}


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
    # A pledged unit can be neither sold nor surrendered: only the available ones move.
    short = f"{firm} has {held.available} {loan.collateral} available, needs {held.available + 1}"
    with pytest.raises(InsufficientBalance, match=re.escape(f"transfer: {short}")):
        registry.transfer(firm, "exchange", loan.collateral, held.available + 1)
    zone = loan.collateral.split(":")[1]
    with pytest.raises(InsufficientBalance, match=re.escape(f"surrender: {short}")):
        registry.surrender(firm, retirement_account(zone), loan.collateral, held.available + 1)
    assert registry.holding(firm, loan.collateral) == held
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


def test_bank_months_book_funding_cost_npl_and_capital_ratio_by_their_definitions() -> None:
    """Each month a bank pays deposit interest on its loan book and the refinancing rate on
    what the central bank lent it, a twelfth of the yearly rate each (1.5 % and 1.75 %);
    non-performing loans are the defaulted balances still in their year of workout; the
    capital ratio is capital over risk-weighted assets."""
    world = credit_world("shared_information")
    world.run()
    credit, policy = world.credit, world.credit.policy
    rows = pd.DataFrame(credit.monthly, columns=[
        "month", "bank", "region", "capital", "deposits", "loans", "green", "npl", "losses",
        "provisions", "income", "expense", "refinancing", "rwa", "car", "cash"])
    assert (rows["loans"] > 0).any()
    for _, bank in rows.groupby("bank"):
        paid = bank["expense"].diff().fillna(bank["expense"]).to_numpy()
        due = (bank["loans"] * policy.deposit_rate / 12
               + bank["refinancing"] * policy.refinance_rate / 12).to_numpy()
        assert np.allclose(paid, due, atol=0.02)  # whole fen, twice a month
        ratio = bank["capital"] / bank["rwa"]
        assert np.allclose(bank["car"][bank["rwa"] > 0], ratio[bank["rwa"] > 0])
    last = int(rows["month"].max())
    npl: dict[str, float] = {}
    for loan in credit.loans:
        if loan.status == "defaulted" and last - (loan.end_month or 0) < 12:
            for name, fen in loan.lender_split(loan.balance_fen).items():
                npl[name] = npl.get(name, 0.0) + fen / 100
    final = rows[rows["month"] == last].set_index("bank")["npl"]
    assert final.to_dict() == pytest.approx({b: npl.get(b, 0.0) for b in final.index})
