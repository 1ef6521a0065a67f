"""Monitoring data at a section and the indices the compensation schemes judge it by.

A year of monitoring at one section is a :class:`SectionYear`: one row per sampling date,
with the month it belongs to, the concentration of each pollutant (NaN where the sample is
missing) and the flow at the section (NaN where it was not measured). Data come from the
simulated river (``agents.compensation``) or from a file of observed samples; the rules
below do not care which.

Averaging rules (stated once, used by every scheme):

- **arithmetic**: the mean of the samples present; a missing sample is left out, not
  counted as zero, and a period without any sample has no mean (NaN).
- **flow_weighted**: ``sum(Q_s C_s) / sum(Q_s)`` over the samples where both the
  concentration and the flow are present; NaN if there are none.
- A **month's** value averages the samples of that month; a **year's** value averages all
  samples of the year (not the months' means, so a month sampled twice weighs twice).
- A missing month pays nothing under the monthly schemes; a year without samples at a
  section pays nothing under the yearly ones.

Indices:

- Xin'an type (reference/domain.md section 5): ``P = K0 * sum_i k_i * C_i / C0_i`` with
  ``C_i`` the year's mean, ``C0_i`` the baseline (the mean of a baseline period) and
  weights ``k_i``; ``P <= 1`` is met. With the per-pollutant check each
  ``K0 * C_i / C0_i`` must also be at most 1.
- Class ratio: ``C_i / S_i`` against the GB 3838-2002 limit ``S_i`` of the section's class;
  a month meets its class when every pollutant's ratio is at most 1, and its excess is
  ``sum_i max(0, C_i / S_i - 1)``.

Example: two samples in January, one missing in February:
    >>> year = SectionYear(np.array([1, 1, 2]), {"COD": np.array([18.0, 22.0, np.nan])},
    ...                    np.array([10.0, 30.0, 20.0]))
    >>> monthly_means(year, "arithmetic")
    {1: {'COD': 20.0}}
    >>> monthly_means(year, "flow_weighted")
    {1: {'COD': 21.0}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["Averaging", "SectionYear", "annual_means", "class_excess", "class_met",
           "class_ratio", "mean_concentration", "monthly_flows", "monthly_means",
           "pollutant_indices", "xinan_index"]

Averaging = Literal["arithmetic", "flow_weighted"]


@dataclass(frozen=True, slots=True)
class SectionYear:
    """One year of samples at one section.

    Attributes:
        month: the month (1 to 12) of each sampling date.
        mg_l: concentration by pollutant, one value per sampling date, NaN if missing.
        flow_m3s: flow at each sampling date, NaN if not measured.
    """

    month: np.ndarray
    mg_l: Mapping[str, np.ndarray]
    flow_m3s: np.ndarray


def mean_concentration(mg_l: np.ndarray, flow_m3s: np.ndarray, rule: Averaging) -> float:
    """The mean of the samples present by ``rule`` (module docstring); NaN if none."""
    c = np.asarray(mg_l, dtype=float)
    if rule == "arithmetic":
        present = ~np.isnan(c)
        return float(c[present].mean()) if present.any() else float("nan")
    q = np.asarray(flow_m3s, dtype=float)
    present = ~np.isnan(c) & ~np.isnan(q)
    if not present.any() or q[present].sum() <= 0:
        return float("nan")
    return float(np.dot(c[present], q[present]) / q[present].sum())


def annual_means(year: SectionYear, rule: Averaging) -> dict[str, float]:
    """The year's mean concentration by pollutant over all its samples (NaN if none)."""
    return {p: mean_concentration(c, year.flow_m3s, rule) for p, c in year.mg_l.items()}


def monthly_means(year: SectionYear, rule: Averaging) -> dict[int, dict[str, float]]:
    """Each month's mean by pollutant, for the months with at least one sample of every
    pollutant (a month missing any pollutant is left out: it cannot be graded)."""
    out: dict[int, dict[str, float]] = {}
    for month in sorted(set(np.asarray(year.month).tolist())):
        rows = np.asarray(year.month) == month
        means = {p: mean_concentration(c[rows], year.flow_m3s[rows], rule)
                 for p, c in year.mg_l.items()}
        if means and not any(np.isnan(v) for v in means.values()):
            out[int(month)] = means
    return out


def monthly_flows(year: SectionYear) -> dict[int, float]:
    """Each month's mean measured flow, m3/s, for the months with a measured flow."""
    out: dict[int, float] = {}
    for month in sorted(set(np.asarray(year.month).tolist())):
        q = year.flow_m3s[np.asarray(year.month) == month]
        q = q[~np.isnan(q)]
        if len(q):
            out[int(month)] = float(q.mean())
    return out


def xinan_index(mg_l: Mapping[str, float], baseline_mg_l: Mapping[str, float],
                weights: Mapping[str, float], k0: float) -> float:
    """``K0 * sum_i k_i * C_i / C0_i`` over the weighted pollutants; NaN if any is missing.

    Raises:
        KeyError: a weighted pollutant without a concentration or a baseline.
    """
    return k0 * sum(w * mg_l[p] / baseline_mg_l[p] for p, w in weights.items())


def pollutant_indices(mg_l: Mapping[str, float], baseline_mg_l: Mapping[str, float],
                      weights: Mapping[str, float], k0: float) -> dict[str, float]:
    """``K0 * C_i / C0_i`` for each weighted pollutant (the per-pollutant check)."""
    return {p: k0 * mg_l[p] / baseline_mg_l[p] for p in weights}


def class_ratio(mg_l: Mapping[str, float], limits_mg_l: Mapping[str, float]
                ) -> dict[str, float]:
    """``C_i / S_i`` by pollutant against the class limits."""
    return {p: c / limits_mg_l[p] for p, c in mg_l.items()}


def class_met(mg_l: Mapping[str, float], limits_mg_l: Mapping[str, float]) -> bool:
    """Every pollutant at or under its class limit."""
    return all(r <= 1 for r in class_ratio(mg_l, limits_mg_l).values())


def class_excess(mg_l: Mapping[str, float], limits_mg_l: Mapping[str, float]) -> float:
    """``sum_i max(0, C_i / S_i - 1)``: how many times over its limits the water is."""
    return sum(max(0.0, r - 1) for r in class_ratio(mg_l, limits_mg_l).values())
