"""The downloadable debrief: one self-contained HTML file with tables and plots.

It reads only the debrief's tables (:func:`workshop.debrief.debrief`), never the world, and
draws with matplotlib into PNGs embedded in the page, so it opens offline on any computer.
"""

from __future__ import annotations

import base64
import html
import io
from collections import defaultdict
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)

_TEAM_COLUMNS = (
    ("team", "Team 队伍"), ("firm", "Firm 企业"), ("region", "Region 地区"),
    ("year", "Year 年度"), ("pollutant", "Pollutant 污染物"),
    ("abatement_t", "Abated t 减排量"), ("bought_t", "Bought t 买入"), ("sold_t", "Sold t 卖出"),
    ("cost_yuan", "Cost ¥ 合规成本"), ("benchmark_cost_yuan", "Benchmark ¥ 均衡基准"),
    ("no_trade_cost_yuan", "Without trade ¥ 不交易成本"),
    ("gain_from_trade_yuan", "Gain from trade ¥ 交易收益"), ("penalty_yuan", "Penalty ¥ 罚款"),
)
_COST_COLUMNS = (
    ("year", "Year 年度"), ("pollutant", "Pollutant 污染物"),
    ("actual_cost_yuan", "Actual abatement cost ¥ 实际减排成本"),
    ("design_cost_yuan", "Equilibrium, this design ¥ 本设计均衡"),
    ("autarky_cost_yuan", "Each region alone ¥ 各自为市"),
    ("integrated_cost_yuan", "One basin market ¥ 流域统一市场"),
    ("least_cost_yuan", "Least cost ¥ 最低成本"),
    ("cross_border_gain_yuan", "Gain from cross-border trade ¥ 跨区交易收益"),
)
_REGION_COLUMNS = (
    ("year", "Year 年度"), ("pollutant", "Pollutant 污染物"), ("region", "Region 地区"),
    ("gain_from_trade_yuan", "Gain from trade ¥ 交易收益"),
    ("net_trade_yuan", "Paid for rights ¥ 净购买支出"),
    ("abatement_cost_yuan", "Abatement cost ¥ 减排成本"),
)
_FLOW_COLUMNS = (("year", "Year 年度"), ("product", "Pollutant 污染物"),
                 ("from", "From 卖方地区"), ("to", "To 买方地区"), ("lots", "Lots 手数"),
                 ("value_yuan", "Value ¥ 金额"))


def render_report(data: dict[str, Any]) -> str:
    """The debrief as an HTML document."""
    title = data.get("title") or f"Game {data['game_id']}"
    parts = [
        f"<h1>{html.escape(title)} — Debrief 复盘</h1>",
        f"<p>Game {html.escape(data['game_id'])}, {data['rounds_played']} rounds played "
        f"(已完成 {data['rounds_played']} 轮).</p>",
        "<h2>Prices against the equilibrium 价格与均衡价格</h2>", _image(_price_plot(data)),
        "<h2>Each team's cost against its benchmark 各队合规成本与基准</h2>",
        _image(_team_plot(data)) if data["teams"] else "<p>No compliance year has closed yet. "
        "尚无完成履约的年度。</p>",
        _table(data["teams"], _TEAM_COLUMNS),
        "<h2>The market's cost and the gains from cross-border trade 市场成本与跨区交易收益</h2>",
        _table(data["costs"], _COST_COLUMNS),
        "<h2>Who gained and who paid, by region 各地区收益与支出</h2>",
        _table(data["regions"], _REGION_COLUMNS),
        "<h2>Cross-border flows 跨区交易流量</h2>", _table(data["cross_border"], _FLOW_COLUMNS),
    ]
    return ("<!doctype html><html><head><meta charset='utf-8'><title>"
            f"{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
            + "\n".join(parts) + "</body></html>")


def _table(rows: list[dict[str, Any]], columns: tuple[tuple[str, str], ...]) -> str:
    if not rows:
        return "<p>—</p>"
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(row.get(key))}</td>" for key, _ in columns)
                   + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    return html.escape("" if value is None else str(value))


def _price_plot(data: dict[str, Any]) -> bytes:
    fig, ax = plt.subplots(figsize=(8, 3.6))
    series: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for row in data["price_path"]:
        price = row["close_yuan_per_t"] or row["reference_yuan_per_t"]
        series[row["market"]].append((row["day"], price))
    for market, points in sorted(series.items()):
        days, prices = zip(*points)
        ax.plot(days, prices, label=f"{market} close", linewidth=1.4)
    days_per_year = _days_per_year(data)
    for row in data["equilibrium"]:
        start = (row["year"] - _first_year(data)) * days_per_year
        ax.hlines(row["equilibrium_yuan_per_t"], start, start + days_per_year,
                  linestyles="dashed", colors="black", linewidth=1)
    ax.plot([], [], "k--", label="equilibrium")
    ax.set_xlabel("trading day")
    ax.set_ylabel("yuan per t")
    ax.legend(fontsize=8)
    return _png(fig)


def _team_plot(data: dict[str, Any]) -> bytes:
    rows = data["teams"]
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.45 * len(rows)))
    labels = [f"{r['team']} {r['year']} {r['pollutant']}" for r in rows]
    y = range(len(rows))
    ax.barh([k + 0.2 for k in y], [r["cost_yuan"] for r in rows], height=0.4, label="cost")
    ax.barh([k - 0.2 for k in y], [r["benchmark_cost_yuan"] for r in rows], height=0.4,
            label="equilibrium benchmark")
    ax.set_yticks(list(y), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("yuan")
    ax.legend(fontsize=8)
    return _png(fig)


def _days_per_year(data: dict[str, Any]) -> int:
    return int(data.get("days_per_year") or 1)


def _first_year(data: dict[str, Any]) -> int:
    return int(data.get("start_year") or min((r["year"] for r in data["equilibrium"]),
                                             default=0))


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def _image(png: bytes) -> str:
    return f"<img alt='' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"


_STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;
color:#1d2a33}
table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:0.85em}
th,td{border:1px solid #c8d3da;padding:0.25em 0.5em;text-align:right}
th{background:#eef3f6}
img{max-width:100%}
"""

__all__ = ["render_report"]
