"""Loss distributions across runs, on a bank_months table built by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from experiments.losses import loss_distribution, run_losses


def bank_months() -> pd.DataFrame:
    """Four runs of point p, two banks (x in Changshou, y in Guang'an), two months each;
    only the last month counts. Final losses of x: 0, 10, 20, 30; of y: 5 in every run.
    x's capital is 100 and its RWA 1,000 in run 3 (ratio 10 % < 10.5 %: short 5) and 0
    elsewhere (no shortfall); y has no RWA."""
    rows = []
    for run in range(4):
        for month in (0, 1):
            final = month == 1
            rows.append((f"r{run}", month, "x", "changshou", 10.0 * run if final else 0.0,
                         100.0, 1000.0 if run == 3 else 0.0))
            rows.append((f"r{run}", month, "y", "guangan", 5.0 if final else 1.0, 50.0, 0.0))
    return pd.DataFrame(rows, columns=["run_key", "month", "bank", "region", "losses_yuan",
                                       "capital_yuan", "rwa_yuan"])


def test_loss_quantiles_and_shortfalls_by_bank_region_and_all() -> None:
    runs = pd.DataFrame({"run_key": [f"r{i}" for i in range(4)], "point_name": "p"})
    table = loss_distribution(run_losses(bank_months()), runs).set_index(["level", "name"])
    x = table.loc[("bank", "x")]
    # Losses 0, 10, 20, 30: mean 15; numpy's linear quantile at 0.99 is 0.99 * 3 = 2.97
    # steps up the sorted values: 20 + 0.97 * 10 = 29.7; at 0.999, 29.97.
    assert x["runs"] == 4
    assert x["expected_loss_yuan"] == pytest.approx(15)
    assert x["loss_q99_yuan"] == pytest.approx(29.7)
    assert x["loss_q999_yuan"] == pytest.approx(29.97)
    # Shortfall 0.105 * 1000 - 100 = 5 in one run of four: mean 1.25, probability 1/4.
    assert x["mean_shortfall_yuan"] == pytest.approx(1.25)
    assert x["shortfall_probability"] == pytest.approx(0.25)
    assert table.loc[("region", "guangan"), "loss_q999_yuan"] == pytest.approx(5)
    # All banks: 5, 15, 25, 35 -> mean 20.
    assert table.loc[("all", "all"), "expected_loss_yuan"] == pytest.approx(20)


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="bank_months.rwa_yuan"):
        run_losses(bank_months().drop(columns="rwa_yuan"))
