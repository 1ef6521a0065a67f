"""Analytical benchmarks: hand-computed cases and properties on random firms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from agents.equilibrium import (Benchmark, RegionFirms, clearing_price, command_and_control,
                                firm_abatement, least_cost, linked_outcome, market_outcome,
                                permit_demand)

CS, GA = "changshou", "guangan"
PROPERTY = settings(max_examples=60, deadline=None)


def columns(n: int, low: float, high: float) -> st.SearchStrategy[np.ndarray]:
    return st.lists(st.floats(low, high), min_size=n, max_size=n).map(np.array)


@st.composite
def firm_columns(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Baseline (t/yr), slope (yuan/t^2) and tax (yuan/t) of one to eight firms."""
    n = draw(st.integers(1, 8))
    return draw(columns(n, 0.0, 100.0)), draw(columns(n, 0.1, 50.0)), draw(columns(n, 0.0, 200.0))


@st.composite
def regions(draw: st.DrawFn) -> RegionFirms:
    """A region whose cap is up to 110 % of its baseline total."""
    e, s, t = draw(firm_columns())
    return RegionFirms(e, s, t, draw(st.floats(0.0, 1.1)) * float(e.sum()))


def assert_meets_cap(b: Benchmark, baseline_t: np.ndarray, cap_t: float) -> None:
    assert baseline_t.sum() - b.abatement_t.sum() <= max(cap_t, 0.0) + 1e-9 * (1 + cap_t)
    assert np.all(b.abatement_t >= 0.0) and np.all(b.abatement_t <= baseline_t)


# --- one market, by hand ---------------------------------------------------------------------

def test_two_firms_clear_where_demand_meets_the_cap() -> None:
    # demand 30 - p/2 - p = 15  ->  p = 10, a = (5, 10)
    b = market_outcome([10.0, 20.0], [2.0, 1.0], [0.0, 0.0], cap_t=15.0)
    assert b.price_yuan_per_t == pytest.approx(10.0)
    assert b.abatement_t == pytest.approx([5.0, 10.0])
    assert b.cost_yuan == pytest.approx(2 * 25 / 2 + 100 / 2)


def test_taxes_shift_abatement_and_lower_the_price() -> None:
    # 30 - (p + 2)/2 - (p + 4) = 15  ->  p = 20/3, a = (13/3, 32/3)
    e, s, t = [10.0, 20.0], [2.0, 1.0], [2.0, 4.0]
    assert clearing_price(e, s, t, 15.0) == pytest.approx(20 / 3, rel=1e-12)
    assert firm_abatement(20 / 3, e, s, t) == pytest.approx([13 / 3, 32 / 3])
    assert permit_demand(20 / 3, e, s, t) == pytest.approx(15.0)


def test_a_firm_that_abates_fully_drops_out_of_the_margin() -> None:
    # firm 0 is exhausted at p = 2; firm 1 alone then abates 10 more at p = 10
    b = market_outcome([2.0, 20.0], [1.0, 1.0], 0.0, cap_t=10.0)
    assert b.price_yuan_per_t == pytest.approx(10.0)
    assert b.abatement_t == pytest.approx([2.0, 10.0])


def test_cap_that_does_not_bind_gives_price_zero() -> None:
    e, s, t = [10.0, 20.0], [2.0, 1.0], [2.0, 4.0]
    assert clearing_price(e, s, t, 30.0 - 1.0 - 4.0) == 0.0
    b = market_outcome(e, s, t, cap_t=100.0)
    assert b.price_yuan_per_t == 0.0
    assert b.abatement_t == pytest.approx([1.0, 4.0])          # the tax alone
    assert least_cost(e, s, t, cap_t=100.0).cost_yuan == 0.0


def test_cap_at_zero_prices_full_abatement() -> None:
    e, s, t = [10.0, 20.0], [2.0, 1.0], [2.0, 4.0]
    assert clearing_price(e, s, t, 0.0) == pytest.approx(max(20.0 - 2.0, 20.0 - 4.0))
    assert market_outcome(e, s, t, 0.0).abatement_t == pytest.approx(e)
    assert clearing_price([0.0, 0.0], [1.0, 1.0], 5.0, 0.0) == 0.0


def test_uniform_cut_costs_more_than_least_cost() -> None:
    e, s = [10.0, 20.0], [1.0, 1.0]
    cac = command_and_control(e, s, cap_t=15.0)
    assert cac.abatement_t == pytest.approx([5.0, 10.0])
    assert cac.price_yuan_per_t == pytest.approx(10.0)
    assert cac.cost_yuan == pytest.approx(62.5)
    lc = least_cost(e, s, 0.0, cap_t=15.0)
    assert (lc.price_yuan_per_t, lc.cost_yuan) == pytest.approx((7.5, 56.25))


def test_unequal_taxes_make_the_market_miss_least_cost() -> None:
    e, s, t = [10.0, 20.0], [2.0, 1.0], [2.0, 4.0]
    market, best = market_outcome(e, s, t, 15.0), least_cost(e, s, t, 15.0)
    assert best.abatement_t == pytest.approx([5.0, 10.0])
    assert market.cost_yuan == pytest.approx(681 / 9)
    assert market.cost_yuan > best.cost_yuan + 0.5


def test_results_are_read_only() -> None:
    b = least_cost([10.0, 20.0], [1.0, 1.0], 0.0, 15.0)
    with pytest.raises(ValueError):
        b.abatement_t[0] = 0.0


@pytest.mark.parametrize("args", [
    ([-1.0, 2.0], [1.0, 1.0], 0.0, 1.0),
    ([1.0, 2.0], [0.0, 1.0], 0.0, 1.0),
    ([1.0, 2.0], [1.0, 1.0], -3.0, 1.0),
    ([1.0, 2.0], [1.0, 1.0], [1.0, 2.0, 3.0], 1.0),
    ([1.0, 2.0], [1.0], 0.0, 1.0),
    ([1.0, 2.0], [1.0, 1.0], 0.0, float("nan")),
])
def test_invalid_firms_are_rejected(args: tuple[object, object, object, float]) -> None:
    e, s, t, cap = args
    with pytest.raises(ValueError):
        clearing_price(e, s, t, cap)  # type: ignore[arg-type]


def test_negative_price_is_rejected() -> None:
    with pytest.raises(ValueError, match="price"):
        firm_abatement(-1.0, [1.0], [1.0], 0.0)


# --- one market, properties ------------------------------------------------------------------

@PROPERTY
@given(firm_columns(), st.floats(0.0, 1.0))
def test_clearing_price_is_the_smallest_price_meeting_the_cap(
        firms: tuple[np.ndarray, np.ndarray, np.ndarray], share: float) -> None:
    e, s, t = firms
    cap = share * float(e.sum())
    p = clearing_price(e, s, t, cap)
    scale = 1.0 + float(e.sum())
    assert permit_demand(p, e, s, t) <= cap + 1e-9 * scale
    if p > 0.0:
        assert permit_demand(max(p - 1e-6 * (1 + p), 0.0), e, s, t) > cap


@PROPERTY
@given(firm_columns(), st.floats(0.0, 1.0))
def test_least_cost_equalises_marginal_costs(firms: tuple[np.ndarray, np.ndarray, np.ndarray], share: float) -> None:
    e, s, t = firms
    b = least_cost(e, s, t, share * float(e.sum()))
    p, a = b.price_yuan_per_t, b.abatement_t
    tol = 1e-9 * (1.0 + p)
    interior = (a > 1e-12) & (a < e - 1e-12)
    assert s[interior] * a[interior] == pytest.approx(np.full(interior.sum(), p), rel=1e-9)
    assert np.all(s[a >= e] * e[a >= e] <= p + tol)           # exhausted firms sit below p
    assert p == 0.0 or np.all(a[e > 0] > 0.0)


@PROPERTY
@given(firm_columns(), st.floats(0.0, 1.1))
def test_least_cost_is_cheapest(firms: tuple[np.ndarray, np.ndarray, np.ndarray], share: float) -> None:
    e, s, t = firms
    cap = share * float(e.sum())
    best = least_cost(e, s, t, cap)
    for other in (command_and_control(e, s, cap), market_outcome(e, s, t, cap)):
        assert_meets_cap(other, e, cap)
        assert best.cost_yuan <= other.cost_yuan * (1 + 1e-9) + 1e-9
    assert_meets_cap(best, e, cap)


@PROPERTY
@given(firm_columns(), st.floats(0.0, 200.0), st.floats(0.0, 0.99))
def test_market_reaches_least_cost_when_taxes_are_equal(
        firms: tuple[np.ndarray, np.ndarray, np.ndarray], tax: float, share: float) -> None:
    e, s, _ = firms
    at_zero = permit_demand(0.0, e, s, tax)
    assume(at_zero > 1e-6)
    cap = share * at_zero                                  # binds in the market
    market, best = market_outcome(e, s, tax, cap), least_cost(e, s, tax, cap)
    assert market.abatement_t == pytest.approx(best.abatement_t, rel=1e-9, abs=1e-9)
    assert market.cost_yuan == pytest.approx(best.cost_yuan, rel=1e-9, abs=1e-9)
    assert best.price_yuan_per_t == pytest.approx(market.price_yuan_per_t + tax, rel=1e-9)


@PROPERTY
@given(firm_columns(), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_tighter_cap_raises_the_price(firms: tuple[np.ndarray, np.ndarray, np.ndarray], x: float, y: float) -> None:
    e, s, t = firms
    tight, loose = sorted((x * float(e.sum()), y * float(e.sum())))
    assume(loose - tight > 1e-9)
    p_tight, p_loose = clearing_price(e, s, t, tight), clearing_price(e, s, t, loose)
    assert p_tight >= p_loose
    if p_loose > 0.0:
        assert p_tight > p_loose


# --- linked regions --------------------------------------------------------------------------

A = RegionFirms([10.0], [1.0], 0.0, cap_t=8.0)       # autarky price 2
B = RegionFirms([10.0], [1.0], 0.0, cap_t=2.0)       # autarky price 8


def test_linked_flow_aligns_prices_by_the_ratio() -> None:
    # p_A = 2 + x, p_B = 8 - x/2, p_A = p_B/2  ->  x = 1.6, prices 3.6 and 7.2
    out = linked_outcome({CS: A, GA: B}, {(CS, GA): 0.5})
    assert out.flow_t == pytest.approx({(CS, GA): 1.6, (GA, CS): 0.0})
    assert out.price_yuan_per_t == pytest.approx({CS: 3.6, GA: 7.2})
    assert out.abatement_t[CS] == pytest.approx([3.6])
    assert out.cost_yuan == pytest.approx((3.6**2 + 7.2**2) / 2)


def test_flow_runs_the_other_way_when_the_upstream_region_is_short() -> None:
    out = linked_outcome({CS: B, GA: A}, {(CS, GA): 1.0, (GA, CS): 0.5})
    assert out.flow_t == pytest.approx({(CS, GA): 0.0, (GA, CS): 1.6})
    assert out.price_yuan_per_t == pytest.approx({CS: 7.2, GA: 3.6})


def test_binding_quota_caps_the_flow_and_leaves_prices_apart() -> None:
    out = linked_outcome({CS: A, GA: B}, {(CS, GA): 0.5}, quota_t=1.0)
    assert out.flow_t[(CS, GA)] == 1.0
    p = out.price_yuan_per_t
    assert p == pytest.approx({CS: 3.0, GA: 7.5})
    assert p[CS] < 0.5 * p[GA] - 0.1


def test_seller_cannot_sell_beyond_its_cap() -> None:
    small = RegionFirms([10.0], [1.0], 0.0, cap_t=0.5)
    short = RegionFirms([10.0], [100.0], 0.0, cap_t=0.0)
    out = linked_outcome({CS: small, GA: short}, {(CS, GA): 1.0})
    assert out.flow_t[(CS, GA)] == 0.5
    assert out.abatement_t[CS] == pytest.approx([10.0])
    # changshou's firms would abate fully from 10 yuan/t; guangan's bids set the price
    assert out.price_yuan_per_t == pytest.approx({CS: 950.0, GA: 950.0})


def test_tiny_ratio_leaves_the_regions_in_autarky() -> None:
    out = linked_outcome({CS: A, GA: B}, {(CS, GA): 1e-3, (GA, CS): 1.0})
    assert out.flow_t == {(CS, GA): 0.0, (GA, CS): 0.0}
    assert out.price_yuan_per_t == pytest.approx({CS: 2.0, GA: 8.0})


def test_a_region_without_firms_is_allowed() -> None:
    empty = RegionFirms(np.zeros(0), np.zeros(0), 0.0, cap_t=5.0)
    out = linked_outcome({CS: empty, GA: B}, {(CS, GA): 1.0})
    assert out.flow_t[(CS, GA)] == pytest.approx(5.0)
    assert out.price_yuan_per_t == pytest.approx({CS: 3.0, GA: 3.0})
    assert clearing_price([], [], 0.0, 0.0) == 0.0


def test_closed_direction_carries_no_flow() -> None:
    out = linked_outcome({CS: A, GA: B}, {(GA, CS): 1.0})
    assert out.flow_t == {(CS, GA): 0.0, (GA, CS): 0.0}


@pytest.mark.parametrize(("regions_", "ratios", "quota"), [
    ({CS: A}, {}, None),
    ({CS: A, GA: B, "basin": A}, {}, None),
    ({CS: A, GA: B}, {(CS, "chengdu"): 1.0}, None),
    ({CS: A, GA: B}, {(CS, CS): 1.0}, None),
    ({CS: A, GA: B}, {(CS, GA): 0.0}, None),
    ({CS: A, GA: B}, {(CS, GA): 2.0, (GA, CS): 0.9}, None),
    ({CS: A, GA: B}, {(CS, GA): 1.0}, -1.0),
])
def test_invalid_links_are_rejected(regions_: dict[str, RegionFirms],
                                    ratios: dict[tuple[str, str], float],
                                    quota: float | None) -> None:
    with pytest.raises(ValueError):
        linked_outcome(regions_, ratios, quota)


@PROPERTY
@given(regions(), regions(), st.booleans())
def test_ratio_one_without_quota_is_the_integrated_market(
        a: RegionFirms, b: RegionFirms, tax_free: bool) -> None:
    out = linked_outcome({CS: a, GA: b}, {(CS, GA): 1.0, (GA, CS): 1.0}, least_cost=tax_free)
    e, s, t = (np.concatenate([np.asarray(x), np.asarray(y)]) for x, y in
               ((a.baseline_t, b.baseline_t), (a.slope, b.slope), (a.tax, b.tax)))
    solve = least_cost if tax_free else market_outcome
    one = solve(e, s, t, a.cap_t + b.cap_t)
    scale = 1.0 + one.price_yuan_per_t
    for name in (CS, GA):
        assert out.price_yuan_per_t[name] == pytest.approx(one.price_yuan_per_t, abs=1e-7 * scale)
    abatement = np.concatenate([out.abatement_t[CS], out.abatement_t[GA]])
    assert abatement == pytest.approx(one.abatement_t, rel=1e-7, abs=1e-7)
    assert out.cost_yuan == pytest.approx(one.cost_yuan, rel=1e-7, abs=1e-7)


@PROPERTY
@given(regions(), regions(), st.floats(0.05, 1.0), st.one_of(st.none(), st.floats(0.0, 50.0)),
       st.booleans())
def test_linked_prices_satisfy_the_ratio_conditions(
        a: RegionFirms, b: RegionFirms, ratio: float, quota: float | None,
        tax_free: bool) -> None:
    out = linked_outcome({CS: a, GA: b}, {(CS, GA): ratio}, quota, least_cost=tax_free)
    x, p = out.flow_t[(CS, GA)], out.price_yuan_per_t
    upper = a.cap_t if quota is None else min(quota, a.cap_t)
    tol = 1e-6 * (1.0 + p[CS] + p[GA])
    assert out.flow_t[(GA, CS)] == 0.0 and 0.0 <= x <= upper
    if x == 0.0:
        assert quota == 0.0 or p[CS] >= ratio * p[GA] - tol   # a zero quota shuts the link
    elif quota is not None and x >= quota:
        assert p[CS] <= ratio * p[GA] + tol                    # quota binds
    else:
        assert p[CS] == pytest.approx(ratio * p[GA], rel=1e-6, abs=tol)


@PROPERTY
@given(regions(), regions(), st.floats(0.05, 1.0), st.one_of(st.none(), st.floats(0.0, 50.0)))
def test_linking_never_raises_least_cost(a: RegionFirms, b: RegionFirms, ratio: float,
                                         quota: float | None) -> None:
    out = linked_outcome({CS: a, GA: b}, {(CS, GA): ratio, (GA, CS): ratio}, quota,
                         least_cost=True)
    autarky = sum(least_cost(r.baseline_t, r.slope, r.tax, r.cap_t).cost_yuan for r in (a, b))
    assert out.cost_yuan <= autarky * (1 + 1e-9) + 1e-9
