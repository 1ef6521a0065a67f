"""A game: a simulated world in which some firms are played by teams of people.

The game owns one world (``scenarios.build_world``) and moves its SimPy clock through rounds
of trading days. Everything that changes a game is an :class:`Action`: a facilitator's round
control, a team's order, cancel or abatement choice, or the timer closing a round. An action
is applied at the simulation time it happened (``Action.at``); applying the same actions at
the same times to a fresh world of the same settings gives the same books, orders and trades,
which is how a stored game comes back after a restart.

Methods are synchronous and are called from one thread (a server's event loop), so one
action or clock step always runs to completion before the next begins.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from exchange import Market, OrderRejected, Side, TimeInForce, Trade, UnknownOrder
from scenarios import World
from workshop.clock import REST, TradingClock
from workshop.messages import Refused
from workshop.settings import GameSettings

Status = Literal["lobby", "open", "paused", "break", "ended"]
TEAM_ACTIONS = ("order", "cancel", "abate")
FACILITATOR_ACTIONS = ("open_round", "pause", "resume", "end_round", "end_game")


@dataclass(frozen=True, slots=True)
class Action:
    """One accepted change of a game, as stored.

    Attributes:
        kind: one of :data:`TEAM_ACTIONS` or :data:`FACILITATOR_ACTIONS`.
        at: SimPy time it was applied at.
        team_id: the acting team, None for the facilitator and the timer.
        payload: what was asked and what the engine assigned (an order's id).
    """

    kind: str
    at: float
    team_id: int | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SeenTrade:
    """A trade with the key the game knows it by and the simulation time it was seen."""

    key: str
    trade: Trade
    at: float


@dataclass
class Changes:
    """What changed since the last look: for pushing updates to screens."""

    markets: set[str] = field(default_factory=set)
    trades: list[SeenTrade] = field(default_factory=list)
    teams: set[int] = field(default_factory=set)
    status: bool = False

    def __bool__(self) -> bool:
        return bool(self.markets or self.trades or self.teams or self.status)


class ReplayDiverged(RuntimeError):
    """A stored action did not give the same result when applied again."""


class Game:
    """The world, the round state and the teams of one game."""

    def __init__(self, game_id: str, settings: GameSettings, world: World) -> None:
        self.game_id = game_id
        self.settings = settings
        self.world = world
        self.clock = TradingClock.of(world.venue.calendar, settings.days_per_round)
        self.status: Status = "lobby"
        self.round_no = 0
        self.position = 0.0
        self.teams = {k + 1: firm for k, firm in enumerate(settings.firms)}
        self.team_of_firm = {firm: k for k, firm in self.teams.items()}
        self.firm_row = {firm: i for i, firm in enumerate(world.firms.ids)}
        self.trades: list[SeenTrade] = []
        self.trades_of_market: dict[tuple[str, str], list[SeenTrade]] = {}
        self.trades_of_team: dict[int, list[SeenTrade]] = {k: [] for k in self.teams}
        self.volume_lots: dict[tuple[str, str], int] = {}  # by (market, instrument)
        self._cursor: dict[tuple[str, str], int] = {}
        self._listing_version = -1
        self._depth: dict[str, tuple[Any, ...]] = {}
        self._holdings: dict[int, tuple[Any, ...]] = {}
        self._changes = Changes()
        self._menus: dict[int, tuple[int, list[Market]]] = {}
        world.env.run(until=REST)  # the first year's allocation and listing
        self.drain()

    # ---- reading -------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return float(self.world.env.now)

    @property
    def year(self) -> int:
        """Compliance year the clock is in."""
        return self.world.venue.calendar.year_of(min(int(self.now),
                                                     self.clock.horizon_days - 1))

    def markets_of(self, team_id: int) -> list[Market]:
        """Listed markets the team's firm may trade in: those of the pollutants it emits."""
        venue = self.world.venue
        cached = self._menus.get(team_id)
        if cached is not None and cached[0] == venue.listing_version:
            return cached[1]
        i = self.firm_row[self.teams[team_id]]
        f = self.world.firms
        region = str(f.region[i])
        emitted = {p for j, p in enumerate(f.pollutants) if f.baseline_t[i, j] > 0}
        menu = [m for m in venue.markets.values()
                if m.instrument.product in emitted and region in m.access]
        self._menus[team_id] = (venue.listing_version, menu)
        return menu

    def open_orders(self, team_id: int) -> list[tuple[Market, int, Side, int, int]]:
        """``(market, order_id, side, price_ticks, lots_left)`` of the team's resting orders."""
        firm = self.teams[team_id]
        return [(m, *row) for m in self.markets_of(team_id) for row in m.open_orders(firm)]

    # ---- acting --------------------------------------------------------------------------

    def act(self, kind: str, team_id: int | None, payload: dict[str, Any]
            ) -> tuple[Action, dict[str, Any]]:
        """Apply an action now; return it as it is to be stored, and the result to show.

        Raises:
            Refused: the action is not allowed now or breaks a market rule; nothing changed.
        """
        handler = _HANDLERS.get(kind)
        if handler is None or (kind in TEAM_ACTIONS) != (team_id is not None):
            raise Refused("unknown_action", 422)
        if team_id is not None and team_id not in self.teams:
            raise Refused("forbidden", 403)
        at = self.now
        record, result = handler(self, team_id, payload)
        if team_id is not None:
            self._changes.teams.add(team_id)
        self._collect_trades()
        return Action(kind, at, team_id, record), result

    def replay(self, action: Action) -> None:
        """Apply a stored action at its time again.

        Raises:
            ReplayDiverged: the action is refused now or gives another result.
        """
        self.run_to(action.at)
        try:
            again, _ = self.act(action.kind, action.team_id, dict(action.payload))
        except Refused as refused:
            raise ReplayDiverged(f"{self.game_id}: stored {action.kind} at {action.at} is "
                                 f"refused on replay ({refused.code})") from None
        if again.payload != action.payload:
            raise ReplayDiverged(f"{self.game_id}: stored {action.kind} at {action.at} gave "
                                 f"{again.payload}, not {action.payload}")

    def advance(self, days: float) -> list[Action]:
        """Move an open round on by ``days`` of open time; close it when its time is up.

        Returns the actions the clock took by itself (a round closed by the timer).
        """
        if self.status != "open" or days <= 0:
            return []
        self.position = min(self.position + days, self.clock.length(self.round_no))
        if self.position >= self.clock.length(self.round_no):
            action, _ = self.act("end_round", None, {"by": "timer"})
            return [action]
        self.run_to(self.clock.time_at(self.round_no, self.position))
        return []

    def run_to(self, time: float) -> None:
        """Let the simulated agents act up to ``time`` (no-op if the clock is there)."""
        if time > self.world.env.now:
            self.world.env.run(until=time)
            self._collect_trades()

    def resume_clock(self, time: float) -> None:
        """Put the clock of an open or paused round back where it was last recorded."""
        if self.status in ("open", "paused"):
            self.run_to(min(time, self.clock.time_at(self.round_no, math.inf)))
            self.position = self.clock.position_of(self.round_no, self.now)

    # ---- changes -------------------------------------------------------------------------

    def drain(self, *, every_team: bool = True) -> Changes:
        """What changed since the last call: new trades, books, positions, status.

        Trades are collected after every action and clock step, so ``trades`` is always
        up to date; books and positions are compared here. Positions change through a
        team's own actions and trades, which are known; ``every_team`` also compares the
        rest (orders expiring at a close, a new year's allocation), which costs more."""
        self._collect_trades()
        for market in self.world.venue.markets.values():
            look = (market.phase, market.reference_ticks, market.book.depth(),
                    market.instrument.symbol)
            if self._depth.get(market.market_id) != look:
                self._depth[market.market_id] = look
                self._changes.markets.add(market.market_id)
        registry = self.world.registry
        for team_id, firm in self.teams.items():
            if not every_team and team_id not in self._changes.teams:
                continue
            position = (tuple(sorted(registry.assets_of(firm).items())),
                        tuple(o[1:] for o in self.open_orders(team_id)))
            if self._holdings.get(team_id) != position:
                self._holdings[team_id] = position
                self._changes.teams.add(team_id)
        changes, self._changes = self._changes, Changes()
        return changes

    def _collect_trades(self) -> None:
        venue = self.world.venue
        if venue.listing_version != self._listing_version:
            # Markets were listed or delisted: scan them all, so none listed and delisted
            # within one step is missed.
            self._listing_version = venue.listing_version
            every = venue.trades
            fresh = [t for t in every
                     if t.trade_id > self._cursor.get((t.market, t.instrument), 0)]
        else:
            fresh = [t for m in venue.markets.values()
                     for t in m.trades[self._cursor.get((m.market_id, m.instrument.symbol), 0):]]
        now = self.now
        for trade in fresh:
            self._cursor[trade.market, trade.instrument] = trade.trade_id
            key = f"{trade.instrument}/{trade.market}#{trade.trade_id}"
            seen = SeenTrade(key, trade, now)
            self.trades.append(seen)
            self.trades_of_market.setdefault((trade.market, trade.instrument), []).append(seen)
            book = (trade.market, trade.instrument)
            self.volume_lots[book] = self.volume_lots.get(book, 0) + trade.lots
            self._changes.trades.append(seen)
            self._changes.markets.add(trade.market)
            for firm in {trade.buyer, trade.seller}:
                if firm in self.team_of_firm:
                    self.trades_of_team[self.team_of_firm[firm]].append(seen)
                    self._changes.teams.add(self.team_of_firm[firm])

    # ---- round control -------------------------------------------------------------------

    def _open_round(self, team_id: int | None, payload: dict[str, Any]) -> _Outcome:
        _expect(payload, set())
        if self.status in ("open", "paused"):
            raise Refused("round_open")
        self._refuse_if_ended()
        if self.round_no >= self.clock.rounds:
            raise Refused("no_more_rounds")
        self.round_no += 1
        self.position = 0.0
        self._set_status("open")
        return {}, {"round": self.round_no}

    def _pause(self, team_id: int | None, payload: dict[str, Any]) -> _Outcome:
        _expect(payload, set())
        self._require_round()
        if self.status == "open":
            self._set_status("paused")
        return {}, {"status": self.status}

    def _resume(self, team_id: int | None, payload: dict[str, Any]) -> _Outcome:
        _expect(payload, set())
        self._require_round()
        if self.status == "paused":
            self._set_status("open")
        return {}, {"status": self.status}

    def _end_round(self, team_id: int | None, payload: dict[str, Any]) -> _Outcome:
        _expect(payload, {"by"})
        by = payload.get("by", "facilitator")
        if by not in ("facilitator", "timer"):
            raise Refused("invalid_input", 422, detail="by: facilitator or timer")
        self._require_round()
        self._close_round()
        return {"by": by}, {"round": self.round_no, "status": self.status}

    def _end_game(self, team_id: int | None, payload: dict[str, Any]) -> _Outcome:
        _expect(payload, set())
        self._refuse_if_ended()
        if self.status in ("open", "paused"):
            self._close_round()
        self._set_status("ended")
        return {}, {"status": self.status}

    def _close_round(self) -> None:
        """Let the agents trade out the round's remaining days, to just after its last
        midnight (a compliance year's true-up happens there when a year ends)."""
        self.run_to(self.clock.rest_after(self.round_no))
        self.position = self.clock.length(self.round_no)
        self._set_status("ended" if self.round_no >= self.clock.rounds else "break")

    def _set_status(self, status: Status) -> None:
        self.status = status
        self._changes.status = True

    def _require_round(self) -> None:
        self._refuse_if_ended()
        if self.status not in ("open", "paused"):
            raise Refused("round_closed")

    def _refuse_if_ended(self) -> None:
        if self.status == "ended":
            raise Refused("game_ended")

    def _require_trading(self) -> None:
        if self.status == "lobby":
            raise Refused("not_started")
        if self.status == "paused":
            raise Refused("round_paused")
        self._require_round()

    # ---- team actions --------------------------------------------------------------------

    def _order(self, team_id: int | None, payload: dict[str, Any]) -> _Outcome:
        assert team_id is not None
        _expect(payload, {"market", "side", "lots", "price_ticks", "tif", "order_id"})
        self._require_trading()
        market = self._team_market(team_id, payload.get("market"))
        side = _choice(payload.get("side"), {"buy": Side.BUY, "sell": Side.SELL}, "side")
        tif = _choice(payload.get("tif", "gtc"), {"gtc": TimeInForce.GTC,
                                                  "day": TimeInForce.DAY}, "tif")
        lots = _whole(payload.get("lots"), "lots")
        price = _whole(payload.get("price_ticks"), "price_ticks")
        seen = len(self.trades)
        try:
            ack = self.world.venue.submit(market.market_id, self.teams[team_id], side, lots,
                                          price, tif)
        except OrderRejected as rejected:
            raise _refusal(rejected, market, side) from None
        self._collect_trades()
        if "order_id" in payload and payload["order_id"] != ack.order_id:
            raise ReplayDiverged(f"order id {ack.order_id}, stored {payload['order_id']}")
        record = {"market": market.market_id, "side": side.value, "lots": lots,
                  "price_ticks": price, "tif": tif.value, "order_id": ack.order_id}
        return record, {"order_id": ack.order_id, "resting_lots": ack.resting_lots,
                        "filled_lots": sum(f.lots for f in ack.fills),
                        "trades": [t.key for t in self.trades[seen:]]}

    def _cancel(self, team_id: int | None, payload: dict[str, Any]) -> _Outcome:
        assert team_id is not None
        _expect(payload, {"order_id", "market", "lots"})
        self._refuse_if_ended()
        order_id = _whole(payload.get("order_id"), "order_id")
        market = next((m for m, oid, *_ in self.open_orders(team_id) if oid == order_id), None)
        if market is None:
            raise Refused("unknown_order")
        try:
            left = market.cancel(self.teams[team_id], order_id)
        except UnknownOrder:
            raise Refused("unknown_order") from None
        return ({"order_id": order_id, "market": market.market_id, "lots": left},
                {"order_id": order_id, "cancelled_lots": left})

    def _abate(self, team_id: int | None, payload: dict[str, Any]) -> _Outcome:
        assert team_id is not None
        _expect(payload, {"pollutant", "abatement_t"})
        self._refuse_if_ended()
        f = self.world.firms
        i = self.firm_row[self.teams[team_id]]
        pollutant = payload.get("pollutant")
        if pollutant not in f.pollutants or f.baseline_t[i, f.pollutant(pollutant)] <= 0:
            raise Refused("unknown_pollutant", 422, pollutant=str(pollutant)[:20])
        j = f.pollutant(pollutant)
        value = payload.get("abatement_t")
        most = float(f.current_t[i, j])
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or not 0 <= value <= most + 1e-9:
                raise Refused("bad_abatement", 422, max_t=f"{most:.1f}")
            value = round(min(float(value), most), 3)
        f.plan_abatement(i, j, value)
        return ({"pollutant": pollutant, "abatement_t": value},
                {"pollutant": pollutant, "abatement_t": value})

    def _team_market(self, team_id: int, market_id: object) -> Market:
        for market in self.markets_of(team_id):
            if market.market_id == market_id:
                return market
        raise Refused("unknown_market")


_Outcome = tuple[dict[str, Any], dict[str, Any]]
_HANDLERS: dict[str, Callable[[Game, int | None, dict[str, Any]], _Outcome]] = {
    "open_round": Game._open_round, "pause": Game._pause, "resume": Game._resume,
    "end_round": Game._end_round, "end_game": Game._end_game,
    "order": Game._order, "cancel": Game._cancel, "abate": Game._abate,
}


def _expect(payload: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(payload) - allowed
    if unknown:
        raise Refused("invalid_input", 422, detail=f"unexpected fields {sorted(unknown)}")


def _whole(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 1 << 40:
        raise Refused("invalid_input", 422, detail=f"{name}: a whole number above zero")
    return value


def _choice(value: object, options: dict[str, Any], name: str) -> Any:
    if not isinstance(value, str) or value not in options:
        raise Refused("invalid_input", 422, detail=f"{name}: one of {sorted(options)}")
    return options[value]


def _refusal(rejected: OrderRejected, market: Market, side: Side) -> Refused:
    params: dict[str, Any] = {"side": side.value, "side_zh": "买入" if side is Side.BUY
                              else "卖出"}
    band = market.band()
    if band is not None:
        per_t = market.instrument.yuan(1) / market.instrument.lot_quantity
        params.update(low=f"{band[0] * per_t:,.1f}", high=f"{band[1] * per_t:,.1f}")
    return Refused(rejected.reason, **params)


__all__ = ["Action", "Changes", "FACILITATOR_ACTIONS", "Game", "ReplayDiverged", "SeenTrade",
           "Status", "TEAM_ACTIONS"]
