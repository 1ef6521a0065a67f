"""What each screen shows, as plain JSON-ready data.

Prices go out in ticks per lot and quantities in lots, exactly as the exchange keeps them,
with each market's ``lot_t`` and ``yuan_per_tick_per_t`` so a screen can show tonnes and
yuan per tonne. Participants see their own firm and the anonymous market; the facilitator
sees everything, including the equilibrium price for reference.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from agents import abatement_cost, true_up_abatement
from exchange import CASH, Market
from scenarios import equilibrium_prices
from workshop.clock import time_of_day
from workshop.engine import Game, SeenTrade

RECENT_TRADES = 20
DEPTH_LEVELS = 8


def clock_view(game: Game) -> dict[str, Any]:
    """Round, status and simulated time, and how much of the round is left in seconds."""
    length = game.clock.length(game.round_no) if game.round_no else 0.0
    first, end = game.clock.round_days(max(game.round_no, 1))
    now = game.now
    return {
        "status": game.status, "round": game.round_no, "rounds": game.clock.rounds,
        "round_days": [first, end], "day": int(now), "year": game.year,
        "time": time_of_day(now), "sim_time": now,
        "seconds_left": round(max(length - game.position, 0.0)
                              * game.settings.seconds_per_day, 1),
        "seconds_per_day": game.settings.seconds_per_day,
        "days_per_year": game.world.venue.calendar.days_per_year,
    }


def market_view(game: Game, market: Market) -> dict[str, Any]:
    """One market's quote, depth and recent trades, without names."""
    instrument = market.instrument
    bids, asks = market.book.depth(DEPTH_LEVELS)
    band = market.band()
    return {
        "market": market.market_id, "instrument": instrument.symbol,
        "product": instrument.product, "zone": instrument.zone, "vintage": instrument.vintage,
        "phase": market.phase, "reference_ticks": market.reference_ticks,
        "band": list(band) if band else None, "bids": bids, "asks": asks,
        "lot_t": instrument.lot_quantity,
        "yuan_per_tick_per_t": instrument.yuan(1) / instrument.lot_quantity,
        "cross_border_quota_lots": market.quota_left,
        "volume_lots": game.volume_lots.get((market.market_id, instrument.symbol), 0),
        "trades": [trade_row(t) for t in game.trades_of_market.get(
            (market.market_id, instrument.symbol), [])[-RECENT_TRADES:]],
    }


def trade_row(seen: SeenTrade, *, viewer: str | None = None,
              names: dict[str, str] | None = None) -> dict[str, Any]:
    """A trade for a screen: anonymous, with ``mine`` for the viewer's side, or with the
    parties' names for the facilitator (``names`` maps firm ids to team names)."""
    t = seen.trade
    row: dict[str, Any] = {
        "key": seen.key, "market": t.market, "instrument": t.instrument, "day": t.day,
        "time": time_of_day(seen.at) if int(seen.at) == t.day else None,
        "kind": t.kind, "lots": t.lots,
        "price_ticks": t.price_ticks, "cross_border": t.cross_border,
    }
    if viewer is not None:
        row["mine"] = "buy" if t.buyer == viewer else "sell" if t.seller == viewer else None
    if names is not None:
        row.update(buyer=names.get(t.buyer, t.buyer), seller=names.get(t.seller, t.seller),
                   buyer_region=t.buyer_region, seller_region=t.seller_region)
    return row


def team_view(game: Game, team_id: int, name: str = "") -> dict[str, Any]:
    """A team's own firm: per pollutant its emissions, allocation, holdings, abatement
    cost curve and plan; cash; open orders; its trades; its compliance results."""
    firm = game.teams[team_id]
    registry = game.world.registry
    cash = registry.assets_of(firm).get(CASH)
    markets = game.markets_of(team_id)
    return {
        "team_id": team_id, "name": name, "firm": firm, "role": "firm",
        "region": str(game.world.firms.region[game.firm_row[firm]]),
        "sector": str(game.world.firms.sector[game.firm_row[firm]]),
        "cash_yuan": _buckets(cash, 100),
        "pollutants": _pollutants(game, team_id),
        "markets": [m.market_id for m in markets],
        "orders": [{"order_id": oid, "market": m.market_id, "side": side.value,
                    "price_ticks": price, "lots": lots}
                   for m, oid, side, price, lots in game.open_orders(team_id)],
        "trades": [trade_row(t, viewer=firm)
                   for t in game.trades_of_team[team_id][-RECENT_TRADES:]],
        "compliance": compliance_rows(game, firm),
        "finance": {"available": False},
    }


def compliance_rows(game: Game, firm: str) -> list[dict[str, Any]]:
    """The firm's true-up results, one row per year and pollutant."""
    i = game.firm_row[firm]
    rows = []
    for year, t in game.world.years.true_ups:
        k = _member(t.firms, i)
        if k is None or game.world.firms.baseline_t[i, game.world.firms.pollutant(
                t.pollutant)] <= 0:
            continue
        rows.append({
            "year": year, "pollutant": t.pollutant,
            "emissions_t": float(t.emissions_t[k]), "abatement_t": float(t.abatement_t[k]),
            "surrendered_t": float(t.surrendered_t[k]), "shortfall_t": float(t.shortfall_t[k]),
            "abatement_cost_yuan": float(t.abatement_cost_yuan[k]),
            "env_tax_yuan": float(t.env_tax_yuan[k]), "penalty_yuan": float(t.penalty_yuan[k]),
            "unpaid_yuan": float(t.unpaid_yuan[k]), "compliant": bool(t.shortfall_t[k] <= 1e-9),
        })
    return rows


def overview(game: Game, names: dict[int, str], codes: dict[int, str]) -> dict[str, Any]:
    """The facilitator's screen: clock, markets with the equilibrium price, every team's
    position, cross-border flows and the daily price path."""
    firm_names = {game.teams[k]: names.get(k) or f"#{k}" for k in game.teams}
    prices = equilibrium_prices(game.world, game.year)
    markets = []
    for market in game.world.venue.markets.values():
        view = market_view(game, market)
        view["trades"] = [trade_row(t, names=firm_names) for t in game.trades_of_market.get(
            (market.market_id, market.instrument.symbol), [])[-RECENT_TRADES:]]
        view["equilibrium_yuan_per_t"] = prices.get((market.instrument.product,
                                                     market.instrument.zone))
        markets.append(view)
    return {
        "game_id": game.game_id, "title": game.settings.title, "clock": clock_view(game),
        "markets": markets, "teams": [_team_row(game, k, names.get(k), codes.get(k))
                                      for k in game.teams],
        "recent_trades": [trade_row(t, names=firm_names) for t in game.trades[-RECENT_TRADES:]],
        "cross_border": cross_border(game), "price_path": price_path(game),
    }


def cross_border(game: Game) -> list[dict[str, Any]]:
    """Lots and value bought across the border, by year and direction."""
    flows: dict[tuple[int, str, str, str], list[float]] = {}
    calendar = game.world.venue.calendar
    for seen in game.trades:
        t = seen.trade
        if t.buyer_region != t.seller_region:
            key = (calendar.year_of(t.day), t.instrument.split(":")[0], t.seller_region,
                   t.buyer_region)
            row = flows.setdefault(key, [0, 0.0, 0.0])
            row[0] += t.lots
            row[1] += t.value_fen / 100
            row[2] += t.delivered_units
    return [{"year": y, "product": p, "from": a, "to": b, "lots": int(v[0]),
             "value_yuan": v[1]} for (y, p, a, b), v in sorted(flows.items())]


def price_path(game: Game) -> list[dict[str, Any]]:
    """Daily close (or reference, on days without trades) per market, in yuan/t."""
    products = game.world.years.products
    rows = []
    for bar in game.world.venue.bars:
        product = products[bar.instrument.split(":")[0]]
        per_t = product.tick_fen / 100 / (product.lot_units / product.scale)
        rows.append({"market": bar.market, "day": bar.day,
                     "close_yuan_per_t": None if bar.close_ticks is None
                     else bar.close_ticks * per_t,
                     "reference_yuan_per_t": bar.reference_ticks * per_t,
                     "volume_lots": bar.volume_lots})
    return rows


def _team_row(game: Game, team_id: int, name: str | None, code: str | None
              ) -> dict[str, Any]:
    firm = game.teams[team_id]
    registry = game.world.registry
    pollutants = _pollutants(game, team_id)
    return {
        "team_id": team_id, "name": name, "code": code, "firm": firm,
        "region": str(game.world.firms.region[game.firm_row[firm]]),
        "cash_yuan": registry.cash(firm) / 100,
        "pollutants": [{k: p[k] for k in ("pollutant", "emissions_t", "allocation_t",
                                          "held_t", "abatement_plan_t", "need_t")}
                       for p in pollutants],
        "open_orders": len(game.open_orders(team_id)),
        "trades": len(game.trades_of_team[team_id]),
        "compliance": compliance_rows(game, firm)[-len(pollutants) or None:],
    }


def _pollutants(game: Game, team_id: int) -> list[dict[str, Any]]:
    w, firm = game.world, game.teams[team_id]
    f, i = w.firms, game.firm_row[firm]
    region = str(f.region[i])
    penalty_multiple = w.regulators[region].rules.penalty_multiple
    out = []
    for j, pollutant in enumerate(f.pollutants):
        if f.baseline_t[i, j] <= 0:
            continue
        held = _held(game, firm, pollutant, region)
        emissions, slope, tax = float(f.current_t[i, j]), float(f.slope[i, j]), float(f.tax[i, j])
        price = _home_price(game, pollutant, region)
        penalty = penalty_multiple * price if price is not None else math.inf
        plan = float(f.abatement_plan_t[i, j])
        intercept = float(f.intercept[i, j])
        automatic = float(true_up_abatement(f.slope[i:i + 1, j], f.net_tax[i:i + 1, j],
                                            f.current_t[i:i + 1, j],
                                            np.array([held["total_t"]]), np.array([penalty]))[0])
        chosen = automatic if math.isnan(plan) else plan
        allocation = w.years.allocations.get((game.year, pollutant))
        out.append({
            "pollutant": pollutant, "emissions_t": emissions,
            "baseline_t": float(f.baseline_t[i, j]),
            "allocation_t": float(allocation[i]) if allocation is not None else 0.0,
            "held_t": held["total_t"], "holdings": held["symbols"],
            "slope_yuan_per_t2": slope, "tax_yuan_per_t": tax,
            "penalty_yuan_per_t": penalty if math.isfinite(penalty) else None,
            "price_yuan_per_t": price,
            "abatement_plan_t": None if math.isnan(plan) else plan,
            "automatic_abatement_t": automatic,
            "need_t": max(emissions - chosen - held["total_t"], 0.0),
            "spare_t": max(held["total_t"] - (emissions - chosen), 0.0),
            "cost_at_plan_yuan": float(abatement_cost(slope, chosen, intercept)),
            "mac_at_plan_yuan_per_t": intercept + slope * chosen,
            "cost_of_next_t_yuan": float(abatement_cost(slope, chosen + 1, intercept)
                                         - abatement_cost(slope, chosen, intercept)),
        })
    return out


def _held(game: Game, firm: str, pollutant: str, region: str) -> dict[str, Any]:
    """Holdings of the rights that count for this year's true-up, in tonnes."""
    w = game.world
    zone = w.years.design.compliance_zone(region)
    product = w.years.products[pollutant]
    counted = {f"{pollutant}:{zone}:{v}" for v in
               range(game.year - product.validity_years + 1, game.year + 1)}
    symbols = []
    total = 0.0
    for symbol, h in sorted(w.registry.assets_of(firm).items()):
        if symbol.split(":")[0] != pollutant:
            continue
        row = {"symbol": symbol, "counts": symbol in counted,
               **_buckets(h, product.scale)}
        symbols.append(row)
        if symbol in counted:
            total += (h.available + h.locked) / product.scale
    return {"symbols": symbols, "total_t": total}


def _home_price(game: Game, pollutant: str, region: str) -> float | None:
    zone = game.world.years.design.compliance_zone(region)
    for market in game.world.venue.markets.values():
        i = market.instrument
        if i.product == pollutant and i.zone == zone:
            return i.yuan(market.reference_ticks) / i.lot_quantity
    return None


def _buckets(holding: Any, scale: int) -> dict[str, float]:
    if holding is None:
        return {"available": 0.0, "locked": 0.0, "pledged": 0.0}
    return {"available": holding.available / scale, "locked": holding.locked / scale,
            "pledged": holding.pledged / scale}


def _member(members: Any, i: int) -> int | None:
    hits = (members == i).nonzero()[0]
    return int(hits[0]) if len(hits) else None


__all__ = ["clock_view", "compliance_rows", "cross_border", "market_view", "overview",
           "price_path", "team_view", "trade_row"]
