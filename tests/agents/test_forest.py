"""Forest indicators on hand-made regions: transfers, the call auction, planting, sinks."""

from __future__ import annotations

import pytest
import simpy
from hypothesis import given
from hypothesis import strategies as st

from agents.forest import (ForestRules, Forests, RegionForest, ask_ladder, required_mu,
                           sinks_tco2e, transfer_mu)
from exchange import (CASH, OUTSIDE, Calendar, Clock, Registry, Venue, issuer_account,
                      retirement_account)

A, B = "changshou", "guangan"
SYMBOLS = {A: "forest:changshou:2025", B: "forest:guangan:2025"}


def region(name: str, forest_mu: int, *, cost: float = 3_000, capacity: int = 100,
           rise: float = 0.0) -> RegionForest:
    """1,000 mu of land with a 50 % target; 10 % of the forest in a crediting project."""
    return RegionForest(name, 1_000, forest_mu, 0.5, rise, cost, capacity, 0.1)


def forests(pricing: str, a: RegionForest, b: RegionForest, *, firm_mu: int = 0,
            sink_price: float = 30.0) -> Forests:
    """Two regions on a 2-year calendar of 10 days; one firm of A holds ``firm_mu`` mu."""
    clock = Clock(simpy.Environment(),
                  Calendar(2025, 2, 10, ((0.40, 0.48), (0.54, 0.62)), call_open=0.38))
    venue = Venue(clock)
    registry = Registry(lambda: 0)
    registry.open_account("exchange")
    registry.open_account("firm:a1", A)
    for r in (A, B):
        registry.open_account(f"gov:{r}", r)
        registry.open_account(issuer_account(r), may_go_negative=True)
        registry.open_account(retirement_account(r))
    holdings = {"firm:a1": firm_mu} if firm_mu else {}
    return Forests(clock, venue, registry, {A: a, B: b},
                   ForestRules(pricing, sink_price_yuan_per_t=sink_price),  # type: ignore[arg-type]
                   holdings, {"firm:a1": A})


def run_year(f: Forests, year: int) -> None:
    """Run the clock through the year's last trading day and the midnight that closes it."""
    f.clock.env.run(until=f.venue.calendar.first_day(year + 1) + 1e-3)


def rows(f: Forests, year: int) -> dict[str, object]:
    return {r.region: r for r in f.records if r.year == year}


def test_required_indicators_round_up_to_a_whole_mu() -> None:
    assert required_mu(1_000, 0.5) == 500
    assert required_mu(2_122_500, 0.53) == 1_124_925
    assert required_mu(999, 0.5) == 500


def test_administered_transfer_is_the_smaller_of_need_and_surplus_if_cheaper() -> None:
    assert transfer_mu(50, 30, 2_500, 3_000) == 30
    assert transfer_mu(20, 30, 2_500, 3_000) == 20
    assert transfer_mu(50, 30, 2_500, 2_400) == 0  # planting is cheaper
    assert transfer_mu(50, -5, 2_500, 3_000) == 0  # the seller is short itself


@given(st.integers(1, 10**7), st.integers(1, 50), st.floats(100, 2_000), st.floats(0, 3_000))
def test_ask_ladder_offers_the_whole_surplus_at_rising_prices(surplus: int, steps: int,
                                                              low: float, extra: float) -> None:
    ladder = ask_ladder(surplus, steps, low, low + extra)

    assert sum(mu for mu, _ in ladder) == surplus
    prices = [p for _, p in ladder]
    assert prices == sorted(prices)
    assert prices[0] == pytest.approx(low)
    assert len(ladder) == min(steps, surplus)
    if len(ladder) > 1:
        assert prices[-1] == pytest.approx(low + extra)


def test_administered_short_region_buys_min_of_shortfall_and_surplus_and_plants_the_rest(
        ) -> None:
    f = forests("administered", region(A, 450), region(B, 530))

    run_year(f, 2025)

    a, b = rows(f, 2025)[A], rows(f, 2025)[B]
    assert (a.bought_mu, b.sold_mu) == (30, 30)  # shortfall 50, surplus above target 30
    assert a.paid_yuan == b.received_yuan == 30 * 2_500
    assert (a.planted_mu, a.planting_cost_yuan) == (20, 20 * 3_000)
    assert not a.met_target and b.met_target  # planting counts from the next year
    assert (a.indicators_mu, b.indicators_mu) == (480, 500)
    assert (a.forest_mu, b.forest_mu) == (450, 530)  # physical forest stays where it grows
    reg = f.registry
    assert reg.cash("gov:guangan") == 30 * 2_500 * 100 + round(b.sink_revenue_yuan * 100)
    planting = [e for e in reg.journal if e.memo == "afforestation 2025" and e.asset == CASH]
    assert [(e.debit, e.credit, e.amount) for e in planting] == [
        ("gov:changshou", OUTSIDE, 20 * 3_000 * 100)]

    run_year(f, 2026)

    a, b = rows(f, 2026)[A], rows(f, 2026)[B]
    assert a.met_target and a.bought_mu == a.planted_mu == 0
    assert (a.forest_mu, a.indicators_mu) == (470, 500)
    reg.audit()


def test_administered_region_plants_when_planting_is_cheaper_within_capacity() -> None:
    f = forests("administered", region(A, 450, cost=2_000, capacity=40), region(B, 530))

    run_year(f, 2025)

    a, b = rows(f, 2025)[A], rows(f, 2025)[B]
    assert a.bought_mu == b.sold_mu == 0
    assert a.planted_mu == 40  # the capacity, short of the 50 missing
    run_year(f, 2026)
    assert rows(f, 2026)[A].planted_mu == 10 and not rows(f, 2026)[A].met_target


def test_market_variant_clears_between_the_reservation_prices() -> None:
    # A misses 30 mu and bids them at its planting cost, 2,800; B has 100 mu to spare and
    # asks 20 at each of 1,500 (upkeep), 1,875, 2,250, 2,625 and 3,000 (its planting cost).
    f = forests("market", region(A, 470, cost=2_800), region(B, 600))

    run_year(f, 2025)

    trades = f.venue.trades
    assert {t.kind for t in trades} == {"auction"}
    assert {(t.buyer, t.seller) for t in trades} == {("gov:changshou", "gov:guangan")}
    assert all(1_500 < t.price_fen / 100 < 2_800 for t in trades)  # yuan per 1-mu lot
    assert {t.price_ticks for t in trades} == {1_875}  # the second step sets the price
    a, b = rows(f, 2025)[A], rows(f, 2025)[B]
    assert a.bought_mu == b.sold_mu == sum(t.delivered_units for t in trades) == 30
    assert a.met_target and a.planted_mu == 0
    assert a.paid_yuan == pytest.approx(30 * 1_875)
    assert f.registry.total("gov:changshou", SYMBOLS[A]) == 470 + 30  # converted one for one
    assert f.registry.total("gov:changshou", SYMBOLS[B]) == 0
    assert f.appraisal_fen_per_mu(B) == 1_875 * 100  # the market's reference price
    assert f.appraisal_fen_per_mu(A) == 2_500 * 100  # no trade yet: the opening reference
    f.registry.audit()


def test_market_variant_plants_what_the_auction_does_not_bring() -> None:
    f = forests("market", region(A, 450), region(B, 510))

    run_year(f, 2025)

    a = rows(f, 2025)[A]
    assert (a.bought_mu, a.planted_mu) == (10, 40)


def test_sinks_are_computed_and_paid_to_the_physical_holders_pro_rata() -> None:
    f = forests("administered", region(A, 450), region(B, 530), firm_mu=90, sink_price=70)

    run_year(f, 2025)
    run_year(f, 2026)

    first, second = rows(f, 2025)[A], rows(f, 2026)[A]
    assert first.sinks_tco2e == pytest.approx(45 * 0.23)  # 10 % of 450 mu managed
    assert second.sinks_tco2e == pytest.approx(45 * 0.23 + 20 * 0.7)  # + afforested land
    assert sinks_tco2e(45, 20, 0.23, 0.7) == pytest.approx(second.sinks_tco2e)
    assert second.sink_revenue_yuan == pytest.approx(second.sinks_tco2e * 70)
    sales = [e for e in f.registry.journal if e.memo == "forest carbon sink sale"
             and e.debit == OUTSIDE]
    firm_2026 = [e.amount for e in sales if e.credit == "firm:a1"][1]
    # the firm's 90 mu of the 470 mu of physical forest of A in 2026
    assert firm_2026 == round(second.sinks_tco2e * 70 * 100) * 90 // 470
    assert sum(e.amount for e in sales) == round(
        sum(r.sink_revenue_yuan for r in f.records) * 100)


@pytest.mark.parametrize("pricing", ["administered", "market"])
def test_deals_and_conversion_neither_create_nor_lose_indicators(pricing: str) -> None:
    f = forests(pricing, region(A, 420, rise=0.02), region(B, 560), firm_mu=90)

    for year in (2025, 2026):
        run_year(f, year)

    reg = f.registry
    holders = [a for a in reg.accounts() if not a.startswith(("issuer:", "retired:"))]
    for r in (A, B):
        issued = -reg.total(issuer_account(r), SYMBOLS[r])
        retired = reg.total(retirement_account(r), SYMBOLS[r])
        assert sum(reg.total(a, SYMBOLS[r]) for a in holders) == issued - retired
        assert f.indicators_mu(r) == issued - retired
    planted = sum(r.planted_mu for r in f.records)
    assert sum(f.indicators_mu(r) for r in (A, B)) == 420 + 560 + planted
    assert sum(f.forest_mu.values()) == 420 + 560 + planted
    bought = sum(r.bought_mu for r in f.records)
    assert bought == sum(r.sold_mu for r in f.records) > 0
    assert reg.total("firm:a1", SYMBOLS[A]) == 90  # firms' certificates are not traded
    reg.audit()
