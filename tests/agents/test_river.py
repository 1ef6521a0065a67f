"""River routing, transfer coefficients, firm sites and graph-derived trading ratios."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agents.equilibrium import RegionFirms, command_and_control, linked_outcome
from agents.river import (Reach, Section, assign_firms, concentrations, river_graph, route,
                          trading_ratio, transfer_coefficients)

DAY_KM = 43.2  # at 0.5 m/s a reach this long takes exactly one day


def chain() -> list[Reach]:
    """Guang'an reach a (section at the border) -> Changshou reach b -> c (section)."""
    return [
        Reach("a", "guangan", "b", DAY_KM, 10.0, 0.5, {"COD": 0.2, "NH3N": 0.1},
              {"COD": 10.0, "NH3N": 0.5}, Section("border", "III", True)),
        Reach("b", "changshou", "c", 2 * DAY_KM, 20.0, 0.5, {"COD": 0.2, "NH3N": 0.1},
              {"COD": 8.0, "NH3N": 0.3}),
        Reach("c", "changshou", None, DAY_KM, 40.0, 0.5, {"COD": 0.2, "NH3N": 0.1},
              {"COD": 6.0}, Section("mouth", "II", False)),
    ]


def test_route_matches_a_chain_computed_by_hand() -> None:
    g = river_graph(chain())
    loads = {"a": {"COD": 1000.0, "NH3N": 100.0}, "b": {"COD": 500.0}, "c": {"COD": 200.0}}

    out = route(g, loads)

    da, db, dc = math.exp(-0.2), math.exp(-0.4), math.exp(-0.2)
    assert out["border"]["COD"] == pytest.approx(10.0 + 1000 * da / (86.4 * 10))
    assert out["border"]["NH3N"] == pytest.approx(0.5 + 100 * math.exp(-0.1) / (86.4 * 10))
    mouth = ((1000 * da + 500) * db + 200) * dc
    assert out["mouth"]["COD"] == pytest.approx(6.0 + mouth / (86.4 * 40))
    nh3n = 100 * math.exp(-0.1) * math.exp(-0.2) * math.exp(-0.1)
    assert out["mouth"]["NH3N"] == pytest.approx(nh3n / (86.4 * 40))


def test_transfer_coefficients_multiply_down_to_the_section() -> None:
    g = river_graph(chain())

    assert transfer_coefficients(g, "COD", "mouth") == pytest.approx(
        {"a": math.exp(-0.8), "b": math.exp(-0.6), "c": math.exp(-0.2)})
    assert transfer_coefficients(g, "COD", "border") == pytest.approx({"a": math.exp(-0.2)})
    assert transfer_coefficients(g, "SO2", "mouth") == {"a": 1.0, "b": 1.0, "c": 1.0}


def test_firm_emissions_in_tonnes_route_as_kilograms_a_day() -> None:
    g = river_graph(chain())
    emissions = np.array([[365.0, 0.0], [730.0, 0.0], [99.0, 0.0]])  # t/yr of COD, NH3N

    out = concentrations(g, np.array([0, 0, -1]), emissions, ("COD", "NH3N"))

    assert out["border"]["COD"] == pytest.approx(10.0 + 3000 * math.exp(-0.2) / 864)


def test_graph_refuses_loops_and_unknown_reaches() -> None:
    a, b, c = chain()
    with pytest.raises(ValueError, match="loop"):
        river_graph([a, b, Reach("c", "changshou", "a", 1, 1, 1, {}, {})])
    with pytest.raises(ValueError, match="no reach 'x'"):
        river_graph([Reach("a", "guangan", "x", 1, 1, 1, {}, {})])


def test_firms_draw_reaches_of_their_region_and_listed_firms_stay_put() -> None:
    g = river_graph(chain())
    regions = np.array(["guangan"] * 2000 + ["changshou"] * 2000, dtype=object)

    sites = assign_firms(g, regions, {"a": 0.3, "b": 0.5, "c": 0.25}, {0: "c"},
                         np.random.default_rng(1))

    assert sites[0] == 2
    guangan, changshou = sites[1:2000], sites[2000:]
    assert set(guangan) == {-1, 0} and (guangan == 0).mean() == pytest.approx(0.3, abs=0.04)
    assert (changshou == 1).mean() == pytest.approx(0.5, abs=0.04)
    assert (changshou == 2).mean() == pytest.approx(0.25, abs=0.04)


def test_trading_ratio_weighs_reaches_by_their_firms_loads() -> None:
    reaches = [Reach("up", "guangan", "a", 2 * DAY_KM, 5.0, 0.5, {"COD": 0.2}, {}), *chain()]
    g = river_graph(reaches)  # nodes: up, a, b, c
    sites = np.array([0, 1, 1, 2])
    weights = np.array([30.0, 10.0, 10.0, 99.0])

    ratio = trading_ratio(g, sites, weights, "COD", "guangan")

    assert ratio == pytest.approx((30 * math.exp(-0.6) + 20 * math.exp(-0.2)) / 50)


def test_graph_ratios_meet_the_downstream_standard_at_less_cost_than_uniform_cuts() -> None:
    """Guang'an firms on reach a, Changshou firms at the head of b; the standard binds at
    the mouth. Caps and the graph's ratio hold the mouth's concentration whatever flows
    across the border; the least-cost linked outcome costs less than a uniform cut that
    reaches the same concentration."""
    g = river_graph(chain())
    e_g, s_g = np.array([300.0, 200.0, 400.0]), np.array([40.0, 90.0, 25.0])
    e_c, s_c = np.array([500.0, 250.0]), np.array([30.0, 60.0])
    sites = np.array([0, 0, 0, 1, 1])
    ratio = trading_ratio(g, sites, np.concatenate([e_g, e_c]), "COD", "guangan")
    assert ratio == pytest.approx(math.exp(-0.2))

    def mouth_cod(emissions_g: float, emissions_c: float) -> float:
        return concentrations(g, np.array([0, 1]), np.array([[emissions_g], [emissions_c]]),
                              ("COD",))["mouth"]["COD"]

    cap_g, cap_c = 0.9 * e_g.sum(), 0.6 * e_c.sum()  # Changshou's caps are tight
    linked = linked_outcome({"guangan": RegionFirms(e_g, s_g, 0.0, cap_g),
                             "changshou": RegionFirms(e_c, s_c, 0.0, cap_c)},
                            {("guangan", "changshou"): ratio}, least_cost=True)
    flow = linked.flow_t["guangan", "changshou"]
    assert flow > 0
    target = mouth_cod(cap_g, cap_c)
    assert mouth_cod(cap_g - flow, cap_c + ratio * flow) == pytest.approx(target)

    # the uniform cut of every firm that gives the same concentration at the mouth
    d = transfer_coefficients(g, "COD", "mouth")
    allowed = d["a"] * cap_g + d["b"] * cap_c
    share = 1 - allowed / (d["a"] * e_g.sum() + d["b"] * e_c.sum())
    uniform = (command_and_control(e_g, s_g, (1 - share) * e_g.sum()).cost_yuan
               + command_and_control(e_c, s_c, (1 - share) * e_c.sum()).cost_yuan)
    assert mouth_cod((1 - share) * e_g.sum(), (1 - share) * e_c.sum()) == pytest.approx(target)
    assert linked.cost_yuan < uniform
