"""Side-by-side comparison of scenarios on the same seeds: ``cgx compare``.

Every scenario runs once per seed (common random numbers: seed ``s`` of one scenario meets
the same output shocks, firm draws and river samples as seed ``s`` of another, as far as
their worlds agree). The report is one self-contained HTML file: a table of headline KPIs
(mean over seeds with a 95 % Student-t interval) and plots of the transfers between the
governments, the index at the cross-border sections, the abatement cost and the permit
prices, year by year.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from experiments.analysis import mean_ci
from experiments.store import OutputExists

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["GAINS_LABELS", "KPI_LABELS", "MIN_SEEDS", "Comparison", "compare",
           "paired_summary", "render_comparison", "run_comparison", "seeds_warning"]

KPI_LABELS: dict[str, tuple[str, str]] = {
    "abatement_cost_yuan": ("Abatement cost of all firms", "m yuan"),
    "cost_efficiency": ("Cost over the least-cost benchmark (1 = least cost)", "ratio"),
    "mean_price_yuan": ("Mean permit price", "yuan/t"),
    "cross_border_volume_t": ("Permits traded across the border", "t"),
    "compliance_rate": ("Firm-years compliant", "share"),
    "cross_border_index": ("Water-quality index at the border (<= 1 meets the target)",
                           "index"),
    "section_compliance_rate": ("River samples meeting their class standard", "share"),
    "cross_border_index_reduction": ("Index lowered by abatement, summed over years and "
                                     "border sections", "index-years"),
    "transfers_to_upstream_yuan": ("Paid by Changshou to Guang'an (net, in the years it "
                                   "paid)", "m yuan"),
    "transfers_to_downstream_yuan": ("Paid by Guang'an to Changshou (net, in the years it "
                                     "paid)", "m yuan"),
    "central_topup_yuan": ("Central top-up", "m yuan"),
    "cost_per_index_reduction_yuan": ("Abatement cost per unit of index lowered", "m yuan"),
    "border_months_met_share": ("Months meeting the class standard at the judged sections",
                                "share"),
}
"""KPIs of the report's table, with a plain label and the unit shown."""

GAINS_LABELS: dict[str, tuple[str, str]] = {
    f"{region}_{key}": (f"{name}: {label}", "m yuan")
    for region, name in (("guangan", "Guang'an"), ("changshou", "Changshou"))
    for key, label in (
        ("fiscal_balance_yuan", "net fiscal balance"),
        ("tax_revenue_yuan", "environmental-tax revenue"),
        ("compensation_net_yuan", "compensation received less paid"),
        ("abatement_spending_yuan", "abatement spending"),
        ("central_transfers_yuan", "central transfers"),
        ("firms_compliance_cost_yuan", "firms' compliance cost"))}
"""Who gains and who pays: per government and region, summed over the run's years."""

MIN_SEEDS = 10
"""Below this many seeds the report warns that its intervals are wide and unstable."""

_UPSTREAM, _POOL = "gov:guangan", "pool:compensation"

_MILLIONS = {"abatement_cost_yuan", "transfers_to_upstream_yuan",
             "transfers_to_downstream_yuan", "central_topup_yuan",
             "cost_per_index_reduction_yuan", *GAINS_LABELS}


@dataclass
class Comparison:
    """The tables a comparison reads, one row per run (``kpis``) or per run and year.

    Attributes:
        scenarios: scenario name -> its description, in the order given.
        seeds: the seeds every scenario ran with.
        kpis: the ``kpis`` row of every run.
        yearly: per run and year: ``transfer_to_upstream_yuan`` (net, central top-ups left
            out), ``cross_border_index``, ``abatement_cost_yuan``.
        prices: per run, year, pollutant and zone: ``mean_price_yuan``.
    """

    scenarios: dict[str, str]
    seeds: list[int]
    kpis: pd.DataFrame
    yearly: pd.DataFrame
    prices: pd.DataFrame


def run_comparison(refs: Sequence[str], seeds: Sequence[int], overrides: Sequence[str] = (),
                   workers: int = 1) -> Comparison:
    """Run every scenario on every seed, in ``workers`` processes (1: here, one by one).

    Raises:
        ScenarioError: a scenario cannot be loaded (before anything runs).
        ExperimentError: two scenarios share a name.
    """
    from experiments.spec import ExperimentError
    from scenarios import canonical_json, load_scenario

    scenarios = [load_scenario(ref, overrides) for ref in refs]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ExperimentError(f"compare: scenario names must differ, got {names}")
    jobs = [(canonical_json(s), seed) for s in scenarios for seed in seeds]
    if workers > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            parts = list(pool.map(_run_one, *zip(*jobs)))
    else:
        parts = [_run_one(text, seed) for text, seed in jobs]
    return Comparison(
        {s.name: s.description.strip() for s in scenarios}, list(seeds),
        pd.concat([p[0] for p in parts], ignore_index=True),
        pd.concat([p[1] for p in parts], ignore_index=True),
        pd.concat([p[2] for p in parts], ignore_index=True))


def _run_one(scenario_json: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One run reduced to what the comparison shows (small enough to send between
    processes)."""
    import json

    from scenarios import run_scenario, validate

    scenario = validate(json.loads(scenario_json))
    tables = run_scenario(scenario, seed).tables
    kpis = tables["kpis"]
    comp, env, firm_years = tables["compensation"], tables["environment"], tables["firm_years"]
    years = sorted(firm_years["year"].unique())
    transfer = _net_to_upstream(comp)
    cross = env[env["cross_border"].astype(bool)].drop_duplicates(["year", "sample", "section"])
    yearly = pd.DataFrame({
        "scenario": scenario.name, "seed": seed, "year": years,
        "transfer_to_upstream_yuan": [transfer.get(y, 0.0) for y in years],
        "cross_border_index": [cross.loc[cross["year"] == y, "index"].mean() if len(cross)
                               else math.nan for y in years],
        "abatement_cost_yuan": [firm_years.loc[firm_years["year"] == y,
                                               "abatement_cost_yuan"].sum() for y in years],
    })
    prices = tables["market_years"][["year", "pollutant", "zone", "mean_price_yuan"]].assign(
        scenario=scenario.name, seed=seed)
    return kpis, yearly, prices


def _net_to_upstream(comp: pd.DataFrame) -> dict[int, float]:
    """Per year, what others' money gave Guang'an (the upstream government), net: direct
    payments both ways (the central budget's too where it is a section's party), and
    through a pool Guang'an's payout less its contribution and its share of the central
    top-up. Top-ups (central payments for no section) are left out."""
    out = {}
    for year, rows in comp.groupby("year"):
        amount = rows["amount_yuan"]
        section = rows["section"].fillna("").astype(str) != ""
        direct = section | (rows["payer"].str.startswith("gov:")
                            & rows["payee"].str.startswith("gov:"))
        net = (amount[direct & (rows["payee"] == _UPSTREAM)].sum()
               - amount[direct & (rows["payer"] == _UPSTREAM)].sum())
        payout = rows["payer"] == _POOL
        total = amount[payout].sum()
        if total:
            mine = amount[payout & (rows["payee"] == _UPSTREAM)].sum()
            topup = amount[(rows["payer"] == "outside") & (rows["payee"] == _POOL)].sum()
            paid = amount[(rows["payer"] == _UPSTREAM) & (rows["payee"] == _POOL)].sum()
            net += mine - paid - topup * mine / total
        out[int(year)] = float(net)
    return out


def kpi_summary(kpis: pd.DataFrame, scenarios: Sequence[str]) -> pd.DataFrame:
    """Mean and 95 % interval of each KPI of :data:`KPI_LABELS` and :data:`GAINS_LABELS`
    by scenario: columns ``kpi, scenario, mean, low, high``."""
    rows = []
    for kpi in (*KPI_LABELS, *GAINS_LABELS):
        for name in scenarios:
            values = kpis.loc[kpis["scenario"] == name, kpi].astype(float)
            rows.append((kpi, name, *mean_ci(values)))
    return pd.DataFrame(rows, columns=["kpi", "scenario", "mean", "low", "high"])


def paired_summary(kpis: pd.DataFrame, scenarios: Sequence[str], reference: str
                   ) -> pd.DataFrame:
    """Each scenario's difference from ``reference``, seed by seed (common random
    numbers), with a 95 % interval: columns ``kpi, scenario, n, mean, low, high``. Seeds
    missing from either scenario are left out."""
    base = kpis[kpis["scenario"] == reference].set_index("seed")
    rows = []
    for kpi in (*KPI_LABELS, *GAINS_LABELS):
        for name in scenarios:
            if name == reference:
                continue
            ours = kpis[kpis["scenario"] == name].set_index("seed")[kpi].astype(float)
            diff = (ours - base[kpi].astype(float)).dropna()
            rows.append((kpi, name, len(diff), *mean_ci(diff)))
    return pd.DataFrame(rows, columns=["kpi", "scenario", "n", "mean", "low", "high"])


def seeds_warning(seeds: int) -> str:
    """A plain warning when ``seeds`` is too few for the intervals shown ('' if enough)."""
    if seeds < 2:
        return ("Warning: one seed gives no interval at all; the differences shown may be "
                "luck. Run with --seeds 10 or more.")
    if seeds < MIN_SEEDS:
        return (f"Warning: only {seeds} seeds; the intervals are wide and themselves "
                f"uncertain, and a difference whose interval includes 0 is not shown to "
                f"exist. Use at least {MIN_SEEDS} seeds before drawing conclusions.")
    return ""


def render_comparison(comparison: Comparison, reference: str | None = None) -> str:
    """The report as one HTML page with its plots embedded as base64 PNGs."""
    names = list(comparison.scenarios)
    reference = reference or names[0]
    summary = kpi_summary(comparison.kpis, names)
    gains = _gains_html(comparison, names, reference, summary)
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = []
    for kpi, (label, unit) in KPI_LABELS.items():
        cells = []
        for name in names:
            row = summary[(summary["kpi"] == kpi) & (summary["scenario"] == name)].iloc[0]
            cells.append(f"<td>{_cell(row['mean'], row['low'], row['high'], kpi)}</td>")
        body.append(f"<tr><th>{html.escape(label)}</th><td>{unit}</td>{''.join(cells)}</tr>")
    listing = "".join(f"<li><b>{html.escape(n)}</b>: {html.escape(d or '(no description)')}"
                      "</li>" for n, d in comparison.scenarios.items())
    figures = "".join(f"<h2>{html.escape(title)}</h2><p>{html.escape(note)}</p>"
                      f'<img alt="{html.escape(title)}" src="data:image/png;base64,'
                      f'{_png(fig)}">' for title, note, fig in _figures(comparison))
    seeds = ", ".join(map(str, comparison.seeds))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Scenario comparison</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}
th:first-child{{text-align:left}}img{{max-width:100%}}.note{{color:#555}}.warning{{color:#a00}}</style></head>
<body><h1>Scenario comparison</h1>
<p>Each scenario ran with the same seeds ({seeds}), so differences come from the scenarios
and not from luck. Each cell shows the mean over the seeds and, in brackets, the range where
the true mean lies with 95 % confidence (it narrows with more seeds).</p>
<ul>{listing}</ul>
<h2>Headline results</h2>
<table><tr><th>result</th><th>unit</th>{head}</tr>{''.join(body)}</table>
<p class="note">The water-quality index is the Xin'an river index at the judged sections
(by default where the rivers leave Guang'an): K0 times the weighted ratio of each
pollutant's concentration to its baseline (the river before the run unless the scenario
gives one); at most 1 meets the target. Months meeting the class standard judge each
month's mean concentrations against the GB 3838-2002 limits. Transfers count what one government's money
gave the other, net of what came back in the same year (through a pool, after each side's
contribution); central top-ups are shown apart.</p>
{gains}
{figures}</body></html>
"""


def compare(refs: Sequence[str], seeds: Sequence[int], out: Path | str,
            overrides: Sequence[str] = (), workers: int = 1, overwrite: bool = False,
            reference: str | None = None) -> Path:
    """Run the comparison and write ``report.html`` and ``kpis.csv`` under ``out``;
    differences are against ``reference`` (a scenario name; default the first).

    Raises:
        OutputExists: ``out`` already holds a report and ``overwrite`` is not set.
        ExperimentError: ``reference`` is not one of the scenarios' names.
    """
    out = Path(out)
    report = out / "report.html"
    if report.exists() and not overwrite:
        raise OutputExists(f"{report} exists already; choose another output directory or "
                           "overwrite it")
    comparison = run_comparison(refs, seeds, overrides, workers)
    if reference is not None and reference not in comparison.scenarios:
        from experiments.spec import ExperimentError
        raise ExperimentError(f"compare --reference: {reference!r} is not one of the "
                              f"scenarios ({', '.join(comparison.scenarios)})")
    out.mkdir(parents=True, exist_ok=True)
    comparison.kpis.to_csv(out / "kpis.csv", index=False)
    report.write_text(render_comparison(comparison, reference), encoding="utf-8")
    return report


def _gains_html(comparison: Comparison, names: list[str], reference: str,
                summary: pd.DataFrame) -> str:
    """Who gains and who pays, then every KPI's difference from the reference scheme."""
    warning = seeds_warning(len(comparison.seeds))
    note = f'<p class="warning"><b>{html.escape(warning)}</b></p>' if warning else ""
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = []
    for kpi, (label, unit) in GAINS_LABELS.items():
        cells = []
        for name in names:
            row = summary[(summary["kpi"] == kpi) & (summary["scenario"] == name)].iloc[0]
            cells.append(f"<td>{_cell(row['mean'], row['low'], row['high'], kpi)}</td>")
        rows.append(f"<tr><th>{html.escape(label)}</th><td>{unit}</td>{''.join(cells)}</tr>")
    diffs = paired_summary(comparison.kpis, names, reference)
    others = [n for n in names if n != reference]
    drows = []
    for kpi, (label, unit) in {**KPI_LABELS, **GAINS_LABELS}.items():
        cells = []
        for name in others:
            row = diffs[(diffs["kpi"] == kpi) & (diffs["scenario"] == name)].iloc[0]
            text = _cell(row["mean"], row["low"], row["high"], kpi, signed=True)
            if not math.isnan(row["low"]) and row["low"] <= 0 <= row["high"]:
                text += " (not distinguishable from 0)"
            cells.append(f"<td>{text}</td>")
        drows.append(f"<tr><th>{html.escape(label)}</th><td>{unit}</td>{''.join(cells)}</tr>")
    dhead = "".join(f"<th>{html.escape(n)}</th>" for n in others)
    return f"""<h2>Who gains and who pays</h2>
<p>Per government and region, summed over the run's years (balance: environmental tax,
penalties, rights sold and compensation or central transfers received, less rights bought,
compensation paid and abatement spending; the firms' compliance cost is their abatement,
tax and penalties less their net receipts from trading).</p>{note}
<table><tr><th>result</th><th>unit</th>{head}</tr>{''.join(rows)}</table>
<h2>Differences from {html.escape(reference)}</h2>
<p>Each scheme minus {html.escape(reference)}, seed by seed on the same seeds (common
random numbers), with the 95 % interval of the mean difference.</p>{note}
<table><tr><th>result</th><th>unit</th>{dhead}</tr>{''.join(drows)}</table>"""


def _cell(mean: float, low: float, high: float, kpi: str, signed: bool = False) -> str:
    if math.isnan(mean):
        return "—"
    scale = 1e6 if kpi in _MILLIONS else 1.0
    text = ("+" if signed and mean > 0 else "") + _number(mean / scale)
    if not math.isnan(low):
        text += f" [{_number(low / scale)}, {_number(high / scale)}]"
    return text


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.3g}"


def _figures(c: Comparison) -> list[tuple[str, str, Figure]]:
    y = c.yearly
    prices = (c.prices.groupby(["scenario", "year", "pollutant", "zone"])["mean_price_yuan"]
              .mean().reset_index())
    return [
        ("Transfers between the governments", "Net payment from Changshou to Guang'an each "
         "year (negative: Guang'an paid Changshou), mean over seeds with its 95 % interval; "
         "central top-ups left out.",
         _lines(y.assign(value=y["transfer_to_upstream_yuan"] / 1e6), "m yuan")),
        ("Water-quality index at the border", "Mean of the cross-border samples each year; "
         "the dashed line is the target (at most 1 meets it).",
         _lines(y.assign(value=y["cross_border_index"]), "index", target=1.0)),
        ("Abatement cost", "What all firms spent abating each year.",
         _lines(y.assign(value=y["abatement_cost_yuan"] / 1e6), "m yuan")),
        ("Permit prices", "Volume-weighted mean price of each market each year, mean over "
         "seeds; one panel per pollutant.", _price_figure(prices)),
    ]


def _lines(table: pd.DataFrame, ylabel: str, target: float | None = None) -> Figure:
    fig, ax = _axes(1)
    for colour, (name, group) in enumerate(table.groupby("scenario", sort=False)):
        stats = [(year, *mean_ci(g["value"])) for year, g in group.groupby("year")]
        years, mean, low, high = (np.array(v, dtype=float) for v in zip(*stats))
        ax[0].plot(years, mean, marker="o", color=f"C{colour}", label=str(name))
        if np.isfinite(low).any():
            ax[0].fill_between(years, low, high, color=f"C{colour}", alpha=0.15, linewidth=0)
    if target is not None:
        ax[0].axhline(target, color="0.3", linestyle="--", linewidth=1)
    ax[0].set_xlabel("year")
    ax[0].set_ylabel(ylabel)
    ax[0].xaxis.get_major_locator().set_params(integer=True)
    if len(table):
        ax[0].legend(fontsize=8)
    return fig


def _price_figure(prices: pd.DataFrame) -> Figure:
    pollutants = sorted(prices["pollutant"].unique())
    fig, axes = _axes(max(1, len(pollutants)))
    for ax, pollutant in zip(axes, pollutants):
        rows = prices[prices["pollutant"] == pollutant]
        for (name, zone), group in rows.groupby(["scenario", "zone"], sort=False):
            ax.plot(group["year"], group["mean_price_yuan"], marker=".",
                    label=f"{name} ({zone})")
        ax.set_title(str(pollutant))
        ax.set_xlabel("year")
        ax.set_ylabel("yuan/t")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=7)
    return fig


def _axes(panels: int) -> tuple[Figure, list[Axes]]:
    from matplotlib.figure import Figure

    columns = min(panels, 2)
    rows = math.ceil(panels / columns)
    fig = Figure(figsize=(5.2 * columns, 3.6 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel().tolist()
    for ax in axes[panels:]:
        ax.set_visible(False)
    return fig, axes[:panels]


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
