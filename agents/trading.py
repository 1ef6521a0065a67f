"""Firms trading on the venue: when they act (the process) and what they send (pure methods).

Each trading day every firm is active in each pollutant it emits with a fixed probability;
active firms arrive at random times within the day's order-entry windows (the ``call_entry``
and ``session`` phases of the day schedule). On arrival a firm withdraws its open orders in
that pollutant and sends new ones priced from its marginal permit value (see
:mod:`agents.firms`).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from agents.firms import STRATEGIES, Firms, permit_value
from agents.streams import Streams
from exchange import (Clock, Market, OrderRejected, ProcessGenerator, Registry, Side,
                      TimeInForce, Venue)


@dataclass(frozen=True, slots=True)
class TradingBehaviour:
    """How often and how much firms trade.

    Attributes:
        activity: chance that a firm acts in a pollutant on a trading day.
        order_share: an order's size as a share of the firm's baseline emissions.
        max_order_t: upper bound on one order, t.
        penalty_multiple: by region, the penalty per missing tonne as a multiple of the
            market price; it caps what a permit is worth to a firm.
        auction_steps: price steps of a firm's demand schedule in a primary auction.
    """

    activity: float
    order_share: float
    max_order_t: float
    penalty_multiple: dict[str, float]
    auction_steps: int = 5


@dataclass(slots=True)
class _Position:
    """A firm's position in one pollutant when it decides, in tonnes and yuan/t."""

    slope: float
    tax: float
    need_t: float
    lot_t: float
    penalty: float
    lots: int  # the most lots one order may carry
    sellable: int  # lots available to sell

    def buy_value(self, k: int) -> float:
        """Value of the k-th lot bought, yuan/t."""
        return permit_value(self.slope, self.tax, self.need_t, (k - 0.5) * self.lot_t,
                            self.penalty)

    def sell_value(self, k: int) -> float:
        """Value given up with the k-th lot sold, yuan/t."""
        return permit_value(self.slope, self.tax, self.need_t, -(k - 0.5) * self.lot_t,
                            self.penalty)

    def lots_worth_buying(self, price: float) -> int:
        """How many lots, up to ``lots``, are each worth at least ``price`` yuan/t."""
        if price > self.penalty or self.buy_value(1) < price:
            return 0
        # Abatement where the MAC meets the price; never below none (a MAC intercept above
        # the price and the tax means buying everything the firm emits, no more).
        abate = max(0.0, (price + self.tax) / self.slope)
        k = int((self.need_t - abate) / self.lot_t + 0.5)
        return max(1, min(self.lots, k))

    def lots_worth_selling(self, price: float) -> int:
        """How many lots, up to ``lots`` and what is held, are each worth at most ``price``."""
        if not self.sellable or self.sell_value(1) > price:
            return 0
        abate = max(0.0, (price + self.tax) / self.slope)
        k = int((abate - self.need_t) / self.lot_t + 0.5)
        return max(1, min(self.lots, self.sellable, k))


@dataclass(frozen=True, slots=True)
class _Option:
    market: Market
    ratio: float  # own-region tonnes received per tonne bought
    cross_border: bool = False

    def room(self, lots: int) -> int:
        """How many of ``lots`` this market takes from the firm now: all at home, at most
        what is left of the cross-border quota across the border."""
        left = self.market.quota_left
        return lots if not self.cross_border or left is None else max(0, min(lots, left))


class Traders:
    """The firm population's trading, in the order-entry windows of the day schedule."""

    def __init__(self, clock: Clock, venue: Venue, registry: Registry, firms: Firms,
                 behaviour: TradingBehaviour, streams: Streams) -> None:
        self.env = clock.env
        self.venue = venue
        self.registry = registry
        self.firms = firms
        self.behaviour = behaviour
        self.streams = streams
        self.rng = streams("traders", "zero-intelligence")
        self.rejections: Counter[str] = Counter()
        self.orders_sent = 0
        self._emits = firms.baseline_t > 0
        self._windows = np.array(venue.calendar.entry_windows, dtype=float)
        self._menus: dict[tuple[str, str], tuple[Market | None, list[_Option]]] = {}
        self._menus_version = -1
        self._view_version = -1
        self._arrivals: list[tuple[float, int, int]] = []
        self._arrivals_day = -1
        clock.during("call_entry", self.arrive)
        clock.during("session", self.arrive)

    # ---- timing --------------------------------------------------------------------------

    def arrive(self, day: int, start: float, end: float) -> ProcessGenerator:
        """Let each firm arriving in the window ``[start, end)`` of ``day`` act at its
        time."""
        if day != self._arrivals_day:
            self._arrivals, self._arrivals_day = self.arrivals(day), day
        env = self.env
        for at, firm, pollutant in self._arrivals:
            if start <= at - day < end:
                yield env.timeout(at - env.now)
                self.act(firm, pollutant)

    def arrivals(self, day: int) -> list[tuple[float, int, int]]:
        """The day's arrivals ``(time, firm, pollutant)`` in time order: who is active and
        when, drawn from the day's own stream, so they never depend on what firms did."""
        rng = self.streams("traders", "arrivals", day)
        active = np.argwhere(self._emits & (rng.random(self._emits.shape)
                                            < self.behaviour.activity))
        times = day + _draw_times(self._windows, len(active), rng)
        order = np.argsort(times, kind="stable")
        return [(at, firm, pollutant) for at, (firm, pollutant) in
                zip(times[order].tolist(), active[order].tolist())]

    # ---- judgement -----------------------------------------------------------------------

    def act(self, firm: int, pollutant: int) -> None:
        """Revise the firm's orders in this pollutant.

        A truthful firm decides with its own quotes still resting: they are priced beyond
        its own marginal values, so they never change what it would take from the book.
        Quotes it would send again unchanged stay (keeping their time priority); the rest
        are cancelled and replaced. A zero-intelligence firm withdraws everything first.
        """
        self._refresh_view()
        strategy = self._strategy[firm]
        if strategy == "manual":  # a person trades for it: its orders are theirs to manage
            return
        owner = self.firms.ids[firm]
        home, options = self._markets(self.firms.pollutants[pollutant], self._region[firm])
        if home is None:
            return
        if strategy != "truthful":
            for option in options:
                option.market.cancel_all(owner)
        wanted = self.decide(firm, pollutant, home, options, strategy)
        if strategy == "truthful":
            wanted = self._keep_unchanged(owner, options, wanted)
        tif = TimeInForce.GTC if strategy == "truthful" else TimeInForce.DAY
        for market, side, lots, price in wanted:
            self.orders_sent += 1
            try:
                market.submit(owner, side, lots, price, tif, day=self.venue.day)
            except OrderRejected as rejected:
                self.rejections[rejected.reason] += 1

    @staticmethod
    def _keep_unchanged(owner: str, options: list[_Option],
                        wanted: list[tuple[Market, Side, int, int]]
                        ) -> list[tuple[Market, Side, int, int]]:
        """Cancel the owner's resting orders that are not wanted as they are; return the
        wanted orders that still have to be sent."""
        to_send = list(wanted)
        for option in options:
            market = option.market
            for order_id, side, price, lots in market.open_orders(owner):
                same = (market, side, lots, price)
                if same in to_send:
                    to_send.remove(same)
                else:
                    market.cancel(owner, order_id)
        return to_send

    def decide(self, firm: int, pollutant: int, home: Market, options: list[_Option],
               strategy: str) -> list[tuple[Market, Side, int, int]]:
        """Orders ``(market, side, lots, price_ticks)`` the firm sends now."""
        owner, instrument = self.firms.ids[firm], home.instrument
        registry, behaviour, symbol = self.registry, self.behaviour, instrument.symbol
        lot_t = instrument.lot_quantity
        held_t = registry.total(owner, symbol) / instrument.scale
        price_t = instrument.yuan(home.reference_ticks) / lot_t
        position = _Position(
            slope=self._slope[firm][pollutant], tax=self._tax[firm][pollutant],
            need_t=self._current[firm][pollutant] - held_t, lot_t=lot_t,
            penalty=behaviour.penalty_multiple[self._region[firm]] * price_t,
            lots=max(1, min(int(behaviour.max_order_t / lot_t),
                            int(behaviour.order_share * self._baseline[firm][pollutant]
                                / lot_t + 0.5))),
            sellable=registry.unpledged(owner, symbol) // instrument.lot_units)
        if strategy == "zic":
            return self._zero_intelligence(home, options, position)
        return self._truthful(home, options, position, price_t)

    def bid_at_auction(self, primary: Market, pollutant: int) -> None:
        """Bid each eligible firm's demand schedule into a primary call auction.

        The firm splits what it lacks into ``auction_steps`` slices and bids each at the marginal
        value of the slice's midpoint, so its bids trace its own demand curve.
        """
        f, instrument = self.firms, primary.instrument
        lot_t = instrument.lot_quantity
        penalty_ref = instrument.yuan(primary.reference_ticks) / lot_t
        steps = self.behaviour.auction_steps
        net_tax = f.net_tax
        for firm in np.flatnonzero(self._emits[:, pollutant]):
            region = f.region[firm]
            if STRATEGIES[f.strategy[firm]] == "manual":
                continue
            if region not in primary.access or not primary.access[region].may_buy:
                continue
            held_t = self.registry.total(f.ids[firm], instrument.symbol) / instrument.scale
            need_t = f.current_t[firm, pollutant] - held_t
            lots = int(need_t / steps / lot_t)
            penalty = self.behaviour.penalty_multiple[region] * penalty_ref
            for k in range(steps if lots > 0 else 0):
                value = permit_value(f.slope[firm, pollutant], net_tax[firm, pollutant], need_t,
                                     (k + 0.5) * lots * lot_t, penalty)
                ticks = math.floor(value * lot_t * 100 / instrument.tick_fen)
                if ticks <= 0:
                    break
                try:
                    primary.submit(f.ids[firm], Side.BUY, lots, ticks, day=self.venue.day)
                except OrderRejected as rejected:
                    self.rejections[rejected.reason] += 1

    def _truthful(self, home: Market, options: list[_Option], pos: _Position,
                  price_t: float) -> list[tuple[Market, Side, int, int]]:
        """Take what is worth taking at the best quotes, else quote both sides truthfully.

        Every lot is priced at no better than the firm's marginal value of that lot. Resting
        quotes are sized so the last lot's value stays within 2 % of the market price of the
        first, which keeps a steep-cost firm's bid and ask close together.
        """
        ask, best = _best_ask(options)
        if best is not None:
            take = best.room(pos.lots_worth_buying(ask))
            bid = _bid_ticks(best.market, pos.buy_value(take) * best.ratio) if take else None
            if bid is not None:
                return [(best.market, Side.BUY, take, bid)]
        best_bid = home.book.best_bid()
        if best_bid is not None:
            give = pos.lots_worth_selling(home.instrument.yuan(best_bid) / pos.lot_t)
            ask_ticks = _ask_ticks(home, pos.sell_value(give)) if give else None
            if ask_ticks is not None:
                return [(home, Side.SELL, give, ask_ticks)]
        size = max(1, min(pos.lots, int(0.02 * price_t / (pos.slope * pos.lot_t))))
        orders = []
        value = pos.buy_value(size)
        bid = _bid_ticks(home, value)
        if bid is not None and value > 0:
            orders.append((home, Side.BUY, size, bid))
        give = min(size, pos.sellable)
        ask_ticks = _ask_ticks(home, pos.sell_value(give)) if give else None
        if ask_ticks is not None and (bid is None or ask_ticks > bid):
            orders.append((home, Side.SELL, give, ask_ticks))
        return orders

    def _zero_intelligence(self, home: Market, options: list[_Option], pos: _Position
                           ) -> list[tuple[Market, Side, int, int]]:
        """A random price on a random side, never beyond the firm's marginal value."""
        rng = self.rng
        if rng.random() < 0.5 or not pos.sellable:
            option = options[rng.integers(len(options))]
            if not option.room(pos.lots):  # the quota is used up: bid at home instead
                option = options[0]
            lots = option.room(pos.lots)
            band = option.market.band()
            value = pos.buy_value(lots)
            limit = _bid_ticks(option.market, value * option.ratio)
            if band is None or limit is None or value <= 0 or not lots:
                return []
            return [(option.market, Side.BUY, lots, int(rng.integers(band[0], limit + 1)))]
        give = min(pos.lots, pos.sellable)
        band = home.band()
        floor = _ask_ticks(home, pos.sell_value(give))
        if band is None or floor is None:
            return []
        return [(home, Side.SELL, give, int(rng.integers(floor, band[1] + 1)))]

    def _refresh_view(self) -> None:
        """Plain-list copies of the firm columns: scalar reads from lists are much faster
        than from numpy arrays; taken again whenever the firms' columns have changed."""
        f = self.firms
        if self._view_version == f.version:
            return
        self._view_version = f.version
        self._current = f.current_t.tolist()
        self._baseline = f.baseline_t.tolist()
        self._slope = f.slope.tolist()
        self._tax = f.net_tax.tolist()  # tax less the MAC intercept (agents.firms)
        self._region = f.region.tolist()
        self._strategy = [STRATEGIES[k] for k in f.strategy.tolist()]

    def _markets(self, product: str, region: str) -> tuple[Market | None, list[_Option]]:
        """The firm's home market for a product and every market it may buy in (cached
        until the venue's listings change)."""
        if self._menus_version != self.venue.listing_version:
            self._menus.clear()
            self._menus_version = self.venue.listing_version
        menu = self._menus.get((product, region))
        if menu is None:
            menu = self._menus[product, region] = self._find_markets(product, region)
        return menu

    def _find_markets(self, product: str, region: str) -> tuple[Market | None, list[_Option]]:
        home: Market | None = None
        options: list[_Option] = []
        for market in self.venue.markets.values():
            if market.instrument.product != product:
                continue
            access = market.access.get(region)
            if access is None or not access.may_buy:
                continue
            option = _Option(market, access.ratio if access.cross_border else 1.0,
                             access.cross_border)
            if access.may_sell:
                home = market
                options.insert(0, option)  # the home market first
            else:
                options.append(option)
        return home, options


def _best_ask(options: list[_Option]) -> tuple[float, _Option | None]:
    """The lowest effective ask and the first option offering it; None without options.

    A cross-border market whose quota is used up is no option: an order there would be
    refused, and the firm should bid at home instead."""
    best, lowest = None, math.inf
    for option in options:
        if not option.room(1):
            continue
        ask = _effective_ask(option)
        if best is None or ask < lowest:
            best, lowest = option, ask
    return lowest, best


def _effective_ask(option: _Option) -> float:
    """Price of the best ask per own-region tonne, yuan; infinite when nothing is offered."""
    ask = option.market.book.best_ask()
    if ask is None or option.ratio <= 0:
        return math.inf
    instrument = option.market.instrument
    return instrument.yuan(ask) / instrument.lot_quantity / option.ratio


def _bid_ticks(market: Market, value_per_t: float) -> int | None:
    """Highest admissible bid not above the value; None if the band forbids any."""
    instrument = market.instrument
    ticks = math.floor(value_per_t * instrument.lot_quantity * 100 / instrument.tick_fen)
    band = market.band()
    if band is not None:
        if ticks < band[0]:
            return None
        ticks = min(ticks, band[1])
    return ticks if ticks > 0 else None


def _ask_ticks(market: Market, value_per_t: float) -> int | None:
    """Lowest admissible ask not below the value; None if the band forbids any."""
    instrument = market.instrument
    ticks = max(1, math.ceil(value_per_t * instrument.lot_quantity * 100 / instrument.tick_fen))
    band = market.band()
    if band is not None:
        if ticks > band[1]:
            return None
        ticks = max(ticks, band[0])
    return ticks


def _draw_times(windows: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform arrival times over the union of the windows (never exactly on an edge)."""
    lengths = windows[:, 1] - windows[:, 0]
    offsets = rng.random(count) * lengths.sum()
    edges = np.concatenate(([0.0], np.cumsum(lengths)))
    which = np.clip(np.searchsorted(edges, offsets, side="right") - 1, 0, len(windows) - 1)
    times = windows[which, 0] + offsets - edges[which]
    inside: np.ndarray = np.clip(times, windows[which, 0] + 1e-9, windows[which, 1] - 1e-9)
    return inside
