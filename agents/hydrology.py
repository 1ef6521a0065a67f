"""A year of river flows and of samples at the monitoring sections.

Flow. A year's flow is the mean flow times one factor per month,
``scale * F_year * f_month * s_month``: a yearly factor ``F = exp(sy z0 - sy**2 / 2)``, a
monthly factor ``f = exp(sm z_m - sm**2 / 2)`` (both mean one), a seasonal profile ``s``
(twelve values of mean one) and a regime ``scale`` (1: the long-run mean; below 1 a dry
regime, above 1 a wet one). One basin: every section shares the year's factors. The loads (firms,
towns, farms) stay what they are, so a section's concentration in a month is its routed
concentration at the mean flow divided by the month's factor: a dry year (``F < 1``)
concentrates everything and can fail the test.

Samples. ``samples_per_month`` sampling dates a month (twice a month in the Xin'an scheme);
each sees the month's concentration times a mean-one lognormal factor
``exp(sigma z - sigma**2 / 2)`` (timing of the sample within the month), and the flow of its
month. A sample is missing (NaN, every pollutant) with probability ``missing_share``.

Streams: ``("river", "hydrology", year)`` draws the thirteen normals of the flow factors,
``("river", "sampling", year)`` one normal per section, pollutant and sampling date (sections
and pollutants sorted), ``("river", "gaps", year)`` one uniform per section and sampling
date; every count is fixed by the settings, never by the values, so schemes compared on a
seed see the same river.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from agents.monitoring import SectionYear

__all__ = ["Hydrology", "flow_factors", "sample_year"]


@dataclass(frozen=True, slots=True)
class Hydrology:
    """How flows vary and how sections are sampled (module docstring)."""

    sigma_year: float = 0.0
    sigma_month: float = 0.0
    seasonal: Sequence[float] = (1.0,) * 12
    samples_per_month: int = 2
    sampling_sigma: float = 0.2
    missing_share: float = 0.0
    scale: float = 1.0


def flow_factors(hydrology: Hydrology, rng: np.random.Generator) -> np.ndarray:
    """The twelve months' flow factors of one year (module docstring).

    >>> flow_factors(Hydrology(), np.random.default_rng(0)).tolist() == [1.0] * 12
    True
    >>> flow_factors(Hydrology(scale=0.8), np.random.default_rng(0)).tolist() == [0.8] * 12
    True
    """
    z = rng.standard_normal(13)
    sy, sm = hydrology.sigma_year, hydrology.sigma_month
    year = np.exp(sy * z[0] - sy**2 / 2)
    months = np.exp(sm * z[1:] - sm**2 / 2)
    out: np.ndarray = (hydrology.scale * year * months
                       * np.asarray(hydrology.seasonal, dtype=float))
    return out


def sample_year(routed_mg_l: Mapping[str, Mapping[str, float]], flows_m3s: Mapping[str, float],
                factors: np.ndarray, hydrology: Hydrology, noise: np.random.Generator,
                gaps: np.random.Generator) -> dict[str, SectionYear]:
    """One year of samples at every section.

    Args:
        routed_mg_l: concentration by section and pollutant at the mean flow.
        flows_m3s: the section's flow at the mean (after withdrawals), m3/s.
        factors: the months' flow factors (:func:`flow_factors`).
        hydrology: sampling settings.
        noise: the year's ``("river", "sampling", year)`` stream.
        gaps: the year's ``("river", "gaps", year)`` stream.
    """
    per_month = hydrology.samples_per_month
    month = np.repeat(np.arange(1, 13), per_month)
    by_sample = np.asarray(factors, dtype=float)[month - 1]
    sigma = hydrology.sampling_sigma
    out = {}
    for section in sorted(routed_mg_l):
        missing = gaps.random(len(month)) < hydrology.missing_share
        mg_l = {}
        for p in sorted(routed_mg_l[section]):
            z = noise.standard_normal(len(month))
            values = routed_mg_l[section][p] / by_sample * np.exp(sigma * z - sigma**2 / 2)
            mg_l[p] = np.where(missing, np.nan, values)
        out[section] = SectionYear(month, mg_l, flows_m3s[section] * by_sample)
    return out
