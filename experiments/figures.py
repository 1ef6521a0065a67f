"""Figures of an experiment, drawn from the outputs of ``experiments.analysis``.

Each function returns a matplotlib Figure on the Agg canvas, made without pyplot, as in
``experiments.plots``: nothing touches global plotting state or needs a display.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["comparison_bars", "factor_scatter", "fan_chart", "sobol_chart", "tornado"]


def fan_chart(bands: pd.DataFrame, title: str, ylabel: str, time: str = "day",
              panel: str = "market", line: str = "point_name", max_lines: int = 6) -> Figure:
    """Median and 50 % / 90 % bands across replications; a panel per ``panel`` value and
    a colour per ``line`` value (the first ``max_lines``).

    Args:
        bands: :func:`experiments.analysis.fan_bands` output (q05, q25, q50, q75, q95).
    """
    from matplotlib.ticker import MaxNLocator

    panels = sorted(bands[panel].dropna().unique()) if len(bands) else []
    colours = {label: k for k, label in enumerate(bands[line].unique()[:max_lines])}
    fig, axes = _figure(title, len(panels), "no values", columns=2 if len(panels) > 2 else 1)
    for ax, name in zip(axes, panels):
        rows = bands[(bands[panel] == name) & bands[line].isin(list(colours))]
        for label, group in rows.groupby(line, sort=False):
            colour = colours[label]  # one colour per line across the panels
            group = group.sort_values(time)
            ax.fill_between(group[time], group["q05"], group["q95"], color=f"C{colour}",
                            alpha=0.12, linewidth=0)
            ax.fill_between(group[time], group["q25"], group["q75"], color=f"C{colour}",
                            alpha=0.25, linewidth=0)
            ax.plot(group[time], group["q50"], color=f"C{colour}", label=str(label))
        ax.set_title(str(name))
        ax.set_xlabel(time.replace("_", " "))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(ylabel)
        _legend(ax)
    if panels:
        fig.text(0.01, 0.005, "line: median; dark band: 25-75 %; light band: 5-95 % "
                 "of replications", fontsize=8)
    return fig


def comparison_bars(summary: pd.DataFrame, metrics: Sequence[str],
                    labels: dict[str, str] | None = None) -> Figure:
    """A panel per metric: the mean at each point with its confidence interval.

    Args:
        summary: :func:`experiments.analysis.summarize` output.
        metrics: the metrics to draw, one panel each.
        labels: panel titles by metric (default: the metric names).
    """
    fig, axes = _figure("Comparison of design points (mean and 95 % interval over "
                        "replications)", len(metrics), "no metrics", columns=2)
    for ax, metric in zip(axes, metrics):
        rows = summary[summary["metric"] == metric].sort_values("point")
        x = np.arange(len(rows))
        low = (rows["mean"] - rows["ci_low"]).fillna(0).clip(lower=0)
        high = (rows["ci_high"] - rows["mean"]).fillna(0).clip(lower=0)
        ax.bar(x, rows["mean"], color=[f"C{i % 10}" for i in range(len(rows))], alpha=0.8)
        ax.errorbar(x, rows["mean"], yerr=[low, high], fmt="none", ecolor="black",
                    capsize=4)
        ax.set_xticks(x, [str(n) for n in rows["point_name"]],
                      rotation=30 if len(rows) > 4 else 0, ha="right" if len(rows) > 4
                      else "center")
        ax.set_title((labels or {}).get(metric, metric))
    return fig


def sobol_chart(indices: pd.DataFrame, metrics: Sequence[str]) -> Figure:
    """A panel per metric: first-order (S1) and total (ST) Sobol indices of each factor,
    with their intervals."""
    shown = [m for m in metrics if (indices["metric"] == m).any()]
    fig, axes = _figure("Sobol indices (share of the output's variance)", len(shown),
                        "no indices", columns=2)
    for ax, metric in zip(axes, shown):
        rows = indices[indices["metric"] == metric]
        y = np.arange(len(rows))
        ax.barh(y - 0.2, rows["S1"], 0.4, xerr=rows["S1_conf"], label="first order (S1)",
                capsize=3)
        ax.barh(y + 0.2, rows["ST"], 0.4, xerr=rows["ST_conf"], label="total (ST)",
                capsize=3)
        ax.set_yticks(y, list(rows["factor"]))
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(metric)
        _legend(ax)
    return fig


def tornado(effects: pd.DataFrame, metrics: Sequence[str]) -> Figure:
    """A panel per metric: standardised regression coefficients, largest effect on top."""
    shown = [m for m in metrics if (effects["metric"] == m).any()]
    fig, axes = _figure("Effect of each factor (standardised regression coefficients)",
                        len(shown), "no numeric factor varies", columns=2)
    for ax, metric in zip(axes, shown):
        rows = effects[effects["metric"] == metric]
        rows = rows.reindex(rows["coefficient"].abs().sort_values().index)
        colours = ["C3" if c < 0 else "C0" for c in rows["coefficient"]]
        ax.barh(list(rows["factor"]), rows["coefficient"], color=colours)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(f"{metric} (R² = {rows['r2'].iloc[0]:.2f})")
    return fig


def factor_scatter(means: pd.DataFrame, factors: Sequence[str],
                   metrics: Sequence[str]) -> Figure:
    """A panel per metric and factor: the metric's mean at each design point against the
    factor's value (a row per metric, a column per factor)."""
    panels = [(m, f) for m in metrics for f in factors]
    fig, axes = _figure("Design points: KPI means against the factors", len(panels),
                        "no factors", columns=len(factors))
    for ax, (metric, factor) in zip(axes, panels):
        ax.scatter(means[factor], means[metric], s=14, alpha=0.7)
        ax.set_xlabel(factor)
        ax.set_ylabel(metric, fontsize=8)
    return fig


def _figure(title: str, panels: int, empty: str, columns: int = 1
            ) -> tuple[Figure, list[Axes]]:
    """A titled figure on the Agg canvas with ``panels`` axes in rows of ``columns``; with
    none, one blank axes saying ``empty``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    columns = max(1, min(columns, panels))
    rows = max(1, -(-panels // columns))
    fig = Figure(figsize=(8.0 if columns == 1 else 11.0, 1.0 + 2.8 * rows),
                 layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle(title)
    axes = list(fig.subplots(rows, columns, squeeze=False).ravel())
    for ax in axes[max(panels, 1):]:
        ax.set_axis_off()
    if not panels:
        axes[0].text(0.5, 0.5, empty, ha="center", va="center", transform=axes[0].transAxes)
        axes[0].set_axis_off()
    return fig, axes[:max(panels, 1)]


def _legend(ax: Axes) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
