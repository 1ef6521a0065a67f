"""Turn a finished world into the run's tidy tables (columns as in scenarios.results)."""

from __future__ import annotations

import hashlib
import json
import platform
import time
from importlib import metadata
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents import STRATEGIES, YearRecord
from scenarios.ambient_tables import ambient_kpis, ambient_tables
from scenarios.benchmark import year_benchmark
from scenarios.credit_tables import credit_kpis, credit_tables
from scenarios.flow_tables import crossing, flow_kpis, flow_tables
from scenarios.fiscal_tables import fiscal_kpis, fiscal_tables
from scenarios.forest_tables import forest_kpis, forest_tables
from scenarios.results import RunResult, frame
from scenarios.river_tables import river_kpis, river_tables
from scenarios.schema import Scenario
from scenarios.water_tables import water_kpis, water_tables

if TYPE_CHECKING:
    from scenarios.world import World


def canonical_json(scenario: Scenario) -> str:
    """The scenario as sorted, compact JSON: the text its hash is taken of."""
    data = scenario.model_dump(mode="json")
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def scenario_hash(scenario: Scenario) -> str:
    return hashlib.sha256(canonical_json(scenario).encode()).hexdigest()[:16]


def code_version() -> str:
    try:
        return metadata.version("cgx")
    except metadata.PackageNotFoundError:
        return "unknown"


def collect(world: World, started: float) -> RunResult:
    run_id = f"{world.scenario.name}-{scenario_hash(world.scenario)[:8]}-s{world.seed}"
    trades = _trades(world, run_id)
    daily = _market_daily(world, run_id)
    firm_years = _firm_years(world, run_id, trades)
    market_years, bench = _market_years(world, run_id, daily, trades)
    tables = {"trades": trades, "market_daily": daily, "firm_years": firm_years,
              "market_years": market_years,
              **flow_tables(trades, list(world.years.products), run_id),
              **credit_tables(world, run_id),
              **river_tables(world, run_id), **ambient_tables(world, run_id),
              **water_tables(world, trades, run_id),
              **forest_tables(world, run_id)}
    tables.update(fiscal_tables(world, tables, run_id))
    pollution = list(world.years.products)
    kpis = _kpis(world, run_id, trades[trades["product"].isin(pollution)],
                 daily[daily["product"].isin(pollution)], firm_years, market_years, bench)
    for key, value in {**flow_kpis(tables["cross_border_flows"]),
                       **credit_kpis(world, tables), **river_kpis(world, tables),
                       **ambient_kpis(world, tables), **fiscal_kpis(tables),
                       **water_kpis(world, tables), **forest_kpis(world, tables)}.items():
        kpis[key] = value
    tables["kpis"] = kpis
    tables["run"] = _run_row(world, run_id, started)
    return RunResult(run_id, world.scenario.name, world.seed, tables)


def _trades(world: World, run_id: str) -> pd.DataFrame:
    cal, instruments = world.venue.calendar, world.venue.instruments
    rows = []
    for n, t in enumerate(sorted(world.venue.trades, key=lambda t: (t.day, t.market,
                                                                    t.trade_id)), start=1):
        i = instruments[t.instrument]
        lot = i.lot_quantity
        rows.append((run_id, n, t.day, cal.year_of(t.day), t.market, t.instrument, i.product,
                     t.kind, t.buyer, t.seller, t.buyer_region, t.seller_region, t.lots,
                     t.lots * lot, i.unit, t.price_fen / 100 / lot, t.value_fen / 100,
                     t.fee_fen / 100, t.cross_border, t.delivered_units / i.scale))
    # A run without trades still has a boolean mask column.
    return frame("trades", rows).astype({"cross_border": bool})


def _market_daily(world: World, run_id: str) -> pd.DataFrame:
    cal, instruments = world.venue.calendar, world.venue.instruments
    rows = []
    for b in world.venue.bars:
        i = instruments[b.instrument]
        lot, tick = i.lot_quantity, i.tick_fen / 100 / i.lot_quantity

        def yuan(ticks: int | None) -> float:
            return np.nan if ticks is None else ticks * tick

        rows.append((run_id, b.day, cal.year_of(b.day), b.market, b.instrument, i.product,
                     i.zone, yuan(b.open_ticks), yuan(b.high_ticks), yuan(b.low_ticks),
                     yuan(b.close_ticks), yuan(b.reference_ticks), b.volume_lots * lot,
                     b.value_fen / 100, b.trades, b.block_lots * lot,
                     b.cross_border_lots * lot, yuan(b.best_bid_ticks),
                     yuan(b.best_ask_ticks)))
    return frame("market_daily", rows)


def _firm_years(world: World, run_id: str, trades: pd.DataFrame) -> pd.DataFrame:
    f = world.firms
    strategies = np.array(STRATEGIES, dtype=object)[f.strategy]
    # Plain dicts: one lookup per firm-year, far cheaper than indexing a MultiIndex.
    bought = trades.groupby(["year", "product", "buyer"])["delivered_quantity"].sum().to_dict()
    sold = trades.groupby(["year", "product", "seller"])["quantity"].sum().to_dict()
    paid = trades.groupby(["year", "product", "buyer"])["value_yuan"].sum().to_dict()
    earned = trades.groupby(["year", "product", "seller"])["value_yuan"].sum().to_dict()
    rows = []
    for year, t in world.years.true_ups:
        j = f.pollutant(t.pollutant)
        allocation = world.years.allocations[year, t.pollutant]
        baseline = world.years.current_t[year][:, j]
        for k, i in enumerate(t.firms):
            if f.baseline_t[i, j] <= 0:
                continue
            firm, key = f.ids[i], (year, t.pollutant, f.ids[i])
            rows.append((run_id, year, firm, f.region[i], f.sector[i], strategies[i],
                         t.pollutant, baseline[i], allocation[i], bought.get(key, 0.0),
                         sold.get(key, 0.0), t.surrendered_t[k], t.emissions_t[k],
                         t.abatement_t[k], t.abatement_cost_yuan[k], t.env_tax_yuan[k],
                         t.shortfall_t[k], t.penalty_yuan[k],
                         earned.get(key, 0.0) - paid.get(key, 0.0),
                         np.nan, t.unpaid_yuan[k], t.shortfall_t[k] <= 1e-9))
    out = frame("firm_years", rows)
    cash = {a: world.registry.cash(a) / 100 for a in f.ids}
    out["cash_yuan"] = out["firm"].map(cash).where(out["year"] == out["year"].max())
    return out


def _market_years(world: World, run_id: str, daily: pd.DataFrame, trades: pd.DataFrame
                  ) -> tuple[pd.DataFrame, dict[str, float]]:
    records = world.years.years
    listed = trades[trades["kind"].isin(["continuous", "auction"])]
    volume = listed.groupby(["year", "product", "market"])["quantity"].sum()
    value = listed.groupby(["year", "product", "market"])["value_yuan"].sum()
    inflow = trades[trades["cross_border"]].groupby(["year", "product", "buyer_region"])[
        "delivered_quantity"].sum()
    bench = {"design": 0.0, "least": 0.0, "uniform": 0.0}
    rows = []
    for (year, pollutant), group in _by_year_pollutant(records).items():
        benchmark = year_benchmark(world, year, pollutant)
        prices = benchmark.prices
        bench["design"] += benchmark.design_cost_yuan
        bench["least"] += benchmark.least_cost_yuan
        bench["uniform"] += benchmark.command_control_cost_yuan
        for r in group:
            key = (year, pollutant, f"{pollutant}@{r.zone}")
            vol = volume.get(key, 0.0)
            rows.append((run_id, year, pollutant, r.zone, r.cap_t, r.allocated_t,
                         r.auctioned_t, r.auction_price_yuan, prices.get(r.zone, np.nan),
                         value.get(key, 0.0) / vol if vol else np.nan, r.last_price_yuan, vol,
                         inflow.get((year, pollutant, r.zone), 0.0)))
    return frame("market_years", rows), bench


def _by_year_pollutant(records: list[YearRecord]
                       ) -> dict[tuple[int, str], list[YearRecord]]:
    out: dict[tuple[int, str], list[YearRecord]] = {}
    for r in records:
        out.setdefault((r.year, r.pollutant), []).append(r)
    return out


def _kpis(world: World, run_id: str, trades: pd.DataFrame, daily: pd.DataFrame,
          firm_years: pd.DataFrame, market_years: pd.DataFrame, bench: dict[str, float]
          ) -> pd.DataFrame:
    listed = trades[trades["kind"].isin(["continuous", "auction"])]
    cross = trades[crossing(trades)]
    cost = float(firm_years["abatement_cost_yuan"].sum())
    returns = (daily.dropna(subset=["close_yuan"]).groupby("market")["close_yuan"]
               .apply(lambda s: np.log(s).diff().std()))
    gap = (market_years["last_price_yuan"] / market_years["equilibrium_price_yuan"] - 1).abs()
    rejected = sum(world.traders.rejections.values())
    row = {
        "run_id": run_id, "scenario": world.scenario.name, "seed": world.seed,
        "design": world.years.design.kind, "firms": len(world.firms),
        "years": world.venue.calendar.years, "trades": len(trades),
        "volume_t": float(listed["quantity"].sum()), "value_yuan": float(
            trades["value_yuan"].sum()),
        "cross_border_volume_t": float(cross["quantity"].sum()),
        "cross_border_value_yuan": float(cross["value_yuan"].sum()),
        "abatement_t": float(firm_years["abatement_t"].sum()),
        "abatement_cost_yuan": cost, "least_cost_yuan": bench["least"],
        "cost_efficiency": cost / bench["least"] if bench["least"] else np.nan,
        "design_benchmark_cost_yuan": bench["design"],
        "design_efficiency": cost / bench["design"] if bench["design"] else np.nan,
        "command_control_cost_yuan": bench["uniform"],
        "savings_vs_command_control": 1 - cost / bench["uniform"] if bench["uniform"] else np.nan,
        "mean_price_yuan": (float(listed["value_yuan"].sum() / listed["quantity"].sum())
                            if len(listed) else np.nan),
        "price_volatility": float(returns.mean()) if len(returns) else np.nan,
        "price_gap_to_equilibrium": float(gap.mean()) if gap.notna().any() else np.nan,
        "compliance_rate": float(firm_years["compliant"].mean()),
        "shortfall_t": float(firm_years["shortfall_t"].sum()),
        "penalties_yuan": float(firm_years["penalty_yuan"].sum()),
        "env_tax_yuan": float(firm_years["env_tax_yuan"].sum()),
        "fees_yuan": float(trades["fee_yuan"].sum()), "rejected_orders": rejected,
    }
    return frame("kpis", [row])


def _run_row(world: World, run_id: str, started: float) -> pd.DataFrame:
    row = {
        "run_id": run_id, "scenario": world.scenario.name,
        "scenario_hash": scenario_hash(world.scenario), "seed": world.seed,
        "code_version": code_version(), "python": platform.python_version(),
        "started_utc": pd.Timestamp(started, unit="s", tz="UTC").isoformat(),
        "wall_seconds": time.time() - started, "scenario_json": canonical_json(world.scenario),
    }
    return frame("run", [row])
