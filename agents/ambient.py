"""The ambient benchmark: the least cost of meeting the standard at every receptor section.

Montgomery (1972)'s ambient-permit problem. Firm ``i`` emits ``e_i - a_i`` t/yr of a water
pollutant at a quadratic abatement cost ``s_i a_i^2 / 2``. At section ``k`` its tonne adds
``h_ki`` mg/L to the yearly mean concentration: the share ``d_ik`` of its discharge that
arrives (:func:`agents.river_ratios.source_coefficients`) times ``1000 / 365`` kg/day per
t/yr over ``86.4 * flow_k`` (:mod:`agents.river`). The section's concentration is
``background_k + sum_i h_ki (e_i - a_i)`` and must not exceed the standard of its class, so
the firms may add at most ``headroom_k = standard_k - background_k``. The benchmark is

    min sum_i s_i a_i^2 / 2  subject to  sum_i h_ki (e_i - a_i) <= headroom_k,  0 <= a_i <= e_i.

With multipliers ``lambda_k >= 0`` (the shadow price of section ``k``, yuan per mg/L) each
firm abates ``a_i = clip(sum_k lambda_k h_ki / s_i, 0, e_i)``: its marginal cost equals the
value of the concentration it removes. The dual is a smooth concave function of the
``lambda_k`` with the sections' excess load as gradient; it is maximised over
``lambda >= 0`` with L-BFGS-B. For one section the answer is closed form:
``lambda = (sum_i h_i e_i - headroom) / sum_i h_i^2 / s_i`` while every firm abates partly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from agents.river import (KG_PER_DAY_PER_T_YEAR, MG_L_PER_KG_DAY_PER_M3S, sections)
from agents.river_ratios import source_coefficients

__all__ = ["AmbientBenchmark", "Receptors", "ambient_least_cost", "receptors"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class Receptors:
    """What the firms' emissions do at each section, for one pollutant.

    Attributes:
        names: the sections, in network order.
        mg_l_per_t: ``h_ki``, mg/L added at section k per t/yr firm i emits, shape (K, n).
        background_mg_l: concentration without the firms, by section.
        standard_mg_l: the GB 3838-2002 standard of each section's class.
    """

    names: tuple[str, ...]
    mg_l_per_t: FloatArray
    background_mg_l: FloatArray
    standard_mg_l: FloatArray

    def concentrations(self, emissions_t: npt.ArrayLike) -> FloatArray:
        """Yearly mean concentration at each section, mg/L, for the firms' emissions."""
        added = self.mg_l_per_t @ np.asarray(emissions_t, dtype=np.float64)
        return np.asarray(self.background_mg_l + added, dtype=np.float64)


@dataclass(frozen=True, slots=True, eq=False)
class AmbientBenchmark:
    """The least-cost abatement that meets every receptor's standard.

    Attributes:
        feasible: False when a section exceeds its standard even if every firm abated
            everything (its background alone is too high); the other fields are then those
            of full abatement.
        abatement_t: each firm's abatement, t/yr.
        cost_yuan: ``sum s_i a_i^2 / 2``, yuan/yr.
        shadow_yuan_per_mg_l: ``lambda_k`` by section, yuan/yr per mg/L.
    """

    feasible: bool
    abatement_t: FloatArray
    cost_yuan: float
    shadow_yuan_per_mg_l: FloatArray


def receptors(graph: nx.DiGraph[str], assignment: npt.NDArray[np.int64], pollutant: str,
              names: Sequence[str] = (), off_network: float = 0.0) -> Receptors:
    """The sections' response to each firm's emissions of a pollutant, at mean flow.

    Args:
        graph, assignment, pollutant, off_network: as in
            :func:`agents.river_ratios.source_coefficients`.
        names: the sections to include; empty for every monitoring section.

    Raises:
        ValueError: an unknown section.
    """
    located = sections(graph)
    chosen = tuple(names) or tuple(located)
    rows, background, standard = [], [], []
    for name in chosen:
        if name not in located:
            raise ValueError(f"receptors: no section {name!r}")
        node = graph.nodes[located[name]]
        d = source_coefficients(graph, assignment, pollutant, name, off_network)
        rows.append(d * KG_PER_DAY_PER_T_YEAR * MG_L_PER_KG_DAY_PER_M3S / node["flow_m3s"])
        background.append(node["background_mg_l"].get(pollutant, 0.0))
        standard.append(node["section"].standard_mg_l(pollutant))
    return Receptors(chosen, np.array(rows).reshape(len(chosen), len(assignment)),
                     np.array(background), np.array(standard))


def ambient_least_cost(baseline_t: npt.ArrayLike, slope: npt.ArrayLike,
                       mg_l_per_t: npt.ArrayLike, headroom_mg_l: npt.ArrayLike,
                       intercept: npt.ArrayLike = 0.0) -> AmbientBenchmark:
    """Solve the ambient-permit problem (see the module docstring).

    Args:
        baseline_t: each firm's emissions before abatement, t/yr, >= 0.
        slope: each firm's MAC slope, yuan/t^2, > 0.
        mg_l_per_t: ``h_ki`` >= 0, shape (sections, firms).
        headroom_mg_l: what the firms may add at each section, mg/L.
        intercept: each firm's MAC at zero abatement, yuan/t, >= 0 (then the cost is
            ``c a + s a^2 / 2`` and ``a = clip((sum_k lambda_k h_ki - c_i) / s_i, 0, e_i)``).

    Raises:
        ValueError: shapes that do not match, a negative baseline or coefficient, or a
            slope <= 0; the message names the argument.
    """
    e, s, h, room = _checked(baseline_t, slope, mg_l_per_t, headroom_mg_l)
    c = np.broadcast_to(np.asarray(intercept, dtype=np.float64), e.shape)
    if not np.all(np.isfinite(c) & (c >= 0)):
        raise ValueError("intercept: must be finite and >= 0")
    if np.any(room < -1e-12):
        full = e.copy()
        return AmbientBenchmark(False, full, _cost(s, c, full), np.full(len(room), np.nan))
    excess0 = h @ e - room
    if np.all(excess0 <= 0):
        return AmbientBenchmark(True, np.zeros_like(e), 0.0, np.zeros(len(room)))
    scale = np.maximum(np.abs(excess0), 1e-12)  # rows in comparable units

    def abate(lam: FloatArray) -> FloatArray:
        return np.asarray(np.clip(((lam / scale) @ h - c) / s, 0.0, e), dtype=np.float64)

    def negative_dual(lam: FloatArray) -> tuple[float, FloatArray]:
        a = abate(lam)
        excess = h @ (e - a) - room
        value = _cost(s, c, a) + float((lam / scale) @ excess)
        return -value, -excess / scale

    start = np.where(excess0 > 0, 1.0, 0.0) * float(np.max(s * e + c))
    found = minimize(negative_dual, start, jac=True, method="L-BFGS-B",
                     bounds=[(0.0, None)] * len(room),
                     options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 2_000})
    lam = np.asarray(found.x, dtype=np.float64)
    a = abate(lam)
    return AmbientBenchmark(True, a, _cost(s, c, a), lam / scale)


def _cost(slope: FloatArray, intercept: FloatArray, abatement: FloatArray) -> float:
    return float(np.sum(intercept * abatement + slope * abatement**2 / 2))


def _checked(baseline_t: npt.ArrayLike, slope: npt.ArrayLike, mg_l_per_t: npt.ArrayLike,
             headroom_mg_l: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray,
                                                    FloatArray]:
    e = np.atleast_1d(np.asarray(baseline_t, dtype=np.float64))
    s = np.atleast_1d(np.asarray(slope, dtype=np.float64))
    room = np.atleast_1d(np.asarray(headroom_mg_l, dtype=np.float64))
    h = np.asarray(mg_l_per_t, dtype=np.float64).reshape(len(room), -1)
    if s.shape != e.shape or h.shape[1] != e.size:
        raise ValueError(f"baseline_t, slope, mg_l_per_t: firm counts differ ({e.size}, "
                         f"{s.size}, {h.shape[1]})")
    if not np.all(np.isfinite(e) & (e >= 0)):
        raise ValueError("baseline_t: must be finite and >= 0")
    if not np.all(np.isfinite(s) & (s > 0)):
        raise ValueError("slope: must be finite and > 0")
    if not np.all(np.isfinite(h) & (h >= 0)):
        raise ValueError("mg_l_per_t: must be finite and >= 0")
    if not np.all(np.isfinite(room)):
        raise ValueError("headroom_mg_l: must be finite")
    return e, s, h, room
