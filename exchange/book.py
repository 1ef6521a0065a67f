"""A limit order book with price-time priority and a uniform-price call auction.

Pure: no clock, no randomness, no I/O, no registry. The book only knows lots and ticks; who
may trade and at what price band is the business of :mod:`exchange.market`.

Layout, chosen for speed: per side a dict ``price -> deque`` of resting entries plus a heap of
prices. Cancels are lazy (the entry's remainder is zeroed and skipped when reached), and a
price stays in the heap until it reaches the top with no live level behind it. DAY orders and
call-phase market orders are also noted by id when they rest, so that the close and the
auction find them without scanning every resting order.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass

from exchange.orders import (Fill, Order, OrderRejected, Side, TimeInForce, UnknownOrder,
                             check_enums, draft_class, whole_number)

# Market orders waiting for a call auction rest at these sentinel prices, so they sort ahead
# of every limit and are executable at any clearing price.
_MARKET_BID = 1 << 62
_MARKET_ASK = -1
# Enum members read on every order: module constants are cheaper than class attributes.
_BUY = Side.BUY
_SELL = Side.SELL
_IOC = TimeInForce.IOC
_DAY = TimeInForce.DAY
_GTC = TimeInForce.GTC


_FillDraft = draft_class(Fill)


def _make_fill(buy_order_id: int, sell_order_id: int, buyer: str, seller: str, lots: int,
               price_ticks: int, aggressor: Side) -> Fill:
    fill = _FillDraft()
    fill.buy_order_id = buy_order_id
    fill.sell_order_id = sell_order_id
    fill.buyer = buyer
    fill.seller = seller
    fill.lots = lots
    fill.price_ticks = price_ticks
    fill.aggressor = aggressor
    fill.__class__ = Fill
    made: Fill = fill  # the draft is now a Fill
    return made


def _note(noted: dict[int, _Resting], entry: _Resting) -> None:
    """Add a resting entry last to ``noted`` (an id used again moves to the end)."""
    noted.pop(entry.order_id, None)
    noted[entry.order_id] = entry


class _Resting:
    """A resting order's mutable remainder. ``remaining == 0`` marks it dead."""

    __slots__ = ("order_id", "owner", "remaining", "price", "side", "tif")

    def __init__(self, order: Order, lots: int, price: int) -> None:
        self.order_id = order.order_id
        self.owner = order.owner
        self.remaining = lots
        self.price = price
        self.side = order.side
        self.tif = order.tif


@dataclass(frozen=True, slots=True)
class AuctionResult:
    """Outcome of :meth:`OrderBook.uncross`.

    ``price_ticks`` is None when nothing could execute. ``cancelled`` lists market and IOC
    orders left unfilled, which cannot rest in continuous trading.
    """

    price_ticks: int | None
    lots: int
    fills: list[Fill]
    cancelled: list[int]


class OrderBook:
    """One instrument's book, price-time priority, continuous or call phase."""

    def __init__(self) -> None:
        self._bids: dict[int, deque[_Resting]] = {}
        self._asks: dict[int, deque[_Resting]] = {}
        self._bid_heap: list[int] = []  # negated prices
        self._ask_heap: list[int] = []
        self._live: dict[int, _Resting] = {}
        # DAY orders, and call-phase market and IOC orders, by id in resting order; some
        # may have left the book since (they are skipped when read).
        self._day_orders: dict[int, _Resting] = {}
        self._auction_only: dict[int, _Resting] = {}
        self.in_call_phase = False

    # ---- queries -------------------------------------------------------------------------

    def best_bid(self) -> int | None:
        """Highest live bid price in ticks, or None."""
        heap, levels = self._bid_heap, self._bids
        while heap:
            level = levels.get(-heap[0])
            if level is not None and self._trim(level):
                return -heap[0]
            self._drop_top(heap, levels, -heap[0])
        return None

    def best_ask(self) -> int | None:
        """Lowest live ask price in ticks, or None."""
        heap, levels = self._ask_heap, self._asks
        while heap:
            level = levels.get(heap[0])
            if level is not None and self._trim(level):
                return heap[0]
            self._drop_top(heap, levels, heap[0])
        return None

    def depth(self, levels: int = 5) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Aggregated ``(price_ticks, lots)`` per level, best first, for bids and asks."""
        return (self._side_depth(self._bids, reverse=True, wanted=levels),
                self._side_depth(self._asks, reverse=False, wanted=levels))

    def resting(self, order_id: int) -> int:
        """Lots still resting for ``order_id``; raises UnknownOrder if it is not live."""
        entry = self._live.get(order_id)
        if entry is None:
            raise UnknownOrder(f"order {order_id} is not resting")
        return entry.remaining

    def resting_or_zero(self, order_id: int) -> int:
        """Lots still resting for ``order_id``; 0 if it is not live."""
        entry = self._live.get(order_id)
        return entry.remaining if entry is not None else 0

    def __contains__(self, order_id: int) -> bool:
        return order_id in self._live

    def __len__(self) -> int:
        return len(self._live)

    def live_orders(self) -> list[tuple[int, str, Side, int, int]]:
        """``(order_id, owner, side, price_ticks, remaining_lots)`` of every resting order."""
        return [(e.order_id, e.owner, e.side, e.price, e.remaining) for e in self._live.values()]

    # ---- commands ------------------------------------------------------------------------

    def submit(self, order: Order) -> list[Fill]:
        """Match ``order`` against the other side, rest any limit remainder, return the fills.

        In the call phase nothing matches: the order rests until :meth:`uncross`.

        Raises:
            OrderRejected: lots or a price that are not whole numbers (``bad_lots``,
                ``bad_price``: floats, NaN, bools), a side or time in force that is not an
                enum member (``bad_side``, ``bad_tif``), non-positive lots or price, or a
                duplicate id. A market order that finds nothing to trade in continuous
                trading is *not* an error (it just returns no fills).
        """
        lots, price, side, tif = order.lots, order.price_ticks, order.side, order.tif
        # Identity and exact-type tests only: this runs for every order.
        if type(lots) is not int:
            lots = whole_number(lots, "bad_lots", "lots")
        if price is not None and type(price) is not int:
            price = whole_number(price, "bad_price", "price_ticks")
        if side is _BUY:
            buy = True
        elif side is _SELL:
            buy = False
        else:
            check_enums(side, tif)
        if tif is not _DAY and tif is not _GTC and tif is not _IOC:
            check_enums(side, tif)
        if lots <= 0:
            raise OrderRejected("bad_lots", f"lots must be positive, got {lots}")
        if price is not None and price <= 0:
            raise OrderRejected("bad_price", f"price must be positive, got {price}")
        if order.order_id in self._live:
            raise OrderRejected("duplicate_id", f"order {order.order_id} is already resting")
        fills: list[Fill] = []
        if self.in_call_phase:
            price = self._call_price(order)
        else:
            # Most limit orders do not cross: look at the top of the other side first. A
            # stale top (a level emptied by cancels) only sends us to the matching loop.
            if buy:
                heap = self._ask_heap
                if heap and (price is None or heap[0] <= price):
                    fills, lots = self._match_buy(order)
            else:
                heap = self._bid_heap
                if heap and (price is None or -heap[0] >= price):
                    fills, lots = self._match_sell(order)
            if not lots or price is None or tif is _IOC:
                return fills
        # Rest the remainder (inline: this runs for most orders).
        entry = _Resting(order, lots, price)
        levels = self._bids if buy else self._asks
        level = levels.get(price)
        if level is None:
            levels[price] = level = deque()
            heapq.heappush(self._bid_heap if buy else self._ask_heap, -price if buy else price)
        level.append(entry)
        self._live[entry.order_id] = entry
        if tif is _DAY:
            _note(self._day_orders, entry)
        if price == _MARKET_BID or price == _MARKET_ASK or tif is _IOC:
            # only a call-phase order rests as IOC: it ends with the auction, like a market order
            _note(self._auction_only, entry)
        return fills

    def cancel(self, order_id: int) -> int:
        """Remove a resting order and return the lots it still had.

        Raises:
            UnknownOrder: the order is not resting (filled, cancelled or never seen).
        """
        entry = self._live.pop(order_id, None)
        if entry is None:
            raise UnknownOrder(f"order {order_id} is not resting")
        left, entry.remaining = entry.remaining, 0
        return left

    def expire_day_orders(self) -> list[tuple[int, int]]:
        """Cancel every DAY order; return ``(order_id, lots_left)`` for each."""
        gone = self._take_live(self._day_orders)
        for oid in gone:
            self.cancel(oid)
        return list(gone.items())

    def uncross(self, reference_ticks: int | None = None) -> AuctionResult:
        """Run the call auction on what rests and switch to continuous trading.

        The clearing price maximises executable volume. Ties are broken, in order, by the
        smallest imbalance between demand and supply at the price, then by the distance to
        ``reference_ticks`` (when given), then by the lower price. Executions follow price-time
        priority on both sides, all at the clearing price.
        """
        self.in_call_phase = False
        bid, ask = self.best_bid(), self.best_ask()
        if bid is None or ask is None or bid < ask:  # nothing crosses: skip the price search
            price, volume = None, 0
        else:
            price, volume = self._clearing_price(reference_ticks)
        fills: list[Fill] = []
        left = volume
        # While volume is left both sides rest and price is set: the ignores below stand for
        # that invariant, which the types cannot carry.
        while left:
            top_bid = self._bids[self.best_bid()][0]  # type: ignore[index]
            top_ask = self._asks[self.best_ask()][0]  # type: ignore[index]
            lots = min(left, top_bid.remaining, top_ask.remaining)
            fills.append(Fill(top_bid.order_id, top_ask.order_id, top_bid.owner, top_ask.owner,
                              lots, price, None))  # type: ignore[arg-type]
            left -= lots
            for entry in (top_bid, top_ask):
                entry.remaining -= lots
                if not entry.remaining:
                    del self._live[entry.order_id]
        cancelled = list(self._take_live(self._auction_only))
        for oid in cancelled:
            self.cancel(oid)
        return AuctionResult(price, volume, fills, cancelled)

    # ---- matching ------------------------------------------------------------------------

    def _match_buy(self, order: Order) -> tuple[list[Fill], int]:
        limit = _MARKET_BID if order.price_ticks is None else order.price_ticks
        left, fills = order.lots, []
        heap, levels, live = self._ask_heap, self._asks, self._live
        oid, owner, make_fill = order.order_id, order.owner, _make_fill
        while left and heap:
            price = heap[0]
            if price > limit:
                break
            level = levels.get(price)
            if level is None:
                heapq.heappop(heap)
                continue
            while left and level:
                maker = level[0]
                if not maker.remaining:
                    level.popleft()
                    continue
                lots = left if left < maker.remaining else maker.remaining
                fills.append(make_fill(oid, maker.order_id, owner, maker.owner, lots, price,
                                       _BUY))
                left -= lots
                maker.remaining -= lots
                if not maker.remaining:
                    level.popleft()
                    del live[maker.order_id]
            if not level:
                del levels[price]
                heapq.heappop(heap)
        return fills, left

    def _match_sell(self, order: Order) -> tuple[list[Fill], int]:
        limit = 0 if order.price_ticks is None else order.price_ticks
        left, fills = order.lots, []
        heap, levels, live = self._bid_heap, self._bids, self._live
        oid, owner, make_fill = order.order_id, order.owner, _make_fill
        while left and heap:
            price = -heap[0]
            if price < limit:
                break
            level = levels.get(price)
            if level is None:
                heapq.heappop(heap)
                continue
            while left and level:
                maker = level[0]
                if not maker.remaining:
                    level.popleft()
                    continue
                lots = left if left < maker.remaining else maker.remaining
                fills.append(make_fill(maker.order_id, oid, maker.owner, owner, lots, price,
                                       _SELL))
                left -= lots
                maker.remaining -= lots
                if not maker.remaining:
                    level.popleft()
                    del live[maker.order_id]
            if not level:
                del levels[price]
                heapq.heappop(heap)
        return fills, left

    # ---- internals -----------------------------------------------------------------------

    @staticmethod
    def _call_price(order: Order) -> int:
        if order.price_ticks is not None:
            return order.price_ticks
        return _MARKET_BID if order.side is _BUY else _MARKET_ASK

    def _take_live(self, noted: dict[int, _Resting]) -> dict[int, int]:
        """``order_id -> lots left`` of the noted orders still resting, in resting order;
        forget the notes."""
        live = self._live
        taken = {oid: entry.remaining for oid, entry in noted.items() if live.get(oid) is entry}
        noted.clear()
        return taken

    @staticmethod
    def _trim(level: deque[_Resting]) -> bool:
        """Drop dead entries at the head of a level; True if a live one remains."""
        while level and not level[0].remaining:
            level.popleft()
        return bool(level)

    @staticmethod
    def _drop_top(heap: list[int], levels: dict[int, deque[_Resting]], price: int) -> None:
        heapq.heappop(heap)
        level = levels.get(price)
        if level is not None and not level:
            del levels[price]

    @staticmethod
    def _side_depth(levels: dict[int, deque[_Resting]], *, reverse: bool,
                    wanted: int) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for price in sorted(levels, reverse=reverse):
            lots = sum(e.remaining for e in levels[price])
            if lots and price not in (_MARKET_BID, _MARKET_ASK):
                out.append((price, lots))
                if len(out) == wanted:
                    break
        return out

    def _clearing_price(self, reference: int | None) -> tuple[int | None, int]:
        """Price and volume of the call auction; O(n log n) via prefix sums."""
        bid_qty: dict[int, int] = {}
        ask_qty: dict[int, int] = {}
        for e in self._live.values():
            book = bid_qty if e.side is _BUY else ask_qty
            book[e.price] = book.get(e.price, 0) + e.remaining
        limits = sorted({p for p in (*bid_qty, *ask_qty) if p not in (_MARKET_BID, _MARKET_ASK)})
        if not limits and reference is not None:
            limits = [reference]
        # demand at p: bids priced >= p; supply at p: asks priced <= p.
        demand_at, supply_at = {}, {}
        running = bid_qty.get(_MARKET_BID, 0)
        for price in reversed(limits):
            running += bid_qty.get(price, 0)
            demand_at[price] = running
        running = ask_qty.get(_MARKET_ASK, 0)
        for price in limits:
            running += ask_qty.get(price, 0)
            supply_at[price] = running
        best: tuple[int, int, int, int] | None = None  # (-volume, imbalance, distance, price)
        for price in limits:
            demand, supply = demand_at[price], supply_at[price]
            volume = min(demand, supply)
            if not volume:
                continue
            distance = abs(price - reference) if reference is not None else 0
            key = (-volume, abs(demand - supply), distance, price)
            if best is None or key < best:
                best = key
        if best is None:
            return None, 0
        return best[3], -best[0]
