"""MAC curves with an intercept, MAC = c + s a: the benchmark and the simulated market
against a hand-solved case, and the firm-list inputs."""

from __future__ import annotations

from typing import Any

import pytest

from agents.equilibrium import clearing_price, least_cost, market_outcome
from scenarios import build_world
from scenarios.schema import Scenario

# Three firms of 100 t, no tax, intercepts (500, 0, 1000) yuan/t, slopes (10, 20, 5), one
# basin market capped at 255 t: 45 t must be abated. Guess firm 3 (c = 1000) abates
# nothing: (p - 500)/10 + p/20 = 45  ->  3p - 1000 = 900  ->  p = 1900/3 = 633.33 < 1000.
# Abatement (13.33, 31.67, 0); cost 500 * 13.33 + 10 * 13.33^2/2 + 20 * 31.67^2/2
# = 6666.67 + 888.89 + 10027.78 = 17583.33 yuan. (Without intercepts the same slopes give
# p = 45 / (1/10 + 1/20 + 1/5) = 128.57 and firm 3 abates the most.)
E, C, S = [100.0] * 3, [500.0, 0.0, 1000.0], [10.0, 20.0, 5.0]
PRICE = 1900 / 3
ABATEMENT = [40 / 3, 95 / 3, 0.0]
COST = 500 * 40 / 3 + 10 * (40 / 3) ** 2 / 2 + 20 * (95 / 3) ** 2 / 2


def test_benchmarks_by_hand() -> None:
    assert clearing_price(E, S, 0.0, 255.0, intercept=C) == pytest.approx(PRICE)
    market = market_outcome(E, S, 0.0, 255.0, intercept=C)
    assert market.abatement_t == pytest.approx(ABATEMENT)
    assert market.cost_yuan == pytest.approx(COST)
    # No tax: the least cost is the market outcome (equal MACs c + s a).
    assert least_cost(E, S, 0.0, 255.0, intercept=C).cost_yuan == pytest.approx(COST)
    with pytest.raises(ValueError, match="intercept"):
        market_outcome(E, S, 0.0, 255.0, intercept=[-1.0, 0.0, 0.0])


def firm(name: str, region: str, slope: float, intercept: float) -> dict[str, Any]:
    return {"name": name, "region": region, "sector": "plant", "emissions": {"COD": {
        "baseline_t": 100.0, "slope_yuan_per_t2": slope, "intercept_yuan_per_t": intercept}}}


def scenario() -> Scenario:
    return Scenario.model_validate({
        "name": "intercepts", "calendar": {"years": 1, "days_per_year": 60},
        "exchange": {"design": {"kind": "integrated"}},
        "trading": {"frictionless": True},
        "pollutants": {"COD": {"reference_price_yuan_per_t": {"changshou": 600, "guangan": 600},
                               "env_tax_yuan_per_t": {"changshou": 0, "guangan": 0}}},
        "regions": {"changshou": {"regulator": {"cap_share": {"COD": 0.85}}},
                    "guangan": {"regulator": {"cap_share": {"COD": 0.85}}}},
        "firms": [firm("a", "changshou", 10, 500), firm("b", "guangan", 20, 0),
                  firm("c", "guangan", 5, 1000)],
    })


@pytest.mark.parametrize("seed", [1, 2])
def test_the_simulated_market_reaches_the_hand_solution(seed: int) -> None:
    tables = build_world(scenario(), seed).run().tables
    years, fy = tables["market_years"].iloc[0], tables["firm_years"].set_index("firm")
    assert years["equilibrium_price_yuan"] == pytest.approx(PRICE)
    assert years["last_price_yuan"] == pytest.approx(PRICE, rel=0.03)
    assert fy.loc[["a", "b", "c"], "abatement_t"].tolist() == pytest.approx(ABATEMENT, abs=1.5)
    assert fy["abatement_cost_yuan"].sum() == pytest.approx(COST, rel=0.03)
    assert tables["kpis"].iloc[0]["shortfall_t"] == 0


def test_a_listed_firm_gives_exactly_one_slope_and_a_known_reach() -> None:
    data = scenario().model_dump()
    data["firms"][0]["emissions"]["COD"]["mac10_yuan_per_t"] = 1000.0
    with pytest.raises(ValueError, match="mac10_yuan_per_t, slope_yuan_per_t2"):
        Scenario.model_validate(data)
    data = scenario().model_dump()
    data["firms"][0]["reach"] = "dahong_linshui"
    with pytest.raises(ValueError, match=r"firms.0.reach"):
        Scenario.model_validate(data)  # no river
    data["river"] = {}
    world = build_world(Scenario.model_validate(data), 1)
    assert world.compensation is not None
    assert list(world.compensation.graph)[world.compensation.assignment[0]] == "dahong_linshui"


def test_a_listed_firm_gets_its_own_allocation_out_of_the_cap() -> None:
    """Changshou's cap is 0.85 * 100 = 85 t (firm a alone), Guang'an's 0.85 * 200 = 170 t.
    Firm b is given 150 t of its own, so firm c gets what is left: 20 t (grandfathering
    would have given each 85)."""
    data = scenario().model_dump()
    data["firms"][1]["allocation_t"] = {"COD": 150.0}
    tables = build_world(Scenario.model_validate(data), 1).run().tables
    allocation = tables["firm_years"].set_index("firm")["allocation_t"]
    assert allocation.loc[["a", "b", "c"]].tolist() == pytest.approx([85.0, 150.0, 20.0])
    data["regions"]["guangan"]["regulator"]["allocation"] = "auction"
    with pytest.raises(ValueError, match=r"firms.1.allocation_t"):
        Scenario.model_validate(data)
