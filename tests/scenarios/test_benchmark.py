"""The year benchmark: hand calculations, its inputs, and one number for every consumer."""

from __future__ import annotations

import numpy as np
import pytest

from exchange import BASIN, MarketDesign
from scenarios import YearInputs, build_world, compute_benchmark, load_scenario, year_inputs
from workshop import Game, GameSettings, ScenarioRef
from workshop.debrief import debrief
from workshop.settings import build_game_world

# Three firms, hand-sized. Firm i abates a_i, costs slope_i * a_i**2 / 2 and pays tax_i per
# tonne still emitted. At a permit price p a tonne abated saves p + tax_i, so the firm abates
# until its marginal cost slope_i * a_i equals p + tax_i:
#
#     a_i(p) = clip((p + tax_i) / slope_i, 0, e_i).
#
# A market clears where the rights it needs equal its supply Q:
#
#     sum_i (e_i - a_i(p)) = Q.
#
# With every firm abating partly (no clipping) this is linear in p:
#
#     p = (sum_i e_i - Q - sum_i tax_i / slope_i) / sum_i (1 / slope_i).
#
# The least cost of the same Q is the same with every tax zero (the tax is a transfer), and
# the resource cost of an outcome is sum_i slope_i * a_i**2 / 2.
#
#     firm  region     e   slope  tax   tax/slope  1/slope
#     A     changshou  10  2      4     2          1/2
#     B     changshou  20  1      0     0          1
#     C     guangan    30  3      6     2          1/3
#
# Supply: changshou 16 t, guangan 20 t; together 36 t of 60 t emitted, so 24 t abated.
E = np.array([10.0, 20.0, 30.0])
SLOPE = np.array([2.0, 1.0, 3.0])
TAX = np.array([4.0, 0.0, 6.0])
REGION = np.array(["changshou", "changshou", "guangan"])
SUPPLY = {"changshou": 16.0, "guangan": 20.0}


def _inputs(design: MarketDesign) -> YearInputs:
    return YearInputs(E, SLOPE, TAX, REGION, SUPPLY, design)


def _cost(abatement: list[float]) -> float:
    return float(sum(s * a**2 / 2 for s, a in zip(SLOPE, abatement)))


# One basin market, Q = 36: p = (60 - 36 - 4) / (11/6) = 120/11;
# a = ((120/11 + 4)/2, 120/11, (120/11 + 6)/3) = (82/11, 120/11, 62/11), all interior.
POOLED_PRICE = 120 / 11
POOLED_COST = _cost([82 / 11, 120 / 11, 62 / 11])  # = 39380/242
# Least cost, taxes zero: p = 24 / (11/6) = 144/11; a = (72/11, 144/11, 48/11).
LEAST_COST = _cost([72 / 11, 144 / 11, 48 / 11])  # = 1728/11
# Uniform cut: every firm abates 24/60 = 40 % of its emissions, a = (4, 8, 12).
COMMAND_CONTROL_COST = _cost([4.0, 8.0, 12.0])  # = 264
# Changshou alone, Q = 16, 14 t abated: p = (14 - 2) / (3/2) = 8; a_A = 12/2 = 6, a_B = 8.
# Guangan alone, Q = 20, 10 t abated by C: a_C = 10 = (p + 6)/3, so p = 24.
AUTARKY_PRICES = {"changshou": 8.0, "guangan": 24.0}
AUTARKY_COST = _cost([6.0, 8.0, 10.0])  # = 68 + 150


def test_one_basin_market_against_the_hand_calculation() -> None:
    bench = compute_benchmark(_inputs(MarketDesign("integrated")))

    assert bench.prices == {BASIN: pytest.approx(POOLED_PRICE)}
    assert bench.firm_price.tolist() == pytest.approx([POOLED_PRICE] * 3)
    assert bench.design_cost_yuan == pytest.approx(POOLED_COST)
    assert bench.integrated_cost_yuan == pytest.approx(POOLED_COST)
    assert bench.autarky_cost_yuan == pytest.approx(AUTARKY_COST)
    assert bench.least_cost_yuan == pytest.approx(LEAST_COST)
    assert bench.command_control_cost_yuan == pytest.approx(COMMAND_CONTROL_COST)
    # Unequal taxes distort the market's allocation away from the least cost.
    assert bench.least_cost_yuan < bench.design_cost_yuan


def test_regions_alone_against_the_hand_calculation() -> None:
    bench = compute_benchmark(_inputs(MarketDesign("autarky")))

    assert bench.prices == pytest.approx(AUTARKY_PRICES)
    assert bench.firm_price.tolist() == pytest.approx([8.0, 8.0, 24.0])
    assert bench.design_cost_yuan == pytest.approx(AUTARKY_COST)
    assert bench.integrated_cost_yuan == pytest.approx(POOLED_COST)
    assert bench.least_cost_yuan == pytest.approx(LEAST_COST)


def test_linked_markets_against_the_hand_calculation() -> None:
    """Guangan's firms may buy changshou rights, each tonne counting as half a tonne.

    A flow of x changshou tonnes leaves changshou 16 - x and guangan 20 + x/2:
    changshou abates 14 + x, so p_cs = (14 + x - 2) / (3/2); guangan abates 10 - x/2, so
    p_ga = 3 (10 - x/2) - 6 = 24 - 3x/2. Arbitrage makes p_cs = p_ga / 2:
    (12 + x) / 1.5 = 12 - 0.75 x, so x = 6 / 2.125 = 48/17, p_cs = 168/17, p_ga = 336/17.
    Abatement: a_A = (168/17 + 4)/2 = 118/17, a_B = 168/17, a_C = (336/17 + 6)/3 = 146/17.
    """
    design = MarketDesign("linked", ratios={("changshou", "guangan"): 0.5})
    bench = compute_benchmark(_inputs(design))

    assert bench.prices == pytest.approx({"changshou": 168 / 17, "guangan": 336 / 17})
    assert bench.firm_price.tolist() == pytest.approx([168 / 17, 168 / 17, 336 / 17])
    assert bench.design_cost_yuan == pytest.approx(_cost([118 / 17, 168 / 17, 146 / 17]))
    assert AUTARKY_COST > bench.design_cost_yuan > POOLED_COST  # = 60010/289
    assert bench.autarky_cost_yuan == pytest.approx(AUTARKY_COST)


def test_a_firm_that_abates_everything_drops_out_of_the_price() -> None:
    """e = (10, 2), slope 1, no tax, Q = 4, so 8 t abated. Without the bound p = 8/2 = 4
    would have the small firm abate 4 > 2 t; it abates its 2 t and the other the 6 t left,
    at p = 6. Cost (36 + 4) / 2 = 20; the uniform cut of 2/3 costs ((20/3)^2 + (4/3)^2)/2."""
    inputs = YearInputs(np.array([10.0, 2.0]), np.array([1.0, 1.0]), np.zeros(2),
                        np.array(["changshou", "guangan"]), {"changshou": 4.0, "guangan": 0.0},
                        MarketDesign("integrated"))
    bench = compute_benchmark(inputs)

    assert bench.prices[BASIN] == pytest.approx(6.0)
    assert bench.design_cost_yuan == pytest.approx(20.0)
    assert bench.least_cost_yuan == pytest.approx(20.0)
    assert bench.command_control_cost_yuan == pytest.approx(((20 / 3) ** 2 + (4 / 3) ** 2) / 2)


def test_supply_is_what_was_issued_not_the_cap_or_the_offer() -> None:
    """Rights offered at a primary auction and not sold are cancelled: they are no supply.
    In the basin market the auction's sales belong to the region whose regulator sold."""
    scenario = load_scenario("tiny", ["regions.guangan.regulator.allocation=auction"])
    world = build_world(scenario, 3)
    world.run()
    (record,) = [r for r in world.years.years if r.year == 2025]
    assert 0 < record.auctioned_t < record.offered_t  # the case that matters

    inputs = year_inputs(world, 2025, "COD")

    allocation = world.years.allocations[2025, "COD"]
    assert allocation[world.firms.region == "guangan"].sum() == 0.0
    assert inputs.supply_t["guangan"] == pytest.approx(record.auctioned_t)
    assert sum(inputs.supply_t.values()) == pytest.approx(record.allocated_t
                                                          + record.auctioned_t)
    j = world.firms.pollutant("COD")
    assert inputs.baseline_t.tolist() == world.years.current_t[2025][:, j].tolist()
    assert inputs.slope.tolist() == world.years.slope[2025][:, j].tolist()


FIRMS = ["ch-paper_food-0003", "gu-paper_food-0007"]


@pytest.mark.parametrize("overrides", [
    [],
    ["regions.guangan.regulator.allocation=auction"],
    ["exchange.design={kind: linked, ratio_guangan_to_changshou: 0.8}",
     "regions.changshou.regulator.allocation=auction"],
], ids=["integrated", "integrated-auction", "linked-auction"])
def test_run_tables_and_the_debrief_report_the_same_benchmarks(overrides: list[str]) -> None:
    """One world, played to its end as a game, then collected as a run."""
    settings = GameSettings(scenario=ScenarioRef(name="tiny"), seed=2, firms=FIRMS,
                            days_per_round=40, overrides=overrides)
    game = Game("g", settings, build_game_world(settings))
    while game.status != "ended":
        game.act("open_round", None, {})
        game.act("end_round", None, {})
    tables = game.world.run().tables
    report = debrief(game, {})

    years = tables["market_years"]
    equilibrium = {(r["year"], r["pollutant"], r["zone"]): r["equilibrium_yuan_per_t"]
                   for r in report["equilibrium"]}
    assert equilibrium == {(r.year, r.pollutant, r.zone): r.equilibrium_price_yuan
                           for r in years.itertuples()}
    assert len(equilibrium) == len(years) >= 2
    kpis = tables["kpis"].iloc[0]
    costs = report["costs"]
    assert kpis["least_cost_yuan"] == pytest.approx(sum(c["least_cost_yuan"] for c in costs),
                                                    rel=1e-12)
    assert kpis["design_benchmark_cost_yuan"] == pytest.approx(
        sum(c["design_cost_yuan"] for c in costs), rel=1e-12)

