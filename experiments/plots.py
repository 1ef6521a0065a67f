"""The standard plots of a run, drawn from its result tables.

Each function takes tables (pandas DataFrames with the columns of
``scenarios.results.COLUMNS``) and returns a matplotlib Figure drawn on the Agg canvas.
Figures are made without pyplot, so nothing here touches global plotting state or needs a
display, and a figure is freed as soon as it is no longer referenced.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["abatement_curve", "cross_border_flows", "price_paths", "save_all",
           "water_quality"]

_DPI = 100
# Figure width and the margins around the panels, in inches.
_WIDTH_IN = 8.0
_LEFT_IN, _RIGHT_IN, _TOP_IN, _BOTTOM_IN, _GAP_IN = 0.95, 0.1, 0.6, 0.5, 0.8


def price_paths(market_daily: pd.DataFrame) -> Figure:
    """Daily closing price of each market, one panel per product, one line per market.

    Days without listed trades have no close; the line joins the days around them.
    """
    from matplotlib.ticker import MaxNLocator

    products = sorted(market_daily["product"].dropna().unique())
    fig, axes = _figure("Closing prices", len(products), "no market data")
    for ax, product in zip(axes, products):
        rows = market_daily[market_daily["product"] == product]
        for market, days in rows.groupby("market", sort=True):
            days = days.dropna(subset=["close_yuan"]).sort_values("day")
            ax.plot(days["day"], days["close_yuan"], linewidth=0.9, label=str(market))
        ax.set_title(str(product))
        ax.set_xlabel("trading day")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("close (yuan per unit)")
        _legend(ax, title="market")
    return fig


def abatement_curve(firm_years: pd.DataFrame, market_years: pd.DataFrame,
                    year: int | None = None) -> Figure:
    """Aggregate marginal abatement cost curve of the firms, one panel per pollutant.

    Each firm's marginal abatement cost at its abatement ``a`` is ``2 C / a`` for its
    quadratic cost ``C = s a**2 / 2``. Firms are sorted by it and drawn as steps over their
    cumulative abatement. Horizontal lines mark each zone's mean market price (dashed) and
    equilibrium price (dotted) from ``market_years``.

    Args:
        firm_years: the firm_years table.
        market_years: the market_years table.
        year: the year to draw; the last year in ``firm_years`` if None.
    """
    if year is None and len(firm_years):
        year = int(firm_years["year"].max())
    rows = firm_years[firm_years["year"] == year]
    pollutants = sorted(rows["pollutant"].dropna().unique())
    title = "Marginal abatement cost curve" + (f", {year}" if year is not None else "")
    fig, axes = _figure(title, len(pollutants), "no firm data")
    for ax, pollutant in zip(axes, pollutants):
        _draw_mac_steps(ax, rows[rows["pollutant"] == pollutant])
        prices = market_years[(market_years["year"] == year)
                              & (market_years["pollutant"] == pollutant)]
        _draw_price_lines(ax, prices.sort_values("zone"))
        ax.set_title(str(pollutant))
        ax.set_xlabel("cumulative abatement (t)")
        ax.set_ylabel("marginal abatement cost (yuan/t)")
        _legend(ax)
    return fig


def cross_border_flows(trades: pd.DataFrame) -> Figure:
    """Yearly volume sold across the border, bars by direction, one panel per product.

    Volume is the traded quantity in the seller zone's unit, before any trading ratio. A
    trade crosses when buyer and seller are of different regions (in the integrated design
    too); primary auctions allocate and do not count.
    """
    cross = trades[trades["cross_border"].eq(True)
                   | ((trades["buyer_region"] != trades["seller_region"])
                      & trades["buyer_region"].ne("") & trades["seller_region"].ne("")
                      & trades["kind"].ne("primary"))]
    products = sorted(cross["product"].dropna().unique())
    fig, axes = _figure("Cross-border volume by direction", len(products),
                        "no cross-border trades")
    for ax, product in zip(axes, products):
        rows = cross[cross["product"] == product]
        direction = rows["seller_region"] + " → " + rows["buyer_region"]
        volume = (rows.groupby(["year", direction])["quantity"].sum()
                  .unstack(fill_value=0).sort_index())
        width = 0.8 / len(volume.columns)
        for i, (name, values) in enumerate(volume.items()):
            offset = (i - (len(volume.columns) - 1) / 2) * width
            ax.bar(volume.index + offset, values, width, label=str(name))
        ax.set_xticks(volume.index, [str(y) for y in volume.index])
        ax.set_title(str(product))
        ax.set_xlabel("year")
        ax.set_ylabel(f"volume ({rows['unit'].iloc[0]})")
        _legend(ax, title="seller → buyer")
    return fig


def credit_over_time(bank_months: pd.DataFrame) -> Figure:
    """Loans outstanding (green shaded), non-performing loans and the lowest capital ratio,
    month by month, per region of the lending banks."""
    fig, axes = _figure("Bank lending", 3 if len(bank_months) else 0, "no banks")
    if bank_months.empty:
        return fig
    by = bank_months.groupby(["month", "region"])
    sums = by[["loans_yuan", "green_loans_yuan", "npl_yuan"]].sum().unstack("region") / 1e6
    for region in sums["loans_yuan"].columns:
        line, = axes[0].plot(sums.index, sums["loans_yuan"][region], label=f"{region}: all")
        axes[0].fill_between(sums.index, sums["green_loans_yuan"][region], alpha=0.3,
                             color=line.get_color(), label=f"{region}: green")
        axes[1].plot(sums.index, sums["npl_yuan"][region], label=region)
    lowest = by["capital_ratio"].min().unstack("region")
    for region in lowest.columns:
        axes[2].plot(lowest.index, lowest[region], label=region)
    for ax, label in zip(axes, ("loans (m yuan)", "non-performing (m yuan)",
                                "lowest capital ratio")):
        ax.set_xlabel("month")
        ax.set_ylabel(label)
        _legend(ax, title="banks of")
    return fig


def water_quality(environment: pd.DataFrame, compensation: pd.DataFrame) -> Figure:
    """The index at each monitoring section, sample by sample, against the target of 1;
    and the compensation paid each year, by payer and payee."""
    fig, axes = _figure("Water quality and compensation", 2 if len(environment) else 0,
                        "no river")
    if environment.empty:
        return fig
    samples = environment.drop_duplicates(["day", "section"]).sort_values("day")
    for section, rows in samples.groupby("section", sort=True):
        border = " (cross-border)" if rows["cross_border"].astype(bool).iloc[0] else ""
        axes[0].plot(rows["day"], rows["index"], marker=".", linewidth=0.8,
                     label=f"{section}{border}")
    axes[0].axhline(1.0, color="0.3", linestyle="--", linewidth=1, label="target")
    axes[0].set_xlabel("trading day")
    axes[0].set_ylabel("index (<= 1 meets)")
    axes[0].legend(title="section", fontsize=8, ncols=2)
    paid = compensation.groupby(["year", "payer", "payee"])["amount_yuan"].sum() / 1e6
    flows = paid.unstack(["payer", "payee"]) if len(paid) else pd.DataFrame()
    years = flows.index.to_numpy()
    width = 0.8 / max(len(flows.columns), 1)
    for k, (payer, payee) in enumerate(flows.columns):
        axes[1].bar(years + (k - (len(flows.columns) - 1) / 2) * width,
                    flows[(payer, payee)].fillna(0.0), width, label=f"{payer} → {payee}")
    if flows.empty:
        axes[1].text(0.5, 0.5, "no transfers", ha="center", va="center",
                     transform=axes[1].transAxes)
    axes[1].set_xticks(years)
    axes[1].set_xlabel("year")
    axes[1].set_ylabel("paid (m yuan)")
    _legend(axes[1])
    return fig


def save_all(result_tables: Mapping[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Draw every standard plot of a run and write it as ``<folder>/<name>.png``.

    Needs the tables market_daily, firm_years, market_years and trades; creates ``folder``.

    Returns:
        The paths written, in a fixed order.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    figures = {
        "price_paths": lambda: price_paths(result_tables["market_daily"]),
        "abatement_curve": lambda: abatement_curve(result_tables["firm_years"],
                                                   result_tables["market_years"]),
        "cross_border_flows": lambda: cross_border_flows(result_tables["trades"]),
    }
    if len(result_tables.get("bank_months", ())):
        figures["credit"] = lambda: credit_over_time(result_tables["bank_months"])
    if len(result_tables.get("environment", ())):
        figures["water_quality"] = lambda: water_quality(result_tables["environment"],
                                                         result_tables["compensation"])
    paths = []
    for name, draw in figures.items():
        path = folder / f"{name}.png"
        draw().savefig(path, dpi=_DPI)
        paths.append(path)
    return paths


def _figure(title: str, panels: int, empty: str) -> tuple[Figure, list[Axes]]:
    """A titled figure on the Agg canvas with ``panels`` axes stacked vertically.

    With no panels it has one blank axes saying ``empty``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = max(panels, 1)
    height = 1.0 + 3.0 * rows
    fig = Figure(figsize=(_WIDTH_IN, height))
    FigureCanvasAgg(fig)
    fig.suptitle(title, y=1 - 0.1 / height, va="top")
    _fixed_margins(fig, rows)
    axes = list(fig.subplots(rows, 1, squeeze=False)[:, 0])
    if not panels:
        axes[0].text(0.5, 0.5, empty, ha="center", va="center", transform=axes[0].transAxes)
        axes[0].set_axis_off()
    return fig, axes


def _fixed_margins(fig: Figure, rows: int) -> None:
    """Place ``rows`` stacked panels with fixed margins in inches.

    A layout engine would measure every text extent in an extra pass before the real draw,
    which roughly doubles the cost of saving; the labels here have a known, bounded size.
    """
    width, height = fig.get_size_inches()
    panel = (height - _TOP_IN - _BOTTOM_IN - (rows - 1) * _GAP_IN) / rows
    fig.subplots_adjust(left=_LEFT_IN / width, right=1 - _RIGHT_IN / width,
                        top=1 - _TOP_IN / height, bottom=_BOTTOM_IN / height,
                        hspace=_GAP_IN / panel)


def _legend(ax: Axes, title: str | None = None) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(title=title)


def _draw_mac_steps(ax: Axes, firms: pd.DataFrame) -> None:
    firms = firms[firms["abatement_t"] > 0]
    if firms.empty:
        ax.text(0.5, 0.5, "no firm abated", ha="center", va="center", transform=ax.transAxes)
        return
    # A permit is worth the MAC less the environmental tax that abating saves, so that net
    # MAC is what meets the permit price at equilibrium.
    tax = (firms["env_tax_yuan"] / firms["emissions_t"]).where(firms["emissions_t"] > 0, 0.0)
    curve = pd.DataFrame({
        "abatement_t": firms["abatement_t"].astype(float),
        "mac": 2 * firms["abatement_cost_yuan"].astype(float) / firms["abatement_t"] - tax,
    }).sort_values("mac", kind="stable")
    x = [0.0, *curve["abatement_t"].cumsum()]
    y = [*curve["mac"], curve["mac"].iloc[-1]]
    ax.step(x, y, where="post", color="C0", label="firms' marginal abatement cost less the tax")


def _draw_price_lines(ax: Axes, prices: pd.DataFrame) -> None:
    for i, row in enumerate(prices.itertuples(index=False), start=1):
        if pd.notna(row.mean_price_yuan):
            ax.axhline(row.mean_price_yuan, color=f"C{i}", linestyle="--",
                       label=f"mean price, {row.zone}")
        if pd.notna(row.equilibrium_price_yuan):
            ax.axhline(row.equilibrium_price_yuan, color=f"C{i}", linestyle=":",
                       label=f"equilibrium price, {row.zone}")
