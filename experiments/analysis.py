"""Analysis of stored experiments: summaries, paired comparisons, sensitivity, fan bands.

Everything here reads result tables (pandas DataFrames as :class:`~experiments.catalog.Store`
returns them, with ``run_key``, ``point``, ``point_name`` and ``replication`` columns) and
returns tidy DataFrames; nothing runs the simulator.

Intervals are Student-t intervals over replications: for ``n`` values with mean ``m`` and
standard deviation ``s``, ``m +- t(1 - alpha/2, n - 1) * s / sqrt(n)``. Paired comparisons
take the per-replication difference between a point and the reference point, which ran on
the same seed (common random numbers), and give the interval of its mean.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from experiments.design import sobol_problem
from experiments.spec import ExperimentError, ExperimentSpec, Sobol

__all__ = ["comparison_table", "fan_bands", "mean_ci", "paired_differences", "point_means",
           "regression_effects", "run_metrics", "sobol_indices", "summarize"]

KEYS = ["point", "point_name"]
_MARKET_PRICE = re.compile(r"^price_([a-z0-9]+)_([a-z0-9]+)_yuan$")


def mean_ci(values: Sequence[float] | np.ndarray | pd.Series,
            confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of ``values``, ignoring NaN.

    With one value the interval is NaN; with none, everything is.

    >>> [round(x, 3) for x in mean_ci([1, 2, 3, 4, 5])]
    [3.0, 1.037, 4.963]
    """
    from scipy.stats import t

    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) == 1:
        return mean, math.nan, math.nan
    half = float(t.ppf((1 + confidence) / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return mean, mean - half, mean + half


def run_metrics(kpis: pd.DataFrame, market_years: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per run: its keys, every KPI column and each market's mean price.

    The market price columns, ``price_<pollutant>_<zone>_yuan`` (pollutant in lower
    case), are the mean over the years of the market's yearly mean price (years without
    trades skipped); they need ``market_years``.
    """
    out = kpis.drop(columns=[c for c in ("run_id", "scenario", "design") if c in kpis])
    if market_years is None or market_years.empty:
        return out.sort_values("run_key").reset_index(drop=True)
    years = market_years.assign(metric="price_" + market_years["pollutant"].str.lower()
                                + "_" + market_years["zone"] + "_yuan")
    prices = (years.groupby(["run_key", "metric"])["mean_price_yuan"].mean()
              .unstack("metric").reset_index())
    prices.columns.name = None
    return out.merge(prices, on="run_key", how="left").sort_values("run_key") \
        .reset_index(drop=True)


def summarize(metrics: pd.DataFrame, names: Sequence[str],
              confidence: float = 0.95) -> pd.DataFrame:
    """Mean and interval of each metric at each point, over its replications.

    Returns:
        Columns point, point_name, metric, n, mean, std, ci_low, ci_high.
    """
    _check_metrics(metrics, names)
    rows = []
    for (point, name), runs in metrics.groupby(KEYS, sort=True):
        for metric in names:
            values = runs[metric].astype(float)
            mean, low, high = mean_ci(values, confidence)
            rows.append((point, name, metric, int(values.notna().sum()), mean,
                         float(values.std(ddof=1)) if values.notna().sum() > 1 else math.nan,
                         low, high))
    return pd.DataFrame(rows, columns=[*KEYS, "metric", "n", "mean", "std", "ci_low",
                                       "ci_high"])


def paired_differences(metrics: pd.DataFrame, names: Sequence[str], reference: int = 0,
                       confidence: float = 0.95) -> pd.DataFrame:
    """Each point minus the reference point, replication by replication (same seeds).

    Only replications complete at both points are paired.

    Returns:
        Columns point, point_name, metric, n, reference_mean, mean, difference, ci_low,
        ci_high, relative (difference over the reference mean's magnitude).

    Raises:
        ExperimentError: the reference point has no runs.
    """
    _check_metrics(metrics, names)
    base = metrics[metrics["point"] == reference].set_index("replication")
    if base.empty:
        raise ExperimentError(f"point {reference} has no complete run to compare with")
    rows = []
    for (point, name), runs in metrics.groupby(KEYS, sort=True):
        if point == reference:
            continue
        paired = runs.set_index("replication")[list(names)].merge(
            base[list(names)], left_index=True, right_index=True, suffixes=("", "__ref"))
        for metric in names:
            ours, theirs = paired[metric].astype(float), paired[f"{metric}__ref"].astype(float)
            difference, low, high = mean_ci(ours - theirs, confidence)
            both = ours.notna() & theirs.notna()
            ref_mean = float(theirs[both].mean()) if both.any() else math.nan
            relative = difference / abs(ref_mean) if ref_mean else math.nan
            rows.append((point, name, metric, int(both.sum()), ref_mean,
                         float(ours[both].mean()) if both.any() else math.nan,
                         difference, low, high, relative))
    return pd.DataFrame(rows, columns=[*KEYS, "metric", "n", "reference_mean", "mean",
                                       "difference", "ci_low", "ci_high", "relative"])


def comparison_table(metrics: pd.DataFrame, names: Sequence[str], reference: int = 0,
                     confidence: float = 0.95) -> pd.DataFrame:
    """One row per point: each metric's mean and interval, and its paired difference from
    the reference point with that interval (empty on the reference row).

    Returns:
        Columns point, point_name, n, then for each metric ``m``: m, m_low, m_high,
        m_diff, m_diff_low, m_diff_high.
    """
    summary = summarize(metrics, names, confidence)
    diffs = paired_differences(metrics, names, reference, confidence).rename(
        columns={"difference": "diff", "ci_low": "diff_low", "ci_high": "diff_high"})
    both = summary[[*KEYS, "metric", "mean", "ci_low", "ci_high"]].merge(
        diffs[[*KEYS, "metric", "diff", "diff_low", "diff_high"]],
        on=[*KEYS, "metric"], how="left")
    out = metrics.groupby(KEYS, sort=True).size().rename("n").reset_index()
    for metric in names:
        part = both[both["metric"] == metric].drop(columns="metric")
        part = part.rename(columns={"mean": metric, "ci_low": f"{metric}_low",
                                    "ci_high": f"{metric}_high", "diff": f"{metric}_diff",
                                    "diff_low": f"{metric}_diff_low",
                                    "diff_high": f"{metric}_diff_high"})
        out = out.merge(part, on=KEYS, how="left")
    return out


def point_means(metrics: pd.DataFrame, names: Sequence[str],
                points: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each metric's mean over replications, one row per point, with the factor values
    of ``points`` (the store's points table) when given."""
    _check_metrics(metrics, names)
    means = metrics.groupby(KEYS, sort=True)[list(names)].mean().reset_index()
    if points is None:
        return means
    factors = points.drop(columns=[c for c in points.columns if str(c).startswith("scenario")])
    return factors.merge(means, on=KEYS, how="left").sort_values("point") \
        .reset_index(drop=True)


def sobol_indices(means: pd.DataFrame, spec: ExperimentSpec, names: Sequence[str],
                  confidence: float = 0.95) -> pd.DataFrame:
    """First-order and total Sobol indices of each metric (Saltelli / Jansen estimators).

    Args:
        means: :func:`point_means`, one row per point of the Sobol design, every point.
        spec: the experiment (its factors and design).
        names: the metrics.
        confidence: level of the bootstrap intervals.

    Returns:
        Columns metric, factor, S1, S1_conf, ST, ST_conf (conf: half-width).

    Raises:
        ExperimentError: not a Sobol design, or points or values are missing.
    """
    from SALib.analyze import sobol

    if not isinstance(spec.design, Sobol):
        raise ExperimentError(f"Sobol indices need a sobol design, not {spec.design.kind}")
    problem = sobol_problem(spec)
    per_point = 2 * len(spec.factors) + 2 if spec.design.second_order else \
        len(spec.factors) + 2
    expected = spec.design.n * per_point
    ordered = means.sort_values("point")
    if len(ordered) != expected or ordered["point"].tolist() != list(range(expected)):
        raise ExperimentError(f"Sobol indices need all {expected} points; "
                              f"{len(ordered)} have results")
    rows = []
    for metric in names:
        y = ordered[metric].to_numpy(dtype=float)
        if np.isnan(y).any():
            raise ExperimentError(f"Sobol indices of {metric}: {int(np.isnan(y).sum())} "
                                  "points have no value")
        result = sobol.analyze(problem, y, calc_second_order=spec.design.second_order,
                               conf_level=confidence, seed=spec.seed % 2**32)
        for k, factor in enumerate(problem["names"]):
            rows.append((metric, factor, result["S1"][k], result["S1_conf"][k],
                         result["ST"][k], result["ST_conf"][k]))
    return pd.DataFrame(rows, columns=["metric", "factor", "S1", "S1_conf", "ST", "ST_conf"])


def regression_effects(means: pd.DataFrame, factors: Sequence[str],
                       names: Sequence[str]) -> pd.DataFrame:
    """Standardised regression coefficients of each metric on the numeric factors.

    A coefficient is the change in the metric, in its standard deviations, per standard
    deviation of the factor, the others held fixed; R2 says how much a linear model
    explains. Factors that do not vary or are not numeric are left out.

    Returns:
        Columns metric, factor, coefficient, r2.
    """
    numeric = [f for f in factors if pd.api.types.is_numeric_dtype(means[f])
               and means[f].std() > 0]
    rows = []
    for metric in names:
        data = means[[*numeric, metric]].dropna()
        if len(data) <= len(numeric) + 1 or not numeric or data[metric].std() == 0:
            continue
        x = ((data[numeric] - data[numeric].mean()) / data[numeric].std()).to_numpy()
        y = ((data[metric] - data[metric].mean()) / data[metric].std()).to_numpy()
        coefficients, *_ = np.linalg.lstsq(x, y, rcond=None)
        r2 = 1 - float(((y - x @ coefficients) ** 2).sum() / (y ** 2).sum())
        rows += [(metric, f, float(c), r2) for f, c in zip(numeric, coefficients)]
    return pd.DataFrame(rows, columns=["metric", "factor", "coefficient", "r2"])


def fan_bands(table: pd.DataFrame, value: str, time: str = "day",
              by: Sequence[str] = ("point_name", "market"),
              quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)) -> pd.DataFrame:
    """Quantiles of ``value`` across replications at each time, per group.

    Returns:
        Columns ``*by``, ``time``, n, mean and ``q05``, ``q25``, ... (percent, two digits).
    """
    rows = table.dropna(subset=[value])
    grouped = rows.groupby([*by, time], sort=True)[value]
    bands = grouped.quantile(np.asarray(quantiles, dtype=float)).unstack()
    bands.columns = [f"q{round(q * 100):02d}" for q in quantiles]
    out = pd.concat([grouped.size().rename("n"), grouped.mean().rename("mean"), bands], axis=1)
    return out.reset_index()


def _check_metrics(metrics: pd.DataFrame, names: Sequence[str]) -> None:
    missing = [n for n in names if n not in metrics.columns]
    if missing:
        hint = " (market prices need the market_years table)" if any(
            _MARKET_PRICE.match(n) for n in missing) else ""
        raise ExperimentError(f"no metric {', '.join(missing)} in the results{hint}")
