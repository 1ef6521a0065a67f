"""The venue: the listed markets on the day schedule.

The venue opens and closes the listed markets in the phases of :mod:`exchange.clock`
(opening call auction, continuous sessions, close with settlement and daily bars).
Everything about matching and money stays in :mod:`exchange.market`; this module only
decides *when*.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from exchange.clock import Clock
from exchange.instruments import Instrument
from exchange.market import Ack, Bar, Market, Trade
from exchange.orders import OrderRejected, Side, TimeInForce

@dataclass(frozen=True, slots=True)
class Quote:
    """What a trader sees of a market before deciding."""

    market: str
    instrument: str
    phase: str
    best_bid_ticks: int | None
    best_ask_ticks: int | None
    reference_ticks: int
    band: tuple[int, int] | None


class Venue:
    """The listed markets and the daily trading cycle."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.env = clock.env
        self.calendar = clock.calendar
        self.order_ids = itertools.count(1)
        self.bars: list[Bar] = []
        self.log: list[tuple[float, str]] = []
        self._markets: dict[str, Market] = {}
        self._delisted: list[Market] = []
        self.listing_version = 0  # changes whenever a market is listed or delisted
        clock.at("market_open", self._begin_day)
        clock.at("call", lambda day: self._phase("call", Market.open_call))
        clock.at("continuous", lambda day: self._phase(
            "continuous", lambda m: m.open_continuous(day)))
        clock.at("break", lambda day: self._phase("break", Market.pause))
        clock.at("close", self._close_day)

    # ---- listing -------------------------------------------------------------------------

    def list_market(self, market: Market) -> None:
        """List a market; it joins the next phase change of the day."""
        if market.market_id in self._markets:
            raise ValueError(f"market {market.market_id} is listed already")
        self._markets[market.market_id] = market
        self.listing_version += 1

    def delist(self, market_id: str) -> Market:
        """Take a market off: its orders are cancelled and its trades settled."""
        market = self._markets.pop(market_id)
        self.listing_version += 1
        # In the order the owners first rest, not a set's: the journal must not depend on
        # the process's string hashing.
        for owner in dict.fromkeys(o for _, o, *_ in market.book.live_orders()):
            market.cancel_all(owner)
        market.settle_due(1 << 62)
        market.phase = "closed"
        self._delisted.append(market)
        return market

    def archive(self, market: Market) -> None:
        """Keep the trades of a market that was never listed (a primary auction)."""
        self._delisted.append(market)

    def market(self, market_id: str) -> Market:
        try:
            return self._markets[market_id]
        except KeyError:
            raise OrderRejected("unknown_market", f"no market {market_id!r} is listed") from None

    @property
    def markets(self) -> dict[str, Market]:
        return dict(self._markets)

    @property
    def instruments(self) -> dict[str, Instrument]:
        """Every instrument ever listed or auctioned, by symbol."""
        return {m.instrument.symbol: m.instrument
                for m in (*self._delisted, *self._markets.values())}

    @property
    def trades(self) -> list[Trade]:
        """Every trade of every market ever listed, in market then time order."""
        return [t for m in (*self._delisted, *self._markets.values()) for t in m.trades]

    # ---- trading -------------------------------------------------------------------------

    @property
    def day(self) -> int:
        return self.clock.day

    def quote(self, market_id: str) -> Quote:
        m = self.market(market_id)
        return Quote(market_id, m.instrument.symbol, m.phase, m.book.best_bid(),
                     m.book.best_ask(), m.reference_ticks, m.band())

    def submit(self, market_id: str, owner: str, side: Side, lots: int,
               price_ticks: int | None = None, tif: TimeInForce = TimeInForce.DAY) -> Ack:
        """Send an order to a listed market now. Raises OrderRejected with a reason."""
        return self.market(market_id).submit(owner, side, lots, price_ticks, tif, day=self.day)

    def cancel(self, market_id: str, owner: str, order_id: int) -> int:
        return self.market(market_id).cancel(owner, order_id)

    # ---- the daily cycle -----------------------------------------------------------------

    def _begin_day(self, day: int) -> None:
        for market in self._markets.values():
            market.begin_day()

    def _close_day(self, day: int) -> None:
        self.bars.extend(m.close_day(day) for m in self._markets.values())
        self.log.append((self.env.now, "close"))

    def _phase(self, name: str, action: Callable[[Market], object]) -> None:
        for market in self._markets.values():
            action(market)
        self.log.append((self.env.now, name))

