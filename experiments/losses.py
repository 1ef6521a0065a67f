"""Loss distributions of banks across many runs: expected loss, loss quantiles and capital
shortfalls per bank and per region, from the stored ``bank_months`` tables.

A run's loss of a bank is its cumulative credit loss at the run's last month (net of
fire-sale recoveries); its capital shortfall is what it lacks to the capital floor then,
``max(0, floor * RWA - capital)``. Across the replications of a design point these give
the expected loss (the mean), the 99 % and 99.9 % quantiles (value at risk) and the mean and
99.9 % quantile of the shortfall. A region's loss is the sum over its banks, run by run.

Analysis reads stored tables only (docs/credit.md; the ``credit_losses`` experiment).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from experiments.catalog import open_store

__all__ = ["LOSS_COLUMNS", "loss_distribution", "loss_report", "run_losses"]

LOSS_COLUMNS = ("point_name", "level", "name", "runs", "expected_loss_yuan",
                "loss_q99_yuan", "loss_q999_yuan", "mean_shortfall_yuan",
                "shortfall_q999_yuan", "shortfall_probability")
FLOOR = 0.105  # the policy's default capital floor, Basel III 8 % + 2.5 % buffer


def run_losses(bank_months: pd.DataFrame, floor: float = FLOOR) -> pd.DataFrame:
    """Each run's final loss and capital shortfall by bank.

    Args:
        bank_months: the stored table, with ``run_key``.
        floor: the minimum capital ratio.

    Returns:
        Columns run_key, bank, region, loss_yuan, shortfall_yuan.

    Raises:
        ValueError: a needed column is missing (named).
    """
    needed = ("run_key", "month", "bank", "region", "losses_yuan", "capital_yuan",
              "rwa_yuan")
    for column in needed:
        if column not in bank_months:
            raise ValueError(f"bank_months.{column}: missing")
    last = bank_months[bank_months["month"] == bank_months.groupby("run_key")["month"]
                       .transform("max")]
    shortfall = np.maximum(floor * last["rwa_yuan"].fillna(0) - last["capital_yuan"], 0.0)
    return pd.DataFrame({"run_key": last["run_key"], "bank": last["bank"],
                         "region": last["region"], "loss_yuan": last["losses_yuan"],
                         "shortfall_yuan": shortfall}).reset_index(drop=True)


def loss_distribution(losses: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Expected loss, 99 % and 99.9 % quantiles and shortfalls per point, by bank, by
    region and for all banks.

    Args:
        losses: :func:`run_losses`.
        runs: run_key and point_name of each run.

    Returns:
        One row per point, level (``bank``, ``region``, ``all``) and name, with
        :data:`LOSS_COLUMNS`.
    """
    table = losses.merge(runs[["run_key", "point_name"]], on="run_key")
    rows = []
    for level, key in (("bank", "bank"), ("region", "region"), ("all", None)):
        by = ["point_name", "run_key"] + ([key] if key else [])
        summed = table.groupby(by, sort=True)[["loss_yuan", "shortfall_yuan"]].sum() \
            .reset_index()
        groups = ["point_name"] + ([key] if key else [])
        for names, group in summed.groupby(groups, sort=True):
            point, name = (names[0], names[1]) if key else (names[0], "all")
            rows.append(_row(str(point), level, str(name), group))
    return pd.DataFrame(rows, columns=list(LOSS_COLUMNS))


def _row(point: str, level: str, name: str, group: pd.DataFrame) -> tuple[object, ...]:
    loss = group["loss_yuan"].to_numpy(float)
    short = group["shortfall_yuan"].to_numpy(float)
    return (point, level, name, len(loss), float(loss.mean()),
            float(np.quantile(loss, 0.99)), float(np.quantile(loss, 0.999)),
            float(short.mean()), float(np.quantile(short, 0.999)), float((short > 0).mean()))


def loss_report(folder: Path | str, floor: float = FLOOR) -> pd.DataFrame:
    """:func:`loss_distribution` of a stored experiment that keeps ``bank_months``."""
    with open_store(folder) as store:
        months = store.table("bank_months")
        runs = store.runs()
    return loss_distribution(run_losses(months, floor), runs)
