"""A market: one order book plus the trading rules, pre-trade checks and settlement.

Pure like the book: the caller says which business day it is and when a phase begins. Every
order reserves what it could need in the registry when it enters (cash at its limit price plus
the fee for a buy, units for a sell), so a fill can always settle, and delivery versus payment
never half-happens.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal

from exchange.book import OrderBook
from exchange.instruments import Instrument, issuer_account, retirement_account
from exchange.orders import (Fill, InsufficientBalance, Order, OrderRejected, Side,
                             TimeInForce, UnknownOrder, draft_class)
from exchange.registry import CASH, Registry

Phase = Literal["closed", "call", "continuous"]
TradeKind = Literal["continuous", "auction", "block", "primary"]


@dataclass(frozen=True, slots=True)
class TradingRules:
    """Rules of one market.

    Defaults follow the national carbon-market template (MEE trading rules 2021; SEEE
    announcement 2021-06-22; see reference/domain.md section 4): listed orders within +-10 %
    of the previous close, block trades within +-30 % and from a minimum size, T+0 delivery
    versus payment. ``band=None`` switches the band off (the regulator's primary auctions).
    """

    band: float | None = 0.10
    block_band: float = 0.30
    block_min_lots: int = 1_000
    max_order_lots: int | None = None
    fee_bps: int = 0
    settlement_lag_days: int = 0


@dataclass(frozen=True, slots=True)
class Access:
    """How the accounts of one region take part in a market.

    A buyer from another region receives the market's units converted at ``ratio`` into
    ``deliver_as`` (its own region's instrument): the traded units are retired and
    ``floor(units * ratio)`` are issued to it. ``ratio`` is the trading ratio of the linked
    design, e.g. a river transfer coefficient.
    """

    may_buy: bool = True
    may_sell: bool = True
    deliver_as: Instrument | None = None
    ratio: float = 1.0

    @property
    def cross_border(self) -> bool:
        return self.deliver_as is not None


@dataclass(frozen=True, slots=True)
class Trade:
    """One execution as recorded in the trades table (prices per lot)."""

    trade_id: int
    day: int
    market: str
    instrument: str
    kind: str
    buyer: str
    seller: str
    buyer_region: str
    seller_region: str
    lots: int
    price_ticks: int
    price_fen: int
    value_fen: int
    fee_fen: int
    cross_border: bool
    delivered_units: int


@dataclass(frozen=True, slots=True)
class Ack:
    """What an order got: its id, the fills it made at once and the lots left resting."""

    order_id: int
    fills: tuple[Fill, ...]
    resting_lots: int


@dataclass(frozen=True, slots=True)
class Bar:
    """A market's day. ``close_ticks`` is the VWAP of the day's listed trades, which becomes
    the next day's reference price (block trades do not count)."""

    day: int
    market: str
    instrument: str
    open_ticks: int | None
    high_ticks: int | None
    low_ticks: int | None
    close_ticks: int | None
    reference_ticks: int
    volume_lots: int
    value_fen: int
    trades: int
    block_lots: int
    cross_border_lots: int
    best_bid_ticks: int | None
    best_ask_ticks: int | None


@dataclass(slots=True)
class _Open:
    """Reservation behind one open order."""

    owner: str
    side: Side
    price_ticks: int
    locked: int  # fen for a buy, units for a sell
    cross_border: bool
    quota_lots: int  # cross-border quota held by a buy order


@dataclass(slots=True)
class _Day:
    prices: list[tuple[int, int]] = field(default_factory=list)  # listed (price, lots)
    value_fen: int = 0
    trades: int = 0
    block_lots: int = 0
    cross_border_lots: int = 0


class Market:
    """One instrument's order book with rules, reservations and settlement."""

    def __init__(self, market_id: str, instrument: Instrument, registry: Registry, *,
                 rules: TradingRules, access: dict[str, Access], reference_ticks: int,
                 fee_account: str = "exchange", order_ids: itertools.count[int] | None = None,
                 cross_border_quota_lots: int | None = None) -> None:
        self.market_id = market_id
        self.instrument = instrument
        self.rules = rules
        self.access = access
        self.reference_ticks = reference_ticks
        self.book = OrderBook()
        self.phase: Phase = "closed"
        self.trades: list[Trade] = []
        self.quota_lots = cross_border_quota_lots
        self.quota_left = cross_border_quota_lots
        self._registry = registry
        self._fee_account = fee_account
        self._ids = order_ids if order_ids is not None else itertools.count(1)
        self._open: dict[int, _Open] = {}
        self._by_owner: dict[str, set[int]] = {}
        self._regions: dict[str, str | None] = {}  # registry regions, which never change
        self._pending: list[tuple[int, Trade, int]] = []  # (settle_day, trade, buyer_fee)
        self._day = _Day()

    # ---- phases --------------------------------------------------------------------------

    def begin_day(self) -> None:
        """Start a new day's statistics (the venue calls this before the first phase)."""
        self._day = _Day()

    def open_call(self) -> None:
        """Enter the call phase: orders rest unmatched until :meth:`open_continuous`."""
        self.phase = "call"
        self.book.in_call_phase = True

    def open_continuous(self, day: int = 0) -> list[Trade]:
        """Uncross any call auction and switch to continuous trading; return auction trades."""
        trades: list[Trade] = []
        if self.book.in_call_phase:
            result = self.book.uncross(self.reference_ticks)
            trades = self._apply(result.fills, "auction", day)
            for order_id in result.cancelled:
                self._finish(order_id)
            # Every resting order is open, so equal counts mean nothing is left to forget.
            if len(self._open) != len(self.book):
                for order_id in [o for o in self._open if o not in self.book]:
                    self._finish(order_id)
        self.phase = "continuous"
        return trades

    def run_primary_auction(self, reserve_ticks: int,
                            day: int = 0) -> tuple[int | None, list[Trade]]:
        """Uncross the call book as a primary auction and cancel what did not sell or buy.

        The regulator's reserve is its ask price, so nothing sells below it.
        Returns the clearing price (None if nothing traded) and the trades.
        """
        result = self.book.uncross(reserve_ticks)
        trades = self._apply(result.fills, "primary", day)
        for order_id in list(self._open):
            if order_id in self.book:
                self.book.cancel(order_id)
            self._finish(order_id)
        self.phase = "closed"
        return result.price_ticks, trades

    def close_day(self, day: int) -> Bar:
        """Roll the reference price, expire day orders, settle what is due, return the bar.

        The close is the VWAP of the day's listed trades. A day without trades closes at the
        reference moved to the best bid if buyers stood above it, or to the best ask if
        sellers stood below it (the settlement-price rule futures exchanges use for untraded
        days), so that a market stuck at the edge of its band can move [L].
        """
        d = self._day
        best_bid, best_ask = self.book.best_bid(), self.book.best_ask()
        listed = sum(q for _, q in d.prices)
        close = (round(sum(p * q for p, q in d.prices) / listed) if listed else None)
        if close is not None:
            self.reference_ticks = close
        elif self.book.in_call_phase:  # quotes are not prices before the auction uncrosses
            pass
        elif best_bid is not None and best_bid > self.reference_ticks:
            self.reference_ticks = best_bid
        elif best_ask is not None and best_ask < self.reference_ticks:
            self.reference_ticks = best_ask
        for order_id, _ in self.book.expire_day_orders():
            self._finish(order_id)
        self.settle_due(day)
        bar = Bar(day, self.market_id, self.instrument.symbol,
                  d.prices[0][0] if d.prices else None,
                  max(p for p, _ in d.prices) if d.prices else None,
                  min(p for p, _ in d.prices) if d.prices else None,
                  close, self.reference_ticks, listed + d.block_lots, d.value_fen, d.trades,
                  d.block_lots, d.cross_border_lots, best_bid, best_ask)
        self.phase = "closed"
        self._day = _Day()
        return bar

    def pause(self) -> None:
        """Stop accepting orders (a break between sessions); resting orders stay."""
        self.phase = "closed"

    def reset_quota(self) -> None:
        """Restore the yearly cross-border quota (called at the start of each year)."""
        self.quota_left = self.quota_lots
        if self.quota_left is not None:
            # Open GTC buys keep what they hold and give it back when they finish.
            self.quota_left -= sum(o.quota_lots for o in self._open.values())

    # ---- orders --------------------------------------------------------------------------

    @property
    def reference_ticks(self) -> int:
        """The price today's band is centred on: the previous close."""
        return self._reference_ticks

    @reference_ticks.setter
    def reference_ticks(self, ticks: int) -> None:
        self._reference_ticks = ticks
        self._band = _band(ticks, self.rules.band)  # read on every order: computed once

    def band(self) -> tuple[int, int] | None:
        """Lowest and highest admissible limit price today, in ticks; None when unbounded."""
        return self._band

    def submit(self, owner: str, side: Side, lots: int, price_ticks: int | None = None,
               tif: TimeInForce = TimeInForce.DAY, *, day: int = 0) -> Ack:
        """Check, reserve, match. Returns the ack; fills settle now or after the lag.

        Raises:
            OrderRejected: with reason ``market_closed``, ``bad_lots``, ``too_large``,
                ``bad_price``, ``outside_band``, ``not_eligible``, ``quota_exhausted``,
                ``self_trade``, ``insufficient_cash`` or ``insufficient_units``.
        """
        if self.phase == "closed":
            raise OrderRejected("market_closed", f"{self.market_id} is not in a session")
        access = self._check_order(owner, side, lots, price_ticks)
        worst = price_ticks if price_ticks is not None else self._worst_price(side, None)
        order_id = next(self._ids)
        self._reserve(order_id, owner, side, lots, worst, access)
        book_price = price_ticks
        if price_ticks is None and self.phase == "continuous":
            # A market order trades no further than the price it reserved for: GTC orders
            # from earlier days may rest outside today's band.
            book_price, tif = worst, TimeInForce.IOC
        try:
            fills = self.book.submit(_make_order(order_id, owner, side, lots, book_price, tif))
        except OrderRejected:
            self._finish(order_id)
            raise
        if fills:
            self._apply(fills, "continuous", day)
        resting = self.book.resting_or_zero(order_id)
        if not resting:
            self._finish(order_id)  # an IOC remainder, or nothing left
        return _make_ack(order_id, tuple(fills), resting)

    def cancel(self, owner: str, order_id: int) -> int:
        """Cancel a resting order of ``owner``; return the lots it had left.

        Raises:
            UnknownOrder: not resting, or not this owner's.
        """
        state = self._open.get(order_id)
        if state is None or state.owner != owner:
            raise UnknownOrder(f"order {order_id} is not an open order of {owner}")
        left = self.book.cancel(order_id)
        self._finish(order_id)
        return left

    def cancel_all(self, owner: str) -> int:
        """Cancel every open order of ``owner``; return how many were cancelled."""
        ids = list(self._by_owner.get(owner, ()))
        for order_id in ids:
            self.cancel(owner, order_id)
        return len(ids)

    def open_orders(self, owner: str) -> list[tuple[int, Side, int, int]]:
        """``(order_id, side, price_ticks, lots_left)`` of an owner's resting orders."""
        ids = self._by_owner.get(owner)
        if not ids:
            return []
        opened, resting = self._open, self.book.resting
        return [(oid, opened[oid].side, opened[oid].price_ticks, resting(oid))
                for oid in sorted(ids)]

    def block_trade(self, buyer: str, seller: str, lots: int, price_ticks: int,
                    *, day: int = 0) -> Trade:
        """A negotiated block trade: at least the minimum size, within the wider band.

        Raises:
            OrderRejected: the same account on both sides, too small, outside the block band,
                not eligible, or short of cash or units.
        """
        if buyer == seller:
            raise OrderRejected("self_trade", f"{buyer} cannot trade a block with itself")
        if lots < self.rules.block_min_lots:
            raise OrderRejected("block_too_small",
                                f"block trades need at least {self.rules.block_min_lots} lots")
        band = _band(self.reference_ticks, self.rules.block_band)
        if band and not band[0] <= price_ticks <= band[1]:
            raise OrderRejected("outside_band", f"price {price_ticks} outside block band {band}")
        buy = self._eligible(buyer, Side.BUY, lots)
        sell = self._eligible(seller, Side.SELL, lots)
        buy_id, sell_id = next(self._ids), next(self._ids)
        self._reserve(buy_id, buyer, Side.BUY, lots, price_ticks, buy)
        try:
            self._reserve(sell_id, seller, Side.SELL, lots, price_ticks, sell)
        except OrderRejected:
            self._finish(buy_id)
            raise
        fill = Fill(buy_id, sell_id, buyer, seller, lots, price_ticks, None)
        (trade,) = self._apply([fill], "block", day)
        return trade

    # ---- settlement ----------------------------------------------------------------------

    def settle_due(self, day: int) -> int:
        """Settle every pending trade due on or before ``day``; return how many settled."""
        due = [p for p in self._pending if p[0] <= day]
        self._pending = [p for p in self._pending if p[0] > day]
        for _, trade, buyer_fee in due:
            self._settle(trade, buyer_fee)
        return len(due)

    @property
    def unsettled(self) -> int:
        return len(self._pending)

    def _apply(self, fills: list[Fill], kind: TradeKind, day: int = 0) -> list[Trade]:
        trades = []
        instrument, fee_bps = self.instrument, self.rules.fee_bps
        region_of = self._region_of
        for fill in fills:
            buy, sell = self._open[fill.buy_order_id], self._open[fill.sell_order_id]
            value = instrument.value_fen(fill.lots, fill.price_ticks)
            fee = value * fee_bps // 10_000
            units = fill.lots * instrument.lot_units
            buy.locked -= value + fee
            sell.locked -= units
            buy.quota_lots -= min(buy.quota_lots, fill.lots)
            buyer_region = region_of(fill.buyer) or ""
            buyer_access = self.access[buyer_region]
            # The epsilon keeps a product such as 100 * 0.29 from flooring a unit short.
            delivered = (int(units * buyer_access.ratio + 1e-9) if buyer_access.cross_border
                         else units)
            trade = _make_trade(len(self.trades) + 1, day, self.market_id, instrument.symbol,
                                kind, fill.buyer, fill.seller, buyer_region,
                                region_of(fill.seller) or "", fill.lots, fill.price_ticks,
                                fill.price_ticks * instrument.tick_fen, value, 2 * fee,
                                buy.cross_border, delivered)
            self.trades.append(trade)
            trades.append(trade)
            self._record(trade)
            lag = self.rules.settlement_lag_days if kind == "continuous" else 0
            if lag:
                self._pending.append((day + lag, trade, fee))
            else:
                self._settle(trade, fee)
        for fill in fills:  # only after all fills: one order may appear in several
            for order_id in (fill.buy_order_id, fill.sell_order_id):
                if order_id not in self.book:
                    self._finish(order_id)
        return trades

    def _settle(self, trade: Trade, buyer_fee: int) -> None:
        """Delivery versus payment, out of what the two orders reserved."""
        reg, instrument = self._registry, self.instrument
        units = trade.lots * instrument.lot_units
        seller_fee = trade.fee_fen - buyer_fee
        memo = f"{self.market_id}#{trade.trade_id}"
        reg.move("deliver", trade.seller, trade.buyer, instrument.symbol, units,
                 debit_bucket="locked", memo=memo)
        reg.move("pay", trade.buyer, trade.seller, CASH, trade.value_fen - seller_fee,
                 debit_bucket="locked", memo=memo)
        if trade.fee_fen:  # the registry ignores a zero move anyway
            reg.move("fee", trade.buyer, self._fee_account, CASH, trade.fee_fen,
                     debit_bucket="locked", memo=memo)
        if trade.cross_border:
            self._convert(trade, units, memo)

    def _convert(self, trade: Trade, units: int, memo: str) -> None:
        target = self.access[trade.buyer_region].deliver_as
        assert target is not None
        reg = self._registry
        reg.retire(trade.buyer, retirement_account(self.instrument.zone), self.instrument.symbol,
                   units, memo=f"convert {memo}")
        reg.issue(issuer_account(target.zone), trade.buyer, target.symbol,
                  trade.delivered_units, memo=f"convert {memo}")

    def _record(self, trade: Trade) -> None:
        d = self._day
        d.trades += 1
        d.value_fen += trade.value_fen
        if trade.kind == "block":
            d.block_lots += trade.lots
        elif trade.kind != "primary":
            d.prices.append((trade.price_ticks, trade.lots))
        if trade.cross_border:
            d.cross_border_lots += trade.lots

    # ---- checks and reservations ---------------------------------------------------------

    def _check_order(self, owner: str, side: Side, lots: int, price: int | None) -> Access:
        rules = self.rules
        if lots <= 0:
            raise OrderRejected("bad_lots", f"lots must be a positive whole number, got {lots}")
        if rules.max_order_lots is not None and lots > rules.max_order_lots:
            raise OrderRejected("too_large", f"{lots} lots exceed the listed maximum of "
                                f"{rules.max_order_lots}; use a block trade")
        if price is not None:
            if price <= 0:
                raise OrderRejected("bad_price", f"price must be positive, got {price}")
            band = self._band
            if band and not band[0] <= price <= band[1]:
                raise OrderRejected("outside_band", f"price {price} ticks outside today's band "
                                    f"{band[0]}-{band[1]}")
        access = self._eligible(owner, side, lots)
        for oid in self._by_owner.get(owner, ()):
            mine = self._open[oid]
            if mine.side is not side and (price is None or (
                    price >= mine.price_ticks if side is Side.BUY else price <= mine.price_ticks)):
                raise OrderRejected("self_trade", f"order would trade with {owner}'s own "
                                    f"order {oid}")
        return access

    def _eligible(self, owner: str, side: Side, lots: int) -> Access:
        region = self._region_of(owner)
        access = self.access.get(region or "")
        if access is None or not (access.may_buy if side is Side.BUY else access.may_sell):
            raise OrderRejected("not_eligible", f"{owner} ({region}) may not {side.value} in "
                                f"{self.market_id}")
        if side is Side.BUY and access.cross_border and self.quota_left is not None \
                and lots > self.quota_left:
            raise OrderRejected("quota_exhausted", f"cross-border quota has {self.quota_left} "
                                f"lots left this year, order asks {lots}")
        return access

    def _region_of(self, account: str) -> str | None:
        """The account's region in the registry, remembered: an account's region is fixed
        when it is opened."""
        try:
            return self._regions[account]
        except KeyError:
            region = self._regions[account] = self._registry.region_of(account)
            return region

    def _worst_price(self, side: Side, price: int | None) -> int:
        if price is not None:
            return price
        band = self.band()
        if side is Side.SELL:
            return band[0] if band else 1
        if band is None:
            raise OrderRejected("bad_price", "market buy orders need a price band to reserve "
                                "cash; send a limit order")
        if self.phase == "call":
            # The auction may clear at any resting limit price, including a GTC price left
            # outside today's band, so reserve for the highest one.
            return max(band[1], max((o.price_ticks for o in self._open.values()), default=0))
        return band[1]

    def _reserve(self, order_id: int, owner: str, side: Side, lots: int, price: int,
                 access: Access) -> None:
        reg = self._registry
        try:
            if side is Side.BUY:
                value = self.instrument.value_fen(lots, price)
                amount = value + value * self.rules.fee_bps // 10_000
                reg.lock(owner, CASH, amount, memo=f"order {order_id}")
            else:
                amount = lots * self.instrument.lot_units
                reg.lock(owner, self.instrument.symbol, amount, memo=f"order {order_id}")
        except InsufficientBalance as e:
            reason = "insufficient_cash" if side is Side.BUY else "insufficient_units"
            raise OrderRejected(reason, str(e)) from None
        quota = lots if side is Side.BUY and access.cross_border and self.quota_left is not None \
            else 0
        if quota:
            self.quota_left -= quota  # type: ignore[operator]
        self._open[order_id] = _Open(owner, side, price, amount, access.cross_border, quota)
        mine = self._by_owner.get(owner)
        if mine is None:
            mine = self._by_owner[owner] = set()
        mine.add(order_id)

    def _finish(self, order_id: int) -> None:
        """Forget a finished order: unlock what it still reserves, return unused quota."""
        state = self._open.pop(order_id, None)
        if state is None:
            return
        self._by_owner[state.owner].discard(order_id)
        if state.locked:
            asset = CASH if state.side is Side.BUY else self.instrument.symbol
            self._registry.unlock(state.owner, asset, state.locked, memo=f"order {order_id}")
        if state.quota_lots:
            self.quota_left += state.quota_lots  # type: ignore[operator]


# The order, ack and trade most submits make are built through drafts (see draft_class):
# their frozen dataclasses' own __init__ would cost more than the checks.


_OrderDraft = draft_class(Order)


def _make_order(order_id: int, owner: str, side: Side, lots: int, price_ticks: int | None,
                tif: TimeInForce) -> Order:
    order = _OrderDraft()
    order.order_id = order_id
    order.owner = owner
    order.side = side
    order.lots = lots
    order.price_ticks = price_ticks
    order.tif = tif
    order.__class__ = Order
    made: Order = order  # the draft is now an Order
    return made


_AckDraft = draft_class(Ack)


def _make_ack(order_id: int, fills: tuple[Fill, ...], resting_lots: int) -> Ack:
    ack = _AckDraft()
    ack.order_id = order_id
    ack.fills = fills
    ack.resting_lots = resting_lots
    ack.__class__ = Ack
    made: Ack = ack  # the draft is now an Ack
    return made


_TradeDraft = draft_class(Trade)


def _make_trade(trade_id: int, day: int, market: str, instrument: str, kind: str, buyer: str,
                seller: str, buyer_region: str, seller_region: str, lots: int,
                price_ticks: int, price_fen: int, value_fen: int, fee_fen: int,
                cross_border: bool, delivered_units: int) -> Trade:
    trade = _TradeDraft()
    trade.trade_id = trade_id
    trade.day = day
    trade.market = market
    trade.instrument = instrument
    trade.kind = kind
    trade.buyer = buyer
    trade.seller = seller
    trade.buyer_region = buyer_region
    trade.seller_region = seller_region
    trade.lots = lots
    trade.price_ticks = price_ticks
    trade.price_fen = price_fen
    trade.value_fen = value_fen
    trade.fee_fen = fee_fen
    trade.cross_border = cross_border
    trade.delivered_units = delivered_units
    trade.__class__ = Trade
    made: Trade = trade  # the draft is now a Trade
    return made


def _band(reference: int, width: float | None) -> tuple[int, int] | None:
    if width is None:
        return None
    low = max(1, int(reference * (1 - width) + 0.999999))
    return low, int(reference * (1 + width))


__all__ = ["Access", "Ack", "Bar", "Market", "Phase", "Trade", "TradingRules"]
