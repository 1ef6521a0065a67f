"""Common random numbers by construction: two designs, regimes, schemes or stresses run on
one seed share every draw that their difference does not touch."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios import World, build_world, load_scenario

SHORT = ["calendar.years=2", "calendar.days_per_year=60"]
SEED = 4


def ran(name: str, *extra: str) -> World:
    world = build_world(load_scenario(name, [*SHORT, *extra]), SEED)
    world.run()
    return world


def same_population(a: World, b: World) -> None:
    fa, fb = a.firms, b.firms
    assert fa.ids == fb.ids
    for column in ("region", "sector", "baseline_t", "tax", "output", "strategy",
                   "output_sigma", "profit_yuan"):
        assert np.array_equal(getattr(fa, column), getattr(fb, column)), column


def same_output_shocks(a: World, b: World) -> None:
    assert a.years.current_t.keys() == b.years.current_t.keys()
    for year, emissions in a.years.current_t.items():
        assert np.array_equal(emissions, b.years.current_t[year]), year


def same_arrivals(a: World, b: World) -> None:
    for day in (0, 1, 37, 119):
        assert a.traders.arrivals(day) == b.traders.arrivals(day), day


@pytest.mark.parametrize(("first", "second", "extra"), [
    ("credit_alone", "credit_joint", []),
    ("credit_joint", "credit_stress", ["stress.0.day=70", "stress.1.day=70"]),
])
def test_credit_regimes_and_stress_share_factors_and_failure_draws(
        first: str, second: str, extra: list[str]) -> None:
    a, b = ran(first), ran(second, *extra)
    same_population(a, b)
    same_output_shocks(a, b)
    same_arrivals(a, b)
    ca, cb = a.credit, b.credit
    assert ca is not None and cb is not None
    assert ca.factors == cb.factors and len(ca.factors) == 2
    assert np.array_equal(ca.target_leverage, cb.target_leverage)
    for year in ca.failures:
        # One latent variable per firm and year, compared with a threshold set by the
        # firm's own PD: where the PDs agree (and the firm is alive in both), so must the
        # failures.
        agree = (ca.pd_at_draw[year] == cb.pd_at_draw[year]) & ca.exposed[year] \
            & cb.exposed[year]
        assert agree.any()
        assert np.array_equal(ca.failures[year][agree], cb.failures[year][agree])


def test_compensation_schemes_share_the_river_and_its_sampling_noise() -> None:
    a, b = ran("compensation_bet"), ran("compensation_pool")
    same_population(a, b)
    same_output_shocks(a, b)
    assert a.compensation is not None and b.compensation is not None
    assert np.array_equal(a.compensation.assignment, b.compensation.assignment)
    records_a, records_b = a.compensation.records, b.compensation.records
    assert [r[:3] for r in records_a] == [r[:3] for r in records_b]
    assert all(np.array_equal(a.compensation.factors[y], b.compensation.factors[y])
               for y in a.compensation.factors)
    for (_, _, _, data_a, _), (_, _, _, data_b, _) in zip(records_a, records_b):
        assert np.array_equal(data_a.flow_m3s, data_b.flow_m3s)
        for p, values_a in data_a.mg_l.items():
            # a sample is the routed mean over the month's flow factor times the noise:
            # the two schemes' samples differ by one factor, their routed means' ratio
            ratio = values_a / data_b.mg_l[p]
            assert np.allclose(ratio, ratio[0], rtol=1e-12, atol=0)


def test_market_designs_share_the_population_output_shocks_and_arrivals() -> None:
    a, b = ran("autarky"), ran("linked")
    same_population(a, b)
    same_output_shocks(a, b)
    same_arrivals(a, b)


@pytest.mark.parametrize("added", [
    ["sectors.power={emissions: {COD: {baseline_t: 50, mac10_yuan_per_t: 3000}}}",
     "regions.changshou.firms.power=3"],
    ["regions.changshou.firms.chemical=11"],
])
def test_adding_firms_leaves_every_other_firm_as_it_was(added: list[str]) -> None:
    base = build_world(load_scenario("tiny"), SEED)
    more = build_world(load_scenario("tiny", added), SEED)
    kept = [more.firms.ids.index(i) for i in base.firms.ids]
    assert len(more.firms) == len(base.firms) + 3
    for column in ("baseline_t", "slope", "output", "profit_yuan", "strategy"):
        assert np.array_equal(getattr(base.firms, column), getattr(more.firms, column)[kept])
