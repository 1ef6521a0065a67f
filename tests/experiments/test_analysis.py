"""Analysis on known cases: intervals, paired differences, Sobol indices, effects, fans."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from experiments.analysis import (comparison_table, fan_bands, mean_ci, paired_differences,
                                  point_means, regression_effects, run_metrics, sobol_indices,
                                  summarize)
from experiments.design import design_matrix
from experiments.spec import ExperimentError, parse_experiment


def metrics_frame(values: dict[int, list[float]], name: str = "cost") -> pd.DataFrame:
    """Runs of points 0, 1, ... with one metric, replication r the r-th value."""
    rows = [(f"p{p}-r{r}", p, f"point{p}", r, v)
            for p, vs in values.items() for r, v in enumerate(vs)]
    return pd.DataFrame(rows, columns=["run_key", "point", "point_name", "replication", name])


def test_mean_ci_matches_the_t_interval_by_hand() -> None:
    mean, low, high = mean_ci([1, 2, 3, 4, 5])

    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)  # t(0.975, 4) s / sqrt(n)
    assert mean == 3
    assert low == pytest.approx(3 - half) and high == pytest.approx(3 + half)
    assert mean_ci([1, 2, 3, 4, 5], 0.5)[2] - 3 == pytest.approx(0.7407 * math.sqrt(0.5),
                                                                 rel=1e-3)


def test_mean_ci_of_one_or_no_value_and_ignoring_nan() -> None:
    assert mean_ci([7.0])[0] == 7 and math.isnan(mean_ci([7.0])[1])
    assert all(math.isnan(x) for x in mean_ci([]))
    assert mean_ci([1, float("nan"), 3]) == mean_ci([1, 3])


def test_intervals_cover_the_true_mean_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(4)
    samples = rng.normal(10.0, 3.0, size=(4000, 6))
    covered = [low <= 10.0 <= high for low, high in
               (mean_ci(row)[1:] for row in samples)]

    assert np.mean(covered) == pytest.approx(0.95, abs=0.012)


def test_summarize_gives_one_row_per_point_and_metric() -> None:
    frame = metrics_frame({0: [1, 2, 3], 1: [10, 10, 10]})

    summary = summarize(frame, ["cost"])

    assert summary[["point", "n", "mean", "std"]].values.tolist() == [[0, 3, 2, 1],
                                                                      [1, 3, 10, 0]]
    assert summary[["ci_low", "ci_high"]].iloc[1].tolist() == [10, 10]


def test_paired_differences_remove_the_noise_shared_by_common_seeds() -> None:
    rng = np.random.default_rng(1)
    shared = rng.normal(0, 50, size=10)          # what the seed does to both points
    own = rng.normal(0, 0.5, size=10)
    frame = metrics_frame({0: list(100 + shared), 1: list(102 + shared + own)})

    diff = paired_differences(frame, ["cost"]).iloc[0]
    summary = summarize(frame, ["cost"])

    assert diff["difference"] == pytest.approx(2 + own.mean())
    assert diff["ci_low"] < 2 < diff["ci_high"]
    assert diff["ci_high"] - diff["ci_low"] < 2
    assert (summary["ci_high"] - summary["ci_low"]).min() > 20 * (diff["ci_high"] - diff["ci_low"])
    assert diff["relative"] == pytest.approx(diff["difference"] / diff["reference_mean"])


def test_paired_differences_pair_only_replications_present_at_both_points() -> None:
    frame = metrics_frame({0: [1, 2, 3], 1: [2, 4, 6]})
    frame = frame.drop(index=frame.index[(frame["point"] == 1) & (frame["replication"] == 2)])

    diff = paired_differences(frame, ["cost"]).iloc[0]

    assert (diff["n"], diff["difference"], diff["reference_mean"]) == (2, 1.5, 1.5)
    with pytest.raises(ExperimentError, match="point 5"):
        paired_differences(frame, ["cost"], reference=5)


def test_comparison_table_has_means_and_differences_per_point() -> None:
    frame = metrics_frame({0: [1, 2, 3], 1: [3, 4, 5]})

    table = comparison_table(frame, ["cost"])

    assert table["point_name"].tolist() == ["point0", "point1"]
    assert table["cost"].tolist() == [2, 4]
    assert table["cost_diff"].isna().tolist() == [True, False]
    assert table[["cost_diff", "cost_diff_low", "cost_diff_high"]].iloc[1].tolist() == [2, 2, 2]


def test_sobol_indices_of_a_known_linear_function() -> None:
    """y = 4a + b + 0c with a, b, c uniform on [0, 1]: S1 = ST = 16/17, 1/17 and 0."""
    spec = parse_experiment("""
name: s
scenario: tiny
factors:
  - {name: a, path: x.a, range: [0, 1]}
  - {name: b, path: x.b, range: [0, 1]}
  - {name: c, path: x.c, range: [0, 1]}
design: {kind: sobol, n: 1024}
""")
    x = design_matrix(spec)
    means = pd.DataFrame({"point": range(len(x)), "point_name": "",
                          "y": 4 * x[:, 0] + x[:, 1]})

    indices = sobol_indices(means, spec, ["y"]).set_index("factor")

    assert indices["S1"].tolist() == pytest.approx([16 / 17, 1 / 17, 0], abs=0.03)
    assert indices["ST"].tolist() == pytest.approx([16 / 17, 1 / 17, 0], abs=0.03)
    with pytest.raises(ExperimentError, match="all 5120 points"):
        sobol_indices(means.iloc[1:], spec, ["y"])


def test_regression_effects_rank_factors_by_standardised_effect() -> None:
    rng = np.random.default_rng(2)
    means = pd.DataFrame({"a": rng.uniform(0, 1, 200), "b": rng.uniform(0, 10, 200),
                          "fixed": 1.0})
    means["y"] = 6 * means["a"] - 0.2 * means["b"] + rng.normal(0, 0.1, 200)

    effects = regression_effects(means, ["a", "b", "fixed"], ["y"]).set_index("factor")

    a, b = effects["coefficient"].astype(float)
    assert list(effects.index) == ["a", "b"]
    assert a > 0 > b
    assert a / -b == pytest.approx(6 / 2, rel=0.1)  # 6 sd(a) / (0.2 sd(b)), sd(b) = 10 sd(a)
    assert effects["r2"].iloc[0] > 0.95


def test_point_means_carry_the_factor_values() -> None:
    frame = metrics_frame({0: [1, 3], 1: [5, 7]})
    points = pd.DataFrame({"point": [0, 1], "point_name": ["point0", "point1"],
                           "scenario": "tiny", "scenario_hash": "h", "scenario_json": "{}",
                           "cap": [0.8, 0.9]})

    means = point_means(frame, ["cost"], points)

    assert means.columns.tolist() == ["point", "point_name", "cap", "cost"]
    assert means["cost"].tolist() == [2, 6]


def test_fan_bands_are_quantiles_across_replications() -> None:
    daily = pd.DataFrame({"point_name": "a", "market": "COD@basin",
                          "day": [0] * 5 + [1] * 5, "close_yuan": [1, 2, 3, 4, 5] * 2})

    bands = fan_bands(daily, "close_yuan")

    assert bands[["day", "n", "mean", "q05", "q50", "q95"]].values.tolist() == \
        [[0, 5, 3, 1.2, 3, 4.8], [1, 5, 3, 1.2, 3, 4.8]]


def test_run_metrics_add_each_markets_mean_price() -> None:
    kpis = pd.DataFrame({"run_key": ["k1"], "point": [0], "point_name": ["a"],
                         "replication": [0], "run_id": ["x"], "scenario": ["s"],
                         "seed": [1], "design": ["linked"], "cost_efficiency": [1.1]})
    years = pd.DataFrame({"run_key": "k1", "pollutant": "COD",
                          "zone": ["changshou", "changshou", "guangan"],
                          "mean_price_yuan": [100.0, float("nan"), 80.0]})

    metrics = run_metrics(kpis, years)

    assert metrics.loc[0, "price_cod_changshou_yuan"] == 100
    assert metrics.loc[0, "price_cod_guangan_yuan"] == 80
    assert "run_id" not in metrics and metrics.loc[0, "cost_efficiency"] == 1.1
