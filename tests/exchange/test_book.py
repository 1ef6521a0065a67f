"""OrderBook in continuous trading, checked against a slow, obviously correct reference."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange import Fill, Order, OrderBook, OrderRejected, Side, TimeInForce, UnknownOrder

BUY, SELL = Side.BUY, Side.SELL


# ---- the reference -----------------------------------------------------------------------


@dataclass
class _RefOrder:
    order_id: int
    owner: str
    side: Side
    price: int
    remaining: int
    seq: int
    tif: TimeInForce


class ReferenceBook:
    """A list of resting orders, sorted by (price, arrival) every time it is asked."""

    def __init__(self) -> None:
        self.resting: list[_RefOrder] = []
        self.seq = 0

    def queue(self, side: Side) -> list[_RefOrder]:
        """Resting orders of one side, best first: price, then arrival."""
        mine = [o for o in self.resting if o.side is side]
        if side is BUY:
            return sorted(mine, key=lambda o: (-o.price, o.seq))
        return sorted(mine, key=lambda o: (o.price, o.seq))

    def submit(self, order: Order) -> list[tuple]:
        fills = []
        left = order.lots
        for maker in self.queue(order.side.opposite):
            if not left:
                break
            limit = order.price_ticks
            if limit is not None and (maker.price > limit if order.side is BUY
                                      else maker.price < limit):
                break
            lots = min(left, maker.remaining)
            left -= lots
            maker.remaining -= lots
            if order.side is BUY:
                fills.append((order.order_id, maker.order_id, order.owner, maker.owner, lots,
                              maker.price, BUY))
            else:
                fills.append((maker.order_id, order.order_id, maker.owner, order.owner, lots,
                              maker.price, SELL))
        self.resting = [o for o in self.resting if o.remaining]
        if left and order.price_ticks is not None and order.tif is not TimeInForce.IOC:
            self.seq += 1
            self.resting.append(_RefOrder(order.order_id, order.owner, order.side,
                                          order.price_ticks, left, self.seq, order.tif))
        return fills

    def cancel(self, order_id: int) -> int | None:
        for o in self.resting:
            if o.order_id == order_id:
                self.resting.remove(o)
                return o.remaining
        return None

    def expire(self) -> list[tuple[int, int]]:
        gone = [(o.order_id, o.remaining) for o in self.resting if o.tif is TimeInForce.DAY]
        self.resting = [o for o in self.resting if o.tif is not TimeInForce.DAY]
        return gone

    def best(self, side: Side) -> int | None:
        queue = self.queue(side)
        return queue[0].price if queue else None

    def depth(self, side: Side) -> list[tuple[int, int]]:
        out: dict[int, int] = {}
        for o in self.queue(side):
            out[o.price] = out.get(o.price, 0) + o.remaining
        return list(out.items())


def as_tuple(fill: Fill) -> tuple:
    return (fill.buy_order_id, fill.sell_order_id, fill.buyer, fill.seller, fill.lots,
            fill.price_ticks, fill.aggressor)


# ---- properties --------------------------------------------------------------------------

sides = st.sampled_from([BUY, SELL])
owners = st.sampled_from(["ann", "bob", "cai"])
limit_op = st.tuples(st.just("limit"), sides, owners, st.integers(1, 12), st.integers(95, 105),
                     st.sampled_from([TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC]))
market_op = st.tuples(st.just("market"), sides, owners, st.integers(1, 30))
cancel_op = st.tuples(st.just("cancel"), st.integers(0, 1_000))
expire_op = st.tuples(st.just("expire"))
streams = st.lists(st.one_of(limit_op, limit_op, limit_op, market_op, cancel_op, cancel_op,
                             expire_op), max_size=120)


def check_priority(order: Order, fills: list[Fill]) -> None:
    """Fills walk the other side best price first and, within a price, oldest order first."""
    keys = []
    for fill in fills:
        assert type(fill) is Fill and fill == Fill(*as_tuple(fill))
        assert hash(fill) == hash(Fill(*as_tuple(fill)))
        assert fill.aggressor is order.side
        assert fill.lots > 0
        maker = fill.sell_order_id if order.side is BUY else fill.buy_order_id
        assert maker < order.order_id  # makers arrived earlier; ids follow arrival
        if order.price_ticks is not None:
            assert (fill.price_ticks <= order.price_ticks if order.side is BUY
                    else fill.price_ticks >= order.price_ticks)
        price_key = fill.price_ticks if order.side is BUY else -fill.price_ticks
        keys.append((price_key, maker))
    assert keys == sorted(keys)
    assert len({maker for _, maker in keys}) == len(keys)
    assert sum(f.lots for f in fills) <= order.lots


def check_same_state(book: OrderBook, ref: ReferenceBook) -> None:
    best_bid, best_ask = book.best_bid(), book.best_ask()
    assert best_bid == ref.best(BUY)
    assert best_ask == ref.best(SELL)
    if best_bid is not None and best_ask is not None:
        assert best_bid < best_ask
    bids, asks = book.depth(levels=1_000)
    assert bids == ref.depth(BUY)
    assert asks == ref.depth(SELL)
    assert book.depth(levels=2) == (ref.depth(BUY)[:2], ref.depth(SELL)[:2])
    assert len(book) == len(ref.resting)
    assert sorted(book.live_orders()) == sorted(
        (o.order_id, o.owner, o.side, o.price, o.remaining) for o in ref.resting)
    for o in ref.resting:
        assert o.order_id in book
        assert book.resting(o.order_id) == o.remaining


@settings(max_examples=400)
@given(streams)
def test_book_matches_reference(stream: list[tuple]) -> None:
    book, ref = OrderBook(), ReferenceBook()
    next_id = 1
    for op in stream:
        match op:
            case ("limit", side, owner, lots, price, tif):
                order = Order(next_id, owner, side, lots, price, tif)
            case ("market", side, owner, lots):
                order = Order(next_id, owner, side, lots, None, TimeInForce.IOC)
            case ("cancel", pick):
                order = None
                order_id = pick % next_id + 1  # sometimes unknown or gone already
                expected = ref.cancel(order_id)
                if expected is None:
                    with pytest.raises(UnknownOrder):
                        book.cancel(order_id)
                else:
                    assert book.cancel(order_id) == expected
                    assert order_id not in book
            case ("expire",):
                order = None
                assert sorted(book.expire_day_orders()) == sorted(ref.expire())
        if order is not None:
            next_id += 1
            fills = book.submit(order)
            assert [as_tuple(f) for f in fills] == ref.submit(order)
            check_priority(order, fills)
        check_same_state(book, ref)


@given(streams)
def test_traded_lots_are_conserved(stream: list[tuple]) -> None:
    """What rests plus what traded twice plus what was cancelled is what came in."""
    book = OrderBook()
    submitted = traded = removed = 0
    for order_id, op in enumerate(stream, start=1):
        match op:
            case ("limit", side, owner, lots, price, tif):
                order = Order(order_id, owner, side, lots, price, tif)
            case ("market", side, owner, lots):
                order = Order(order_id, owner, side, lots, None, TimeInForce.IOC)
            case ("cancel", pick):
                live = sorted(book.live_orders())
                if live:
                    removed += book.cancel(live[pick % len(live)][0])
                continue
            case _:
                removed += sum(lots for _, lots in book.expire_day_orders())
                continue
        submitted += order.lots
        fills = book.submit(order)
        filled = sum(f.lots for f in fills)
        traded += filled
        left = order.lots - filled
        if left and (order.is_market or order.tif is TimeInForce.IOC):
            removed += left
            assert order_id not in book
    resting = sum(row[4] for row in book.live_orders())
    assert submitted == 2 * traded + resting + removed


# ---- worked examples ---------------------------------------------------------------------


def test_price_then_time_priority() -> None:
    book = OrderBook()
    book.submit(Order(1, "a", SELL, 5, 101))
    book.submit(Order(2, "b", SELL, 5, 100))
    book.submit(Order(3, "c", SELL, 5, 100))
    fills = book.submit(Order(4, "d", BUY, 12, 101))
    assert [(f.sell_order_id, f.lots, f.price_ticks) for f in fills] == [
        (2, 5, 100), (3, 5, 100), (1, 2, 101)]
    assert book.resting(1) == 3
    assert book.depth() == ([], [(101, 3)])


def test_partial_fill_rests_remainder_at_limit() -> None:
    book = OrderBook()
    book.submit(Order(1, "a", BUY, 4, 99))
    fills = book.submit(Order(2, "b", SELL, 10, 98))
    assert [(f.buy_order_id, f.lots, f.price_ticks, f.aggressor) for f in fills] == [
        (1, 4, 99, SELL)]
    assert book.best_ask() == 98 and book.best_bid() is None
    assert book.resting(2) == 6
    assert 1 not in book


def test_market_and_ioc_orders_never_rest() -> None:
    book = OrderBook()
    book.submit(Order(1, "a", SELL, 3, 100))
    assert [f.lots for f in book.submit(Order(2, "b", BUY, 10))] == [3]
    assert 2 not in book
    assert book.submit(Order(3, "b", BUY, 10)) == []
    assert book.submit(Order(4, "b", BUY, 10, 100, TimeInForce.IOC)) == []
    assert len(book) == 0


def test_cancelled_order_is_skipped_and_level_emptied() -> None:
    book = OrderBook()
    book.submit(Order(1, "a", SELL, 3, 100))
    book.submit(Order(2, "a", SELL, 3, 100))
    assert book.cancel(1) == 3
    assert book.depth() == ([], [(100, 3)])
    assert [f.sell_order_id for f in book.submit(Order(3, "b", BUY, 5, 100))] == [2]
    assert book.cancel(3) == 2
    assert book.best_ask() is None and book.best_bid() is None
    with pytest.raises(UnknownOrder):
        book.cancel(1)
    with pytest.raises(UnknownOrder):
        book.resting(2)


def test_expire_keeps_gtc_orders() -> None:
    book = OrderBook()
    book.submit(Order(1, "a", BUY, 2, 90, TimeInForce.DAY))
    book.submit(Order(2, "a", BUY, 3, 91, TimeInForce.GTC))
    assert book.expire_day_orders() == [(1, 2)]
    assert book.depth() == ([(91, 3)], [])


@pytest.mark.parametrize(("order", "reason"), [
    (Order(1, "a", BUY, 0, 100), "bad_lots"),
    (Order(1, "a", SELL, -2, 100), "bad_lots"),
    (Order(1, "a", BUY, 1, 0), "bad_price"),
    (Order(1, "a", SELL, 1, -5), "bad_price"),
])
def test_rejects_bad_orders(order: Order, reason: str) -> None:
    book = OrderBook()
    with pytest.raises(OrderRejected) as info:
        book.submit(order)
    assert info.value.reason == reason
    assert len(book) == 0


def test_rejects_duplicate_resting_id() -> None:
    book = OrderBook()
    book.submit(Order(1, "a", BUY, 1, 100))
    with pytest.raises(OrderRejected) as info:
        book.submit(Order(1, "a", BUY, 1, 101))
    assert info.value.reason == "duplicate_id"
    assert book.depth() == ([(100, 1)], [])
