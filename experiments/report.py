"""The report of a stored experiment: one self-contained HTML file, and a text summary.

The HTML report has the experiment's definition, its design points, a table per point of
the kept KPIs with confidence intervals, paired differences from the first point, and the
figures (images embedded as base64, so the file can be mailed or archived alone).
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from experiments import analysis, figures, losses
from experiments.catalog import Store, open_store
from experiments.spec import Factorial, ScenarioList, Sobol

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["KPI_LABELS", "render_report", "summary_text", "write_report"]

KPI_LABELS = {
    "abatement_t": "abatement (t)",
    "abatement_cost_yuan": "abatement cost (yuan)",
    "cost_efficiency": "cost efficiency (cost / least cost; 1 is best)",
    "design_efficiency": "design efficiency (cost / design benchmark)",
    "savings_vs_command_control": "savings vs command and control (share)",
    "mean_price_yuan": "mean price (yuan per t)",
    "price_volatility": "price volatility",
    "cross_border_volume_t": "cross-border volume (t)",
    "cross_border_value_yuan": "cross-border value (yuan)",
    "compliance_rate": "compliance rate",
    "penalties_yuan": "penalties (yuan)",
    "volume_t": "volume traded (t)",
}
_MAX_COMPARED = 30      # points shown as a comparison table and bars
_MAX_FANS = 6           # points drawn in fan charts
_DPI = 100


def write_report(folder: Path | str, out: Path | str | None = None,
                 confidence: float = 0.95) -> Path:
    """Write the HTML report of the experiment in ``folder``, atomically.

    Args:
        folder: the experiment directory.
        out: the report file (default ``<folder>/report.html``).
        confidence: level of the intervals.

    Returns:
        The path written.

    Raises:
        ExperimentError: ``folder`` is not an experiment directory.
    """
    with open_store(folder) as store:
        text = render_report(store, confidence)
    path = Path(out) if out is not None else Path(folder) / "report.html"
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return path


def render_report(store: Store, confidence: float = 0.95) -> str:
    """The report of ``store`` as an HTML document."""
    spec = store.spec
    info = store.experiment()
    runs = store.runs()
    parts = [_header(spec.name, spec.description, info, runs)]
    metrics = _metrics(store)
    names = list(spec.keep.kpis)
    if metrics is not None and len(metrics):
        parts.append(_results(store, metrics, names, confidence))
    else:
        parts.append("<p>No run is complete yet: there is nothing to summarise.</p>")
    if "bank_months" in store.tables:
        parts.append(_losses_section(store, runs))
    parts.append(_points_section(store.points()))
    parts.append(_failures_section(runs))
    parts.append(_definition_section(str(info.get("definition", ""))))
    return _page(f"Experiment {spec.name}", "\n".join(parts))


def summary_text(store: Store, confidence: float = 0.95, max_points: int = 20) -> str:
    """Each kept KPI's mean and interval half-width per point, as a plain-text table."""
    metrics = _metrics(store)
    if metrics is None or metrics.empty:
        return "no complete run"
    names = list(store.spec.keep.kpis)
    summary = analysis.summarize(metrics, names, confidence)
    points = sorted(summary["point"].unique())[:max_points]
    header = ["point", *names]
    rows = [header]
    for point in points:
        rows_p = summary[summary["point"] == point].set_index("metric")
        cells = [str(rows_p["point_name"].iloc[0])]
        for name in names:
            mean, low, high = rows_p.loc[name, ["mean", "ci_low", "ci_high"]]
            half = (high - low) / 2
            cells.append(_fmt(mean) + ("" if pd.isna(half) else f" ± {_fmt(half)}"))
        rows.append(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths))) for row in rows]
    more = len(summary["point"].unique()) - len(points)
    note = f"\n(and {more} more points; see the report)" if more > 0 else ""
    return (f"mean ± half-width of the {confidence:.0%} interval over replications\n"
            + "\n".join(lines) + note)


# ---- sections --------------------------------------------------------------------------


def _metrics(store: Store) -> pd.DataFrame | None:
    if "kpis" not in store.tables:
        return None
    market_years = store.table("market_years") if "market_years" in store.tables else None
    return analysis.run_metrics(store.table("kpis"), market_years)


def _header(name: str, description: str, info: dict[str, object], runs: pd.DataFrame) -> str:
    ok = int((runs["status"] == "ok").sum())
    failed = int((runs["status"] == "failed").sum())
    total = int(str(info.get("runs", 0)))
    facts = [
        ("design", info.get("design")), ("design points", info.get("points")),
        ("replications", info.get("replications")), ("root seed", info.get("root_seed")),
        ("runs", f"{ok} complete, {failed} failed, {total - ok - failed} missing"),
        ("code version", info.get("code_version")), ("created", info.get("created_utc")),
    ]
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts)
    return (f"<h1>Experiment {_e(name)}</h1><p>{_e(description)}</p>"
            f"<table class='facts'>{rows}</table>"
            "<p class='note'>Every design point runs with the same seeds (replication r "
            "uses the same seed at every point), so differences between points are paired: "
            "intervals of differences are narrower than the intervals of the means would "
            "suggest. Intervals are Student-t intervals over replications.</p>")


def _results(store: Store, metrics: pd.DataFrame, names: list[str],
             confidence: float) -> str:
    spec = store.spec
    summary = analysis.summarize(metrics, names, confidence)
    n_points = summary["point"].nunique()
    parts = ["<h2>Results</h2>"]
    if isinstance(spec.design, ScenarioList | Factorial) and n_points <= _MAX_COMPARED:
        table = analysis.comparison_table(metrics, names, int(summary["point"].min()),
                                          confidence)
        parts.append(_comparison_html(table, names, confidence))
        parts.append(_image(figures.comparison_bars(summary, names, KPI_LABELS)))
    else:
        parts.append("<details><summary>Summary per design point</summary>"
                     + _summary_html(summary) + "</details>")
    if n_points <= _MAX_FANS:
        parts.append(_fans(store))
    if spec.factors and not isinstance(spec.design, ScenarioList) and n_points > 2:
        parts.append(_sensitivity(store, metrics, names, confidence))
    return "\n".join(parts)


def _fans(store: Store) -> str:
    parts = ["<h2>Over time, across replications</h2>"]
    if "market_daily" in store.tables:
        daily = store.query("SELECT point_name, market, day, close_yuan FROM market_daily")
        bands = analysis.fan_bands(daily, "close_yuan")
        parts.append(_image(figures.fan_chart(bands, "Daily closing price",
                                              "close (yuan per t)")))
    if "market_years" in store.tables:
        years = store.query("SELECT point_name, pollutant || '@' || zone AS market, year, "
                            "volume_t FROM market_years")
        bands = analysis.fan_bands(years, "volume_t", time="year")
        parts.append(_image(figures.fan_chart(bands, "Volume traded per year",
                                              "volume (t)", time="year")))
    if "bank_months" in store.tables:
        parts.extend(_credit_fans(store))
    return "\n".join(parts) if len(parts) > 1 else ""


def _credit_fans(store: Store) -> list[str]:
    """Loans and non-performing loans by month and region of the banks, across
    replications: how the joint-credit rule sets differ over time."""
    monthly = store.query(
        "SELECT point_name, region AS market, month, run_id, SUM(loans_yuan) / 1e6 AS loans,"
        " SUM(npl_yuan) / 1e6 AS npl FROM bank_months"
        " GROUP BY point_name, region, month, run_id")
    if monthly.empty:
        return []
    return [_image(figures.fan_chart(analysis.fan_bands(monthly, column, time="month"),
                                     title, f"{title.lower()} (m yuan)", time="month"))
            for column, title in (("loans", "Loans outstanding"),
                                  ("npl", "Non-performing loans"))]


def _sensitivity(store: Store, metrics: pd.DataFrame, names: list[str],
                 confidence: float) -> str:
    spec = store.spec
    means = analysis.point_means(metrics, names, store.points())
    factors = [f.name for f in spec.factors]
    parts = ["<h2>Sensitivity</h2>"]
    if isinstance(spec.design, Sobol):
        try:
            indices = analysis.sobol_indices(means, spec, names, confidence)
        except ValueError as error:
            parts.append(f"<p>Sobol indices not computed: {_e(error)}</p>")
        else:
            parts.append("<h3>Sobol indices</h3><p>S1: share of the output's variance due to the factor alone; "
                         "ST: including its interactions. ± is the half-width of the "
                         "bootstrap interval; small designs give wide intervals.</p>")
            parts.append(_frame_html(indices))
            parts.append(_image(figures.sobol_chart(indices, names)))
    effects = analysis.regression_effects(means, factors, names)
    if len(effects):
        parts.append("<h3>Factor effects</h3><p>Standardised regression coefficients of the point means on the "
                     "factors (R² near 1: the linear model explains the output).</p>")
        parts.append(_image(figures.tornado(effects, names)))
    parts.append(_image(figures.factor_scatter(means, factors, names)))
    return "\n".join(parts)


def _losses_section(store: Store, runs: pd.DataFrame) -> str:
    """Expected loss, loss quantiles and capital shortfalls by point, per region, for all
    banks and per bank (:mod:`experiments.losses`)."""
    table = losses.loss_distribution(losses.run_losses(store.table("bank_months")), runs)
    order = table["level"].map({"all": 0, "region": 1, "bank": 2})
    table = table.assign(order=order).sort_values(["order", "name", "point_name"]) \
        .drop(columns="order")
    return ("<h2>Loss distributions</h2><p>Final credit losses of the banks across the "
            "replications of each point: the mean (expected loss), the 99 % and 99.9 % "
            "quantiles, and the capital the banks lack to the 10.5 % floor in the last "
            "month (mean, 99.9 % quantile, share of runs short). A 99.9 % quantile needs "
            "1,000 runs or more to be more than the worst run.</p>" + _frame_html(table))


def _comparison_html(table: pd.DataFrame, names: Sequence[str], confidence: float) -> str:
    reference = table["point_name"].iloc[0]
    head = "".join(f"<th>{_e(KPI_LABELS.get(n, n))}</th>" for n in names)
    rows = []
    for data in table.to_dict("records"):
        cells = []
        for n in names:
            value = _with_interval(data[n], data[f"{n}_low"], data[f"{n}_high"])
            if not pd.isna(data[f"{n}_diff"]):
                value += ("<br><span class='diff'>Δ " + _with_interval(
                    data[f"{n}_diff"], data[f"{n}_diff_low"], data[f"{n}_diff_high"],
                    signed=True) + "</span>")
            cells.append(f"<td>{value}</td>")
        rows.append(f"<tr><th>{_e(data['point_name'])}</th><td>{data['n']}</td>"
                    + "".join(cells) + "</tr>")
    return (f"<p>Mean over replications with its {confidence:.0%} interval; Δ: paired "
            f"difference from <b>{_e(reference)}</b> (same seeds) with its interval.</p>"
            f"<table><tr><th>point</th><th>runs</th>{head}</tr>{''.join(rows)}</table>")


def _summary_html(summary: pd.DataFrame) -> str:
    wide = summary.pivot_table(index=["point", "point_name"], columns="metric",
                               values="mean").reset_index()
    return _frame_html(wide)


def _points_section(points: pd.DataFrame) -> str:
    shown = points.drop(columns=["scenario_json"])
    body = _frame_html(shown)
    if len(points) > 12:
        body = f"<details><summary>{len(points)} points</summary>{body}</details>"
    return "<h2>Design points</h2>" + body


def _failures_section(runs: pd.DataFrame) -> str:
    failed = runs[runs["status"] == "failed"]
    if failed.empty:
        return "<h2>Failed runs</h2><p>None.</p>"
    table = failed[["run_key", "point_name", "replication", "seed", "error_type",
                    "error_message"]]
    return (f"<h2>Failed runs</h2><p>{len(failed)} runs failed; their tracebacks are in "
            "the catalogue's runs table and in <code>failed/</code>.</p>" + _frame_html(table))


def _definition_section(definition: str) -> str:
    return ("<h2>Experiment definition</h2><pre>" + _e(definition) + "</pre>")


# ---- html helpers ----------------------------------------------------------------------


def _image(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt='figure' src='data:image/png;base64,{data}'>"


def _frame_html(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><tr>{head}</tr>{rows}</table>"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return _fmt(value)
    return _e(value)


def _with_interval(mean: float, low: float, high: float, signed: bool = False) -> str:
    text = _fmt(mean, signed)
    if not (pd.isna(low) or pd.isna(high)):
        text += f" <span class='ci'>[{_fmt(low, signed)}, {_fmt(high, signed)}]</span>"
    return text


def _fmt(x: object, signed: bool = False) -> str:
    """A number for people: thousands separators, three significant digits below 10.

    >>> _fmt(1234567.8), _fmt(0.012345), _fmt(-2.5, signed=True), _fmt(float("nan"))
    ('1,234,568', '0.0123', '-2.50', '–')
    """
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    if math.isnan(v):
        return "–"
    sign = "+" if signed and v > 0 else ""
    a = abs(v)
    if a >= 1000:
        return f"{sign}{v:,.0f}"
    if a >= 10:
        return f"{sign}{v:,.1f}"
    if a >= 1 or a == 0 or math.isinf(a):
        return f"{sign}{v:.2f}"
    return f"{sign}{v:.3g}"


def _e(value: object) -> str:
    return html.escape(str(value))


def _page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>
<style>
body {{ font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 90%; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: right; vertical-align: top; }}
th {{ background: #f3f3f3; }} .facts th, .facts td {{ text-align: left; }}
.ci {{ color: #666; font-size: 85%; }} .diff {{ color: #1f5fa8; }}
.note {{ color: #444; font-size: 90%; }} pre {{ background: #f7f7f7; padding: 1em; }}
img {{ max-width: 100%; display: block; margin: 1em 0; }}
</style></head><body>
{body}
</body></html>
"""
