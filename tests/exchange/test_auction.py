"""The uniform-price call auction (OrderBook.uncross): worked cases and a brute-force check."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange import Order, OrderBook, Side, TimeInForce

BUY, SELL = Side.BUY, Side.SELL


def call_book(*orders: Order) -> OrderBook:
    """A book in the call phase holding ``orders``; none of them may trade on entry."""
    book = OrderBook()
    book.in_call_phase = True
    for order in orders:
        assert book.submit(order) == []
    return book


def fills_of(result) -> list[tuple[int, int, int, int]]:
    return [(f.buy_order_id, f.sell_order_id, f.lots, f.price_ticks) for f in result.fills]


# ---- worked cases ------------------------------------------------------------------------


def test_price_maximises_executable_volume() -> None:
    # demand at 99/100/101/102: 10 10 6 0; supply: 3 8 8 12; volume: 3 8 6 0.
    book = call_book(Order(1, "b1", BUY, 6, 101), Order(2, "b2", BUY, 4, 100),
                     Order(3, "s1", SELL, 3, 99), Order(4, "s2", SELL, 5, 100),
                     Order(5, "s3", SELL, 4, 102))
    result = book.uncross(reference_ticks=102)
    assert (result.price_ticks, result.lots) == (100, 8)
    assert fills_of(result) == [(1, 3, 3, 100), (1, 4, 3, 100), (2, 4, 2, 100)]
    assert all(f.aggressor is None for f in result.fills)
    assert result.fills[0].buyer == "b1" and result.fills[0].seller == "s1"
    assert result.cancelled == []
    assert not book.in_call_phase
    assert book.depth() == ([(100, 2)], [(102, 4)])


def test_volume_tie_broken_by_smallest_imbalance_before_reference() -> None:
    # volume 10 at 100 and at 101; imbalance 0 at 100, 5 at 101. The reference favours 101.
    book = call_book(Order(1, "b", BUY, 10, 101), Order(2, "s", SELL, 10, 100),
                     Order(3, "t", SELL, 5, 101))
    result = book.uncross(reference_ticks=101)
    assert (result.price_ticks, result.lots) == (100, 10)
    assert book.depth() == ([], [(101, 5)])


@pytest.mark.parametrize(("reference", "price"), [(101, 100), (102, 103), (None, 100)])
def test_then_by_distance_to_reference_then_lower_price(reference: int | None,
                                                        price: int) -> None:
    # volume 10 and imbalance 0 at both 100 and 103.
    book = call_book(Order(1, "b", BUY, 10, 103), Order(2, "s", SELL, 10, 100))
    result = book.uncross(reference)
    assert (result.price_ticks, result.lots) == (price, 10)
    assert fills_of(result) == [(1, 2, 10, price)]


def test_equal_distance_takes_the_lower_price() -> None:
    book = call_book(Order(1, "b", BUY, 10, 104), Order(2, "s", SELL, 10, 100))
    assert book.uncross(reference_ticks=102).price_ticks == 100


def test_market_orders_take_part_ahead_of_limits() -> None:
    # demand at 100/101/102: 7 7 5 (5 at market); supply: 3 3 7; volume: 3 3 5.
    book = call_book(Order(1, "m", BUY, 5), Order(2, "b", BUY, 2, 101),
                     Order(3, "s", SELL, 3, 100), Order(4, "t", SELL, 4, 102))
    assert book.depth() == ([(101, 2)], [(100, 3), (102, 4)])  # the market order has no level
    result = book.uncross(reference_ticks=100)
    assert (result.price_ticks, result.lots) == (102, 5)
    assert fills_of(result) == [(1, 3, 3, 102), (1, 4, 2, 102)]
    assert result.cancelled == []
    assert book.depth() == ([(101, 2)], [(102, 2)])


def test_unfilled_market_orders_are_cancelled() -> None:
    book = call_book(Order(1, "m", BUY, 10), Order(2, "s", SELL, 4, 100),
                     Order(3, "n", SELL, 5), Order(4, "b", BUY, 2, 99))
    result = book.uncross(reference_ticks=100)
    # demand at 99/100: 12 10; supply: 5 9; volume: 5 9.
    assert (result.price_ticks, result.lots) == (100, 9)
    assert fills_of(result) == [(1, 3, 5, 100), (1, 2, 4, 100)]
    assert result.cancelled == [1]
    assert 1 not in book and 3 not in book
    assert book.depth() == ([(99, 2)], [])
    assert book.best_bid() == 99 and book.best_ask() is None


def test_only_market_orders_clear_at_the_reference() -> None:
    book = call_book(Order(1, "m", BUY, 5), Order(2, "n", SELL, 3))
    result = book.uncross(reference_ticks=250)
    assert (result.price_ticks, result.lots) == (250, 3)
    assert fills_of(result) == [(1, 2, 3, 250)]
    assert result.cancelled == [1]
    assert len(book) == 0


def test_only_market_orders_without_reference_do_not_trade() -> None:
    book = call_book(Order(1, "m", BUY, 5), Order(2, "n", SELL, 3))
    result = book.uncross()
    assert (result.price_ticks, result.lots, result.fills) == (None, 0, [])
    assert sorted(result.cancelled) == [1, 2]
    assert len(book) == 0


def test_price_time_allocation_at_the_uniform_price() -> None:
    # volume 8 at 100 and 101, imbalance 7 at both; no reference, so the lower price.
    book = call_book(Order(1, "early", BUY, 5, 101), Order(2, "late", BUY, 5, 101),
                     Order(3, "high", BUY, 5, 102), Order(4, "s", SELL, 8, 100))
    result = book.uncross()
    assert (result.price_ticks, result.lots) == (100, 8)
    assert fills_of(result) == [(3, 4, 5, 100), (1, 4, 3, 100)]
    assert book.resting(1) == 2 and book.resting(2) == 5
    assert 3 not in book and 4 not in book


def test_no_cross_returns_no_price_and_keeps_the_book() -> None:
    book = call_book(Order(1, "b", BUY, 5, 99), Order(2, "s", SELL, 5, 100))
    result = book.uncross(reference_ticks=100)
    assert (result.price_ticks, result.lots, result.fills, result.cancelled) == (None, 0, [], [])
    assert book.depth() == ([(99, 5)], [(100, 5)])
    assert not book.in_call_phase
    assert OrderBook().uncross(100).price_ticks is None


def test_continuous_trading_resumes_after_uncross() -> None:
    book = call_book(Order(1, "b", BUY, 5, 101), Order(2, "s", SELL, 3, 100))
    book.uncross()
    fills = book.submit(Order(3, "t", SELL, 1, 101))
    assert [(f.buy_order_id, f.lots, f.price_ticks, f.aggressor) for f in fills] == [
        (1, 1, 101, SELL)]


# ---- brute force -------------------------------------------------------------------------

call_orders = st.lists(st.tuples(st.sampled_from([BUY, SELL]), st.integers(1, 10),
                                 st.one_of(st.none(), st.integers(96, 104),
                                           st.integers(96, 104))), max_size=30)


def demand_supply(orders: list[Order], price: int) -> tuple[int, int]:
    demand = sum(o.lots for o in orders if o.side is BUY
                 and (o.price_ticks is None or o.price_ticks >= price))
    supply = sum(o.lots for o in orders if o.side is SELL
                 and (o.price_ticks is None or o.price_ticks <= price))
    return demand, supply


def expected_price(orders: list[Order], reference: int | None) -> tuple[int | None, int]:
    candidates = sorted({o.price_ticks for o in orders if o.price_ticks is not None})
    if not candidates and reference is not None:
        candidates = [reference]
    keyed = []
    for price in candidates:
        demand, supply = demand_supply(orders, price)
        if min(demand, supply):
            distance = abs(price - reference) if reference is not None else 0
            keyed.append((-min(demand, supply), abs(demand - supply), distance, price))
    if not keyed:
        return None, 0
    best = min(keyed)
    return best[3], -best[0]


def priority(orders: list[Order], side: Side) -> list[Order]:
    """Market orders first, then best price, then arrival (ids follow arrival)."""
    mine = [o for o in orders if o.side is side]
    sign = -1 if side is BUY else 1
    return sorted(mine, key=lambda o: (o.price_ticks is not None,
                                       sign * (o.price_ticks or 0), o.order_id))


@settings(max_examples=300)
@given(call_orders, st.one_of(st.none(), st.integers(90, 110)))
def test_uncross_matches_brute_force(raw: list[tuple], reference: int | None) -> None:
    orders = [Order(i, f"o{i}", side, lots, price, TimeInForce.GTC)
              for i, (side, lots, price) in enumerate(raw, start=1)]
    book = call_book(*orders)
    result = book.uncross(reference)
    price, volume = expected_price(orders, reference)
    assert (result.price_ticks, result.lots) == (price, volume)
    if price is not None and any(o.price_ticks is not None for o in orders):
        for other in range(94, 107):  # no integer price executes more
            assert min(demand_supply(orders, other)) <= volume

    left = {o.order_id: o.lots for o in orders}
    expected = []
    bids, asks = priority(orders, BUY), priority(orders, SELL)
    to_fill = volume
    while to_fill:
        bid = next(o for o in bids if left[o.order_id])
        ask = next(o for o in asks if left[o.order_id])
        lots = min(to_fill, left[bid.order_id], left[ask.order_id])
        expected.append((bid.order_id, ask.order_id, lots, price))
        left[bid.order_id] -= lots
        left[ask.order_id] -= lots
        to_fill -= lots
    assert fills_of(result) == expected
    assert all(f.aggressor is None for f in result.fills)

    markets = {o.order_id for o in orders if o.price_ticks is None}
    assert sorted(result.cancelled) == sorted(i for i in markets if left[i])
    assert sorted(book.live_orders()) == sorted(
        (o.order_id, o.owner, o.side, o.price_ticks, left[o.order_id])
        for o in orders if left[o.order_id] and o.order_id not in markets)
    best_bid, best_ask = book.best_bid(), book.best_ask()
    if best_bid is not None and best_ask is not None:
        assert best_bid < best_ask
