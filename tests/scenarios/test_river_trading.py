"""The linked design trades each pollutant at its own ratio: water pollutants at the ratio
the river gives at the receptors, air pollutants 1:1 in one airshed or by a source-receptor
matrix, hand ratios over both."""

from __future__ import annotations

import math
from typing import Any

import pytest

from scenarios import build_world
from scenarios.schema import Scenario

# Two one-day reaches (43.2 km at 0.5 m/s), COD decaying at 0.2/day (see
# tests/agents/test_river_ratios.py for the same network by hand).
REACHES = [
    {"name": "up", "region": "guangan", "downstream": "down", "length_km": 43.2,
     "flow_m3s": 10.0, "velocity_ms": 0.5, "decay_per_day": {"COD": 0.2},
     "section": {"name": "border", "cross_border": True}},
    {"name": "down", "region": "changshou", "length_km": 43.2, "flow_m3s": 20.0,
     "velocity_ms": 0.5, "decay_per_day": {"COD": 0.2}, "section": {"name": "mouth"}},
]


def firm(name: str, region: str, cod: tuple[float, float], so2: tuple[float, float]
         ) -> dict[str, Any]:
    return {"name": name, "region": region, "sector": "plant", "emissions": {
        "COD": {"baseline_t": cod[0], "mac10_yuan_per_t": cod[1]},
        "SO2": {"baseline_t": so2[0], "mac10_yuan_per_t": so2[1]}}}


def scenario(days: int = 30, frictionless: bool = False, **design: Any) -> Scenario:
    """Guang'an long, Changshou short. MAC slope = mac10 / (0.1 baseline): the Guang'an COD
    slopes are 100 and 300 yuan/t^2, so an exported tonne is abated 3/4 by ga1 (on "up",
    exp(-0.4) of it reaching the mouth) and 1/4 by ga2 (off the network)."""
    return Scenario.model_validate({
        "name": "river-trading", "calendar": {"years": 1, "days_per_year": days},
        "exchange": {"design": {"kind": "linked", **design}},
        "trading": {"activity": 1.0, "order_share": 0.2, "strategies": {"truthful": 1.0},
                    "frictionless": frictionless},
        "pollutants": {p: {"reference_price_yuan_per_t": {"changshou": 3000, "guangan": 3000},
                           "env_tax_yuan_per_t": {"changshou": 0, "guangan": 0}}
                       for p in ("COD", "SO2")},
        "regions": {"changshou": {"regulator": {"cap_share": {"COD": 0.6, "SO2": 0.6}}},
                    "guangan": {"regulator": {"cap_share": {"COD": 1.2, "SO2": 1.2}}}},
        "firms": [firm("ga1", "guangan", (100, 1000), (100, 1000)),
                  firm("ga2", "guangan", (100, 3000), (100, 3000)),
                  firm("cs1", "changshou", (100, 2000), (100, 2000)),
                  firm("cs2", "changshou", (100, 4000), (100, 4000))],
        "river": {"reaches": REACHES, "set_trading_ratio": True,
                  "firms": {"ga1": "up", "cs1": "down", "cs2": "down"}},
    })


COD_RATIO = 0.75 * math.exp(-0.4) / math.exp(-0.2)  # 0.614048


@pytest.mark.parametrize(("design", "expected"), [
    ({}, {"COD": COD_RATIO, "SO2": 1.0}),
    ({"air_source_receptor": {"guangan": {"changshou": 0.5, "guangan": 1.0},
                              "changshou": {"changshou": 0.8, "guangan": 0.1}}},
     {"COD": COD_RATIO, "SO2": 0.5 / 0.8}),
    ({"ratios": {"COD": {"guangan_to_changshou": 0.3}}}, {"COD": 0.3, "SO2": 1.0}),
])
def test_each_pollutant_crosses_at_its_own_ratio(design: dict[str, Any],
                                                 expected: dict[str, float]) -> None:
    world = build_world(scenario(**design), 3)
    ratios = {p: world.years.design.ratios_for(p)[("guangan", "changshou")]
              for p in ("COD", "SO2")}
    assert ratios == pytest.approx(expected, abs=1e-6)
    tables = world.run().tables
    cross = tables["trades"][tables["trades"]["cross_border"]]
    assert set(cross["product"]) == {"COD", "SO2"}
    for product, group in cross.groupby("product"):
        # Delivered in whole kilograms, rounded down.
        expected_t = (group["quantity"] * 1000 * expected[product] + 1e-9).apply(
            math.floor) / 1000
        assert group["delivered_quantity"].tolist() == pytest.approx(expected_t.tolist())


def test_bad_matrix_names_the_field() -> None:
    with pytest.raises(ValueError, match="air_source_receptor.changshou"):
        scenario(air_source_receptor={"guangan": {"changshou": 0.5, "guangan": 1.0},
                                      "changshou": {"changshou": 0.8}})


def test_unknown_receptor_names_the_field() -> None:
    data = scenario().model_dump()
    data["river"]["receptors"] = ["nowhere"]
    with pytest.raises(ValueError, match=r"river.receptors.0"):
        Scenario.model_validate(data)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_frictionless_linked_market_reaches_the_closed_form(seed: int) -> None:
    """The same four firms, no tax, no output shocks, frictions off. Guang'an (slopes 100,
    300) holds 240 t against 200 t of emissions, Changshou (slopes 200, 400) 120 t against
    200 t. With a flow of x Guang'an tonnes at ratio r, once Guang'an's 40 t surplus is gone
    its firms abate a = p_G / s, so 200 - p_G (1/100 + 1/300) = 240 - x, p_G = 75 (x - 40);
    Changshou: 200 - p_C (1/200 + 1/400) = 120 + r x, p_C = (80 - r x) 400 / 3. Arbitrage
    p_G = r p_C gives x = (9000 + 32000 r) / (225 + 400 r^2):
    COD (r = 0.614048): x = 76.23 t, p_G = 2717, p_C = 4425 yuan/t;
    SO2 (r = 1): x = 65.6 t, p_G = p_C = 1920 yuan/t.
    The simulated market must land within 3 % of the prices, the flow and the cost."""
    tables = build_world(scenario(days=60, frictionless=True), seed).run().tables
    trades, firm_years = tables["trades"], tables["firm_years"]
    last = tables["market_years"].set_index(["pollutant", "zone"])["last_price_yuan"]
    slopes = {"ga1": 100.0, "ga2": 300.0, "cs1": 200.0, "cs2": 400.0}
    for pollutant, r in (("COD", COD_RATIO), ("SO2", 1.0)):
        x = (9000 + 32000 * r) / (225 + 400 * r**2)
        p_g, p_c = 75 * (x - 40), (80 - r * x) * 400 / 3
        cost = sum(s * (p_g if f.startswith("ga") else p_c) ** 2 / s**2 / 2
                   for f, s in slopes.items())
        assert last[pollutant, "guangan"] == pytest.approx(p_g, rel=0.03), pollutant
        assert last[pollutant, "changshou"] == pytest.approx(p_c, rel=0.03), pollutant
        cross = trades[trades["cross_border"] & (trades["product"] == pollutant)]
        assert cross["quantity"].sum() == pytest.approx(x, rel=0.03), pollutant
        spent = firm_years.loc[firm_years["pollutant"] == pollutant, "abatement_cost_yuan"]
        assert spent.sum() == pytest.approx(cost, rel=0.03), pollutant
