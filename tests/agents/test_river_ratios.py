"""Trading ratios of water pollutants from the river: hand-computed coefficients and the
ambient neutrality the ratio is derived for, checked against a closed-form linked market."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agents.river import Reach, Section, river_graph
from agents.river_ratios import (receptor_ratios, source_coefficients,
                                 trading_ratio_at_receptors)

# Two reaches of one day each (43.2 km at 0.5 m/s), COD decaying at 0.2/day: a tonne at the
# head of "up" keeps exp(-0.2) through it and exp(-0.4) by the outlet of "down".
UP = Reach("up", "guangan", "down", 43.2, 10.0, 0.5, {"COD": 0.2}, {},
           Section("border", "III", True))
DOWN = Reach("down", "changshou", None, 43.2, 20.0, 0.5, {"COD": 0.2}, {},
             Section("mouth", "III", False))
GRAPH = river_graph([UP, DOWN])
# Firms: 0 Guang'an on "up", 1 Guang'an off the network, 2 and 3 Changshou on "down".
ASSIGNMENT = np.array([0, -1, 1, 1])
SELLER = np.array([True, True, False, False])
BUYER = ~SELLER
SLOPE = np.array([1.0, 3.0, 2.0, 0.5])


def test_coefficients_by_hand() -> None:
    mouth = source_coefficients(GRAPH, ASSIGNMENT, "COD", "mouth")
    assert mouth == pytest.approx([math.exp(-0.4), 0.0, math.exp(-0.2), math.exp(-0.2)])
    border = source_coefficients(GRAPH, ASSIGNMENT, "COD", "border", off_network=0.5)
    assert border == pytest.approx([math.exp(-0.2), 0.5, 0.0, 0.0])


def test_ratio_is_the_response_weighted_coefficient() -> None:
    # Sellers abate an exported tonne in shares 1/s: (1, 1/3) / (4/3) = (3/4, 1/4); only the
    # first reaches the mouth, at exp(-0.4). Buyers emit it on "down": exp(-0.2) whatever
    # their shares. Ratio at the mouth: 0.75 * exp(-0.4) / exp(-0.2) = 0.75 * exp(-0.2).
    # The border section gets no buyer load, so it sets no ratio.
    ratios = receptor_ratios(GRAPH, ASSIGNMENT, SELLER, BUYER, SLOPE, "COD")
    assert ratios == pytest.approx({"mouth": 0.75 * math.exp(-0.2)})
    assert trading_ratio_at_receptors(GRAPH, ASSIGNMENT, SELLER, BUYER, SLOPE, "COD") == \
        pytest.approx(0.614048, abs=1e-6)
    # The other way a Changshou tonne never reaches a section Guang'an's sources reach
    # before it: the mouth is reached by both, and Changshou's weight there is 0 upstream.
    back = trading_ratio_at_receptors(GRAPH, ASSIGNMENT, BUYER, SELLER, SLOPE, "COD",
                                      receptors=["border"])
    assert back == 0.0


def test_bad_input_names_the_field() -> None:
    with pytest.raises(ValueError, match="section"):
        source_coefficients(GRAPH, ASSIGNMENT, "COD", "nowhere")
    with pytest.raises(ValueError, match="off_network"):
        source_coefficients(GRAPH, ASSIGNMENT, "COD", "mouth", off_network=1.5)
    with pytest.raises(ValueError, match="seller, buyer"):
        receptor_ratios(GRAPH, ASSIGNMENT, np.zeros(4, bool), BUYER, SLOPE, "COD")


def test_trading_at_the_ratio_leaves_the_receptor_load_unchanged() -> None:
    """Closed form of the linked market with every firm abating partly: at prices p_G, p_C
    firm i abates (p + tax_i) / s_i. With a flow x (Guang'an tonnes) and ratio r:
        sum_G (e - (p_G + t)/s) = cap_G - x,   sum_C (e - (p_C + t)/s) = cap_C + r x,
        p_G = r p_C,
    two linear equations in (p_C, x). The load at the mouth, sum_i d_i (e_i - a_i), must
    be the same as without trade (x = 0, each region clearing its own cap)."""
    e = np.array([100.0, 80.0, 120.0, 150.0])
    tax = np.array([10.0, 10.0, 20.0, 20.0])
    caps = {"G": 160.0, "C": 150.0}
    r = trading_ratio_at_receptors(GRAPH, ASSIGNMENT, SELLER, BUYER, SLOPE, "COD")
    assert r is not None
    d = source_coefficients(GRAPH, ASSIGNMENT, "COD", "mouth")
    g, c = SELLER, BUYER

    def autarky_price(members: np.ndarray, cap: float) -> float:
        # sum (e - (p + t)/s) = cap  ->  p = (sum e - sum t/s - cap) / sum 1/s
        inv = 1 / SLOPE[members]
        return float((e[members].sum() - (tax[members] * inv).sum() - cap) / inv.sum())

    before = np.where(g, autarky_price(g, caps["G"]), autarky_price(c, caps["C"]))
    inv_g, inv_c = (1 / SLOPE[g]).sum(), (1 / SLOPE[c]).sum()
    # Unknowns (p_C, x):  -r inv_g p_C + x = cap_G - E_G + T_G
    #                     -inv_c p_C - r x = cap_C - E_C + T_C
    rhs_g = caps["G"] - e[g].sum() + (tax[g] / SLOPE[g]).sum()
    rhs_c = caps["C"] - e[c].sum() + (tax[c] / SLOPE[c]).sum()
    p_c, x = np.linalg.solve([[-r * inv_g, 1.0], [-inv_c, -r]], [rhs_g, rhs_c])
    after = np.where(g, r * p_c, p_c)
    assert x > 1.0  # Changshou is short enough to buy
    a_before, a_after = (before + tax) / SLOPE, (after + tax) / SLOPE
    assert np.all((a_before > 0) & (a_before < e) & (a_after > 0) & (a_after < e))
    load_before, load_after = d @ (e - a_before), d @ (e - a_after)
    assert load_after == pytest.approx(load_before, rel=1e-12)
    # A ratio above the neutral one would let the mouth's load rise.
    p_c2, x2 = np.linalg.solve([[-1.2 * r * inv_g, 1.0], [-inv_c, -1.2 * r]], [rhs_g, rhs_c])
    a_high = (np.where(g, 1.2 * r * p_c2, p_c2) + tax) / SLOPE
    assert d @ (e - a_high) > load_before + 1e-6
