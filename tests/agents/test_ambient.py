"""The ambient benchmark against a closed form for one receptor, an independent primal
solver for several, and the river's own routing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize

from agents.ambient import ambient_least_cost, receptors
from agents.river import Reach, Section, concentrations, river_graph


def test_one_receptor_in_closed_form() -> None:
    """min sum s a^2/2 s.t. sum h (e - a) <= H. KKT: a_i = clip(lambda h_i / s_i, 0, e_i)
    with the constraint binding. e = (10, 20, 30), s = (1, 2, 4), h = (1, 0.5, 0.25), H = 10:
    - all interior: lambda = (sum h e - H) / sum h^2/s = 17.5 / 1.140625 = 15.34, but then
      a_1 = 15.34 > e_1 = 10: firm 1 abates fully and emits nothing;
    - the others: h_2 e_2 + h_3 e_3 - lambda (h_2^2/s_2 + h_3^2/s_3) = 10 + 7.5
      - 0.140625 lambda = 10, so lambda = 160/3, a_2 = 40/3 <= 20, a_3 = 10/3 <= 30, and
      a_1 = lambda > 10 stays clipped;
    - cost = 1 * 10^2/2 + 2 * (40/3)^2/2 + 4 * (10/3)^2/2 = 50 + 1600/9 + 200/9 = 250."""
    b = ambient_least_cost([10, 20, 30], [1, 2, 4], [[1, 0.5, 0.25]], [10])
    assert b.feasible
    assert b.abatement_t == pytest.approx([10, 40 / 3, 10 / 3], rel=1e-6)
    assert b.cost_yuan == pytest.approx(250.0, rel=1e-6)
    assert b.shadow_yuan_per_mg_l == pytest.approx([160 / 3], rel=1e-5)


def test_a_standard_already_met_costs_nothing_and_background_alone_is_infeasible() -> None:
    b = ambient_least_cost([10, 20], [1, 1], [[0.1, 0.1]], [5])
    assert (b.feasible, b.cost_yuan) == (True, 0.0)
    assert not ambient_least_cost([10, 20], [1, 1], [[0.1, 0.1]], [-1]).feasible


def test_several_receptors_against_a_primal_solver() -> None:
    rng = np.random.default_rng(7)
    e = rng.uniform(5, 50, 12)
    s = rng.uniform(0.5, 5, 12)
    h = rng.uniform(0, 1, (3, 12)) * (rng.random((3, 12)) < 0.7)
    room = 0.5 * (h @ e) * np.array([0.9, 0.6, 1.2])
    b = ambient_least_cost(e, s, h, room)
    # Independent route: SLSQP on the primal.
    found = minimize(lambda a: float(np.sum(s * a**2) / 2), e / 2, jac=lambda a: s * a,
                     method="SLSQP", bounds=list(zip(np.zeros(12), e)),
                     constraints=[{"type": "ineq", "fun": lambda a: room - h @ (e - a),
                                   "jac": lambda a: h}],
                     options={"ftol": 1e-14, "maxiter": 500})
    assert found.success
    assert b.cost_yuan == pytest.approx(found.fun, rel=1e-6)
    assert np.all(h @ (e - b.abatement_t) <= room + 1e-6 * np.abs(room))


def test_receptor_coefficients_agree_with_routing() -> None:
    g = river_graph([
        Reach("up", "guangan", "down", 43.2, 10.0, 0.5, {"COD": 0.2}, {"COD": 15.0},
              Section("border", "III", True)),
        Reach("down", "changshou", None, 86.4, 25.0, 0.5, {"COD": 0.2}, {"COD": 12.0},
              Section("mouth", "II", False))])
    assignment = np.array([0, 1, -1])
    emissions = np.array([300.0, 500.0, 800.0])
    r = receptors(g, assignment, "COD")
    routed = concentrations(g, assignment, emissions[:, None], ["COD"])
    assert r.names == ("border", "mouth")
    assert r.concentrations(emissions) == pytest.approx(
        [routed["border"]["COD"], routed["mouth"]["COD"]])
    assert r.standard_mg_l.tolist() == [20.0, 15.0]
    # By hand at the border: 15 + 300 t/yr * 1000/365 kg/day * exp(-0.2) / (86.4 * 10).
    assert r.concentrations(emissions)[0] == pytest.approx(
        15 + 300_000 / 365 * math.exp(-0.2) / 864)


def test_bad_input_names_the_argument() -> None:
    with pytest.raises(ValueError, match="slope"):
        ambient_least_cost([1, 2], [1, 0], [[1, 1]], [1])
    with pytest.raises(ValueError, match="mg_l_per_t"):
        ambient_least_cost([1, 2], [1, 1], [[1, -1]], [1])
