"""A plain-text summary of one run, as ``cgx run`` prints it."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import pandas as pd

__all__ = ["summary_table"]

_MISSING = "–"


def summary_table(tables: Mapping[str, pd.DataFrame]) -> str:
    """The markets and the KPIs of a run as a plain-text table.

    Needs the tables market_daily, market_years and kpis. Per market: the volume-weighted
    mean of the daily closing prices, the last close, the mean of the yearly equilibrium
    prices, the volume and the cross-border volume. Then the KPI block, and the river's
    when the run monitored one. Values that are missing (no trades, no benchmark) show as
    ``–``.
    """
    blocks = [_markets_block(tables["market_daily"], tables["market_years"]),
              _kpi_block(tables["kpis"])]
    kpis = tables["kpis"]
    for title, rows in _OPTIONAL_BLOCKS:
        # A block shows when the run had its part: its first KPI is then never missing.
        if not kpis.empty and not _is_missing(kpis.iloc[0].get(rows[0][1], math.nan)):
            row = kpis.iloc[0]
            blocks.append(f"{title}\n" + _render(
                [[label, show(row[column])] for label, column, show in rows], align_left=2))
    return "\n\n".join(blocks)


def _markets_block(market_daily: pd.DataFrame, market_years: pd.DataFrame) -> str:
    header = ["market", "mean price", "last price", "equilibrium", "volume", "cross-border"]
    rows = []
    for market, days in market_daily.groupby("market", sort=True):
        days = days.sort_values("day")
        listed = days["volume"] - days["block_volume"]
        traded = days["close_yuan"].notna() & (listed > 0)
        mean = ((days["close_yuan"][traded] * listed[traded]).sum() / listed[traded].sum()
                if traded.any() else math.nan)
        closes = days["close_yuan"].dropna()
        equilibrium = market_years.loc[
            (market_years["pollutant"] == days["product"].iloc[0])
            & (market_years["zone"] == days["zone"].iloc[0]), "equilibrium_price_yuan"].mean()
        rows.append([str(market), _number(mean),
                     _number(closes.iloc[-1] if len(closes) else math.nan),
                     _number(equilibrium), _number(days["volume"].sum()),
                     _number(days["cross_border_volume"].sum())])
    if not rows:
        return "Markets\n  no market data"
    return "\n".join([
        "Markets (prices in yuan per unit, volumes in the market's unit)",
        _render([header, *rows]),
        "mean price: volume-weighted mean of the daily closes; "
        "equilibrium: mean of the yearly equilibrium prices",
    ])


def _kpi_block(kpis: pd.DataFrame) -> str:
    if kpis.empty:
        return "KPIs\n  no KPIs"
    row = kpis.iloc[0]
    return "KPIs\n" + _render([[label, show(row[column])] for label, column, show in _KPIS],
                               align_left=2)


def _render(rows: list[list[str]], align_left: int = 1) -> str:
    """Columns padded to their widest cell; the first ``align_left`` columns left-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        padded = [cell.ljust(width) if i < align_left else cell.rjust(width)
                  for i, (cell, width) in enumerate(zip(row, widths))]
        lines.append("  " + "  ".join(padded).rstrip())
    return "\n".join(lines)


def _is_missing(x: object) -> bool:
    return bool(pd.isna(x))


def _number(x: float) -> str:
    """Thousands separators; two decimals below 1,000 unless whole, none above."""
    if _is_missing(x):
        return _MISSING
    return f"{x:,.0f}" if abs(x) >= 1_000 or x == round(x) else f"{x:,.2f}"


def _percent(x: float) -> str:
    return _MISSING if _is_missing(x) else f"{x:.1%}"


def _ratio(x: float) -> str:
    return _MISSING if _is_missing(x) else f"{x:.3f}"


def _unit(name: str) -> Callable[[float], str]:
    """A formatter of numbers in ``name`` (thousands separators, missing as a dash)."""
    return lambda x: _MISSING if _is_missing(x) else f"{_number(x)} {name}"


_yuan, _tonnes = _unit("yuan"), _unit("t")


_KPIS: tuple[tuple[str, str, Callable[[float], str]], ...] = (
    ("total abatement", "abatement_t", _tonnes),
    ("abatement cost", "abatement_cost_yuan", _yuan),
    ("least-cost benchmark", "least_cost_yuan", _yuan),
    ("cost efficiency (1 = least cost)", "cost_efficiency", _ratio),
    ("design benchmark", "design_benchmark_cost_yuan", _yuan),
    ("design efficiency (1 = benchmark)", "design_efficiency", _ratio),
    ("command-and-control cost", "command_control_cost_yuan", _yuan),
    ("savings vs command and control", "savings_vs_command_control", _percent),
    ("compliance rate", "compliance_rate", _percent),
    ("penalties", "penalties_yuan", _yuan),
    ("mean price (per unit)", "mean_price_yuan", _yuan),
    ("price volatility", "price_volatility", _percent),
)

_RIVER_KPIS: tuple[tuple[str, str, Callable[[float], str]], ...] = (
    ("index at the border (<= 1 meets)", "cross_border_index", _ratio),
    ("section-months meeting their class", "section_compliance_rate", _percent),
    ("judged section-months meeting their class", "border_months_met_share", _percent),
    ("paid by Changshou to Guang'an", "transfers_to_upstream_yuan", _yuan),
    ("paid by Guang'an to Changshou", "transfers_to_downstream_yuan", _yuan),
    ("central top-up", "central_topup_yuan", _yuan),
    ("Guang'an: compensation received less paid", "guangan_compensation_net_yuan", _yuan),
    ("Guang'an: abatement spending", "guangan_abatement_spending_yuan", _yuan),
    ("Guang'an: net fiscal balance", "guangan_fiscal_balance_yuan", _yuan),
    ("Changshou: net fiscal balance", "changshou_fiscal_balance_yuan", _yuan),
    ("abatement cost per index-year", "cost_per_index_reduction_yuan", _yuan),
)

_WATER_KPIS: tuple[tuple[str, str, Callable[[float], str]], ...] = (
    ("water used", "water_used_m3", _unit("m3")),
    ("water rights traded", "water_traded_m3", _unit("m3")),
    ("mean price", "water_mean_price_yuan", _unit("yuan/m3")),
    ("bought across the border", "water_cross_border_m3", _unit("m3")),
    ("leased between the governments", "water_leased_m3", _unit("m3")),
    ("lost in conveyance", "water_conveyance_loss_m3", _unit("m3")),
    ("cost of saving water", "water_saving_cost_yuan", _yuan),
    ("lowest flow left in a reach", "water_lowest_flow_share", _percent),
)

_FOREST_KPIS: tuple[tuple[str, str, Callable[[float], str]], ...] = (
    ("region-years meeting the coverage target", "forest_targets_met_share", _percent),
    ("coverage indicators traded", "forest_indicators_traded_mu", _unit("mu")),
    ("mean indicator price", "forest_indicator_price_yuan", _unit("yuan/mu")),
    ("value of indicator deals", "forest_trade_value_yuan", _yuan),
    ("forest planted", "forest_planted_mu", _unit("mu")),
    ("cost of planting", "forest_planting_cost_yuan", _yuan),
    ("carbon sinks sold", "forest_sinks_tco2e", _unit("tCO2e")),
    ("sink revenue", "forest_sink_revenue_yuan", _yuan),
    ("forest rights pledged", "forest_pledged_mu", _unit("mu")),
)

_OPTIONAL_BLOCKS = (("River and compensation", _RIVER_KPIS), ("Water rights", _WATER_KPIS),
                    ("Forest rights", _FOREST_KPIS))
