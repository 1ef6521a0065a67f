"""The debrief of a game: what each team paid against its benchmarks, prices against the
equilibrium, and who gained from trade, across the border and at home.

Per firm, year and pollutant (for every completed true-up):

- ``cost_yuan``: what complying cost the firm: abatement cost, environmental tax, penalty
  and what it paid for rights less what it earned selling them (fees included).
- ``benchmark_cost_yuan``: the same at the competitive equilibrium, the least cost to the
  firm: it abates until its marginal cost net of the tax equals the equilibrium price and
  buys or sells the rest of its allocation at that price.
- ``no_trade_cost_yuan``: the same had it not traded at all: it covers its emissions with
  its allocation and abatement, as the true-up rule would choose, and pays penalties.
- ``gain_from_trade_yuan``: no-trade cost minus cost; positive means trading paid off.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agents import abatement_cost, true_up_abatement
from scenarios import YearBenchmark, year_benchmark
from workshop.engine import Game
from workshop.views import cross_border, price_path


def debrief(game: Game, names: dict[int, str]) -> dict[str, Any]:
    """Every table of the debrief as lists of rows (plain data, ready for JSON)."""
    teams: list[dict[str, Any]] = []
    regions: list[dict[str, Any]] = []
    markets: list[dict[str, Any]] = []
    costs: list[dict[str, Any]] = []
    for (year, pollutant), rows in _firm_years(game).items():
        bench = rows.pop("bench")
        for team_id, firm in game.teams.items():
            i = game.firm_row[firm]
            if rows["emitter"][i]:
                teams.append({"team_id": team_id, "team": names.get(team_id) or f"#{team_id}",
                              "firm": firm, "region": str(game.world.firms.region[i]),
                              "year": year, "pollutant": pollutant,
                              **{k: _number(v[i]) for k, v in rows.items() if k != "emitter"}})
        for region in game.world.regulators:
            mask = (game.world.firms.region == region) & rows["emitter"]
            regions.append({"year": year, "pollutant": pollutant, "region": region,
                            **{k: float(rows[k][mask].sum()) for k in _SUMMED}})
        costs.append({
            "year": year, "pollutant": pollutant,
            "actual_cost_yuan": float(rows["abatement_cost_yuan"][rows["emitter"]].sum()),
            "design_cost_yuan": bench.design_cost_yuan,
            "autarky_cost_yuan": bench.autarky_cost_yuan,
            "integrated_cost_yuan": bench.integrated_cost_yuan,
            "least_cost_yuan": bench.least_cost_yuan,
            "cross_border_gain_yuan": bench.autarky_cost_yuan - bench.design_cost_yuan,
            "integration_gain_yuan": bench.autarky_cost_yuan - bench.integrated_cost_yuan,
        })
        markets.extend({"year": year, "pollutant": pollutant, "zone": zone,
                        "equilibrium_yuan_per_t": price} for zone, price in bench.prices.items())
    return {
        "game_id": game.game_id, "title": game.settings.title, "status": game.status,
        "rounds_played": game.round_no,
        "start_year": game.world.venue.calendar.start_year,
        "days_per_year": game.world.venue.calendar.days_per_year,
        "teams": teams, "regions": regions, "costs": costs,
        "equilibrium": _with_traded_prices(game, markets), "cross_border": cross_border(game),
        "price_path": price_path(game),
    }


_SUMMED = ("cost_yuan", "benchmark_cost_yuan", "no_trade_cost_yuan", "gain_from_trade_yuan",
           "net_trade_yuan", "abatement_cost_yuan")


def _firm_years(game: Game) -> dict[tuple[int, str], dict[str, Any]]:
    """Per completed year and pollutant, columns over all firms (plus the benchmark)."""
    w = game.world
    f = w.firms
    out: dict[tuple[int, str], dict[str, Any]] = {}
    for year, t in w.years.true_ups:
        key = (year, t.pollutant)
        if key not in out:
            out[key] = _empty(len(f), year_benchmark(w, year, t.pollutant))
        cols = out[key]
        for name in ("abatement_t", "abatement_cost_yuan", "env_tax_yuan", "penalty_yuan",
                     "shortfall_t"):
            cols[name][t.firms] = getattr(t, name)
    for (year, pollutant), cols in out.items():
        _add_trading(game, year, pollutant, cols)
        bench: YearBenchmark = cols["bench"]
        # The benchmark's emissions and slopes are those the year's true-up worked with.
        e, s, tax = bench.inputs.baseline_t, bench.inputs.slope, bench.inputs.tax
        c = bench.inputs.intercept if bench.inputs.intercept is not None else np.zeros_like(e)
        allocation = w.years.allocations[year, pollutant]
        cols["emitter"] = f.baseline_t[:, f.pollutant(pollutant)] > 0
        cols["emissions_before_t"], cols["allocation_t"] = e, allocation
        cols["cost_yuan"] = (cols["abatement_cost_yuan"] + cols["env_tax_yuan"]
                             + cols["penalty_yuan"] + cols["net_trade_yuan"])
        price = bench.firm_price
        best = np.clip((price + tax - c) / s, 0.0, e)
        cols["benchmark_abatement_t"] = best
        cols["benchmark_cost_yuan"] = (abatement_cost(s, best, c) + tax * (e - best)
                                       + price * (e - best - allocation))
        penalty = _penalty_per_t(game, year, pollutant)
        alone = true_up_abatement(s, tax - c, e, allocation, penalty)
        cols["no_trade_cost_yuan"] = (abatement_cost(s, alone, c) + tax * (e - alone)
                                      + penalty * np.maximum(e - alone - allocation, 0.0))
        cols["gain_from_trade_yuan"] = cols["no_trade_cost_yuan"] - cols["cost_yuan"]
    return out


def _empty(n: int, bench: YearBenchmark) -> dict[str, Any]:
    names = ("abatement_t", "abatement_cost_yuan", "env_tax_yuan", "penalty_yuan",
             "shortfall_t", "bought_t", "sold_t", "net_trade_yuan")
    return {"bench": bench, **{name: np.zeros(n) for name in names}}


def _add_trading(game: Game, year: int, pollutant: str, cols: dict[str, Any]) -> None:
    """Rights bought and sold in the year's vintage, and the net cash paid for them."""
    product = game.world.years.products[pollutant]
    row = game.firm_row
    for seen in game.trades:
        t = seen.trade
        if not t.instrument.startswith(f"{pollutant}:") or not t.instrument.endswith(
                f":{year}"):
            continue
        half_fee = t.fee_fen / 200
        if t.buyer in row:
            cols["bought_t"][row[t.buyer]] += t.delivered_units / product.scale
            cols["net_trade_yuan"][row[t.buyer]] += t.value_fen / 100 + half_fee
        if t.seller in row:
            cols["sold_t"][row[t.seller]] += t.lots * product.lot_units / product.scale
            cols["net_trade_yuan"][row[t.seller]] -= t.value_fen / 100 - half_fee


def _penalty_per_t(game: Game, year: int, pollutant: str) -> np.ndarray:
    """Each firm's penalty per missing tonne in a year: its regulator's multiple of the
    year's last price in its compliance zone."""
    w = game.world
    last = {r.zone: r.last_price_yuan for r in w.years.years
            if r.year == year and r.pollutant == pollutant}
    out = np.zeros(len(w.firms))
    for region, regulator in w.regulators.items():
        zone = w.years.design.compliance_zone(region)
        out[w.firms.region == region] = regulator.rules.penalty_multiple * last.get(zone, 0.0)
    return out


def _with_traded_prices(game: Game, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add each year's volume-weighted traded price and volume of listed trades."""
    product_of = game.world.years.products
    for row in rows:
        product = product_of[row["pollutant"]]
        symbol = f"{row['pollutant']}:{row['zone']}:{row['year']}"
        listed = [s.trade for s in game.trades if s.trade.instrument == symbol
                  and s.trade.kind in ("continuous", "auction")]
        lots = sum(t.lots for t in listed)
        tonnes = lots * product.lot_units / product.scale
        row["volume_t"] = tonnes
        row["mean_price_yuan_per_t"] = (sum(t.value_fen for t in listed) / 100 / tonnes
                                        if tonnes else None)
    return rows


def _number(value: Any) -> float | bool:
    return bool(value) if isinstance(value, (bool, np.bool_)) else float(value)


__all__ = ["debrief"]
