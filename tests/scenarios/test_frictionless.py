"""With frictions off, the simulated market of 200 firms lands on the competitive
equilibrium, computed here by an independent solver (bisection on the price)."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios import build_world, load_scenario

OVERRIDES = [
    "calendar.years=1", "calendar.days_per_year=100", "trading.frictionless=true",
    "regions.changshou.firms={chemical: 50, power: 3, cement: 8, paper_food: 20, metals: 19}",
    "regions.guangan.firms={chemical: 20, power: 4, cement: 16, paper_food: 35, metals: 25}",
]


def clearing_price(e: np.ndarray, s: np.ndarray, tax: np.ndarray, supply: float) -> float:
    """Smallest price at which the firms' permit demand sum(e - clip((p + tax)/s, 0, e))
    fits the supply; bisection, independent of agents.equilibrium."""
    def demand(p: float) -> float:
        return float(np.sum(e - np.clip((p + tax) / s, 0.0, e)))
    lo, hi = 0.0, float(np.max(s * e))
    if demand(lo) <= supply:
        return 0.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if demand(mid) <= supply else (mid, hi)
    return hi


@pytest.mark.parametrize("design", ["autarky", "integrated"])
def test_two_hundred_firms_reach_the_equilibrium_price_and_cost(design: str) -> None:
    world = build_world(load_scenario("baseline", [*OVERRIDES,
                                                   f"exchange.design={{kind: {design}}}"]), 1)
    tables = world.run().tables
    assert len(world.firms) == 200
    f, years = world.firms, tables["market_years"]
    fy = tables["firm_years"]
    for pollutant in f.pollutants:
        j = f.pollutant(pollutant)
        e = world.years.current_t[2025][:, j]
        zones = {"autarky": {"changshou": f.region == "changshou",
                             "guangan": f.region == "guangan"},
                 "integrated": {"basin": np.ones(len(f), dtype=bool)}}[design]
        cost = 0.0
        for zone, members in zones.items():
            row = years[(years["pollutant"] == pollutant) & (years["zone"] == zone)].iloc[0]
            members = members & (e > 0)
            p = clearing_price(e[members], f.slope[members, j], f.tax[members, j],
                               row["allocated_t"])
            assert row["last_price_yuan"] == pytest.approx(p, rel=0.03), (pollutant, zone)
            a = np.clip((p + f.tax[members, j]) / f.slope[members, j], 0, e[members])
            cost += float(np.sum(f.slope[members, j] * a**2) / 2)
        spent = fy.loc[fy["pollutant"] == pollutant, "abatement_cost_yuan"].sum()
        assert spent == pytest.approx(cost, rel=0.03), pollutant
    assert tables["kpis"].iloc[0]["shortfall_t"] == 0
