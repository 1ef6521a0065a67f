"""The simulated banks' default counts follow the one-factor model's finite-N distribution.

For N homogeneous firms with PD p and asset correlation R, the number of failures in a
year is a binomial mixture over the systematic factor Z ~ N(0, 1):

    P(K = k | N) = integral of Binom(k; N, p(z)) phi(z) dz,
    p(z) = Phi((Phi^-1(p) - sqrt(R) z) / sqrt(1 - R))          (Vasicek 2002)

computed here by Gauss-Hermite quadrature. The world is simulated through the credit
cycle (its yearly draw), with every firm's PD fixed at p and no lending; a firm that has
failed is not drawn again, so N shrinks from year to year and each year is compared with
the distribution for that year's N.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss
from scipy.stats import binom, chi2, norm

from scenarios import load_scenario, run_scenario

P = 0.04
BANKS = ("banks={regime: independent, lenders: [{name: a, region: changshou,"
         " capital_yuan: 1.0e9, deposits_yuan: 1.0e10}],"
         f" policy: {{pd_by_grade: {{green: {P}, blue: {P}, yellow: {P}, red: {P}}}}},"
         " demand: {target_leverage: 1.0e-6, leverage_sigma: 0, leverage_pd: 0,"
         " buffer_months: 0}}")
WORLD = [BANKS, "calendar.years=40", "calendar.days_per_year=12", "trading.activity=0.0001",
         "regions.changshou.firms={chemical: 50, paper_food: 50}",
         "regions.guangan.firms={chemical: 50, paper_food: 50}"]
SEEDS = range(1, 5)


def basel_correlation(pd_: float) -> float:
    """BCBS (2005): R = 0.12 w + 0.24 (1 - w), w = (1 - e^(-50 PD)) / (1 - e^(-50))."""
    w = (1 - math.exp(-50 * pd_)) / (1 - math.exp(-50))
    return 0.12 * w + 0.24 * (1 - w)


def count_pmf(n: int, p: float, rho: float, nodes: int = 120) -> np.ndarray:
    """P(K = k), k = 0..n, by Gauss-Hermite quadrature over the factor."""
    z, w = hermegauss(nodes)  # weight exp(-z^2 / 2): divide by sqrt(2 pi)
    pz = norm.cdf((norm.ppf(p) - math.sqrt(rho) * z) / math.sqrt(1 - rho))
    k = np.arange(n + 1)
    return (binom.pmf(k[:, None], n, pz[None, :]) * w).sum(axis=1) / math.sqrt(2 * math.pi)


def test_quadrature_is_a_distribution_with_the_right_mean_and_variance() -> None:
    # Mean N p; variance N p (1 - p) + N (N - 1) (p2 - p^2), p2 = P(two firms fail) =
    # E[p(Z)^2], here by a fine Riemann sum over z independent of the quadrature.
    n, rho = 50, basel_correlation(P)
    pmf = count_pmf(n, P, rho)
    k = np.arange(n + 1)
    assert pmf.sum() == pytest.approx(1, abs=1e-10)
    assert (k * pmf).sum() == pytest.approx(n * P, rel=1e-8)
    z = np.linspace(-10, 10, 200_001)
    pz = norm.cdf((norm.ppf(P) - math.sqrt(rho) * z) / math.sqrt(1 - rho))
    p2 = float(np.sum(pz**2 * norm.pdf(z)) * (z[1] - z[0]))
    variance = n * P * (1 - P) + n * (n - 1) * (p2 - P**2)
    assert ((k - n * P) ** 2 * pmf).sum() == pytest.approx(variance, rel=1e-6)
    assert variance > 2 * n * P * (1 - P)  # correlation fattens the binomial's spread


@pytest.fixture(scope="module")
def years() -> list[tuple[int, int]]:
    """(firms drawn, failures) of every simulated year."""
    scenario = load_scenario("tiny", WORLD)
    out = []
    for seed in SEEDS:
        table = run_scenario(scenario, seed)["credit_years"]
        out += list(zip(table["firms"].astype(int), table["failures"].astype(int)))
    return out


def test_simulated_default_counts_follow_the_finite_n_vasicek_distribution(
        years: list[tuple[int, int]]) -> None:
    rho = basel_correlation(P)
    # Expected number of years with 0, 1, ..., 4 and 5+ failures, summed over the years'
    # distributions; the observed numbers must pass a chi-square test at the 0.1 % level.
    edges = [0, 1, 2, 3, 4, 5]
    expected = np.zeros(len(edges))
    observed = np.zeros(len(edges))
    for n, k in years:
        pmf = count_pmf(n, P, rho)
        for b, low in enumerate(edges):
            high = edges[b + 1] if b + 1 < len(edges) else n + 1
            expected[b] += pmf[low:high].sum()
        observed[min(k, edges[-1])] += 1
    assert expected.min() >= 5  # the test's validity condition
    statistic = float(((observed - expected) ** 2 / expected).sum())
    assert statistic < chi2.ppf(0.999, len(edges) - 1), (observed, expected.round(1))


def test_the_year_to_year_spread_is_the_correlated_one_not_the_binomial(
        years: list[tuple[int, int]]) -> None:
    """The sum over years of (K - N p)^2 estimates the sum of the mixture's variances; it
    must sit within sampling error of that, and clear of the binomial's (no correlation).
    Sampling error: each square has variance E[(K - Np)^4] - Var^2 (fourth moment from
    the quadrature), years are independent given N."""
    rho = basel_correlation(P)
    squares, mixture, binomial, noise = 0.0, 0.0, 0.0, 0.0
    for n, k in years:
        pmf = count_pmf(n, P, rho)
        dev = np.arange(n + 1) - n * P
        var = float((dev**2 * pmf).sum())
        squares += (k - n * P) ** 2
        mixture += var
        binomial += n * P * (1 - P)
        noise += float((dev**4 * pmf).sum()) - var**2
    sd = math.sqrt(noise)
    assert abs(squares - mixture) < 4 * sd, (squares, mixture, sd)
    assert squares > binomial + 2 * sd, (squares, binomial, sd)
