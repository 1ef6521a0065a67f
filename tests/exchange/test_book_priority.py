"""Order book edges: the lowest price, default depth, and the order of expiries."""

from __future__ import annotations

import pytest

from exchange import Order, OrderBook, Side, TimeInForce

BUY, SELL = Side.BUY, Side.SELL
DAY, GTC = TimeInForce.DAY, TimeInForce.GTC


def test_one_tick_is_a_valid_price() -> None:
    book = OrderBook()
    assert book.submit(Order(1, "a", SELL, 2, 1)) == []
    fills = book.submit(Order(2, "b", BUY, 2, 1))
    assert [(f.lots, f.price_ticks) for f in fills] == [(2, 1)]


def test_depth_shows_five_levels_unless_asked_for_more() -> None:
    book = OrderBook()
    for i, price in enumerate(range(95, 101), 1):  # six bid levels, 95 to 100, 1 lot each
        book.submit(Order(i, "a", BUY, 1, price))
    bids, asks = book.depth()
    assert bids == [(100, 1), (99, 1), (98, 1), (97, 1), (96, 1)]  # best five, best first
    assert asks == []
    assert book.depth(levels=6)[0][-1] == (95, 1)


def test_day_orders_expire_in_the_order_they_rested_even_when_an_id_returns() -> None:
    book = OrderBook()
    book.submit(Order(1, "a", BUY, 2, 90))
    book.submit(Order(2, "a", BUY, 3, 91))
    book.submit(Order(3, "a", BUY, 4, 92, GTC))
    book.cancel(1)
    book.submit(Order(1, "a", BUY, 5, 89))  # id 1 rests again, after order 2
    # Order 2 (3 lots) rested before the new order 1 (5 lots); the GTC order stays.
    assert book.expire_day_orders() == [(2, 3), (1, 5)]
    assert book.live_orders() == [(3, "a", BUY, 92, 4)]


def test_level_reopened_after_emptying_trades_at_its_price() -> None:
    book = OrderBook()
    book.submit(Order(1, "a", SELL, 2, 100))
    book.submit(Order(2, "b", BUY, 2, 100))  # empties the 100 level
    book.submit(Order(3, "a", SELL, 1, 101))
    book.submit(Order(4, "a", SELL, 3, 100))  # the 100 level opens again
    fills = book.submit(Order(5, "b", BUY, 4, 101))
    # Price first: 3 lots at 100 from order 4, then 1 lot at 101 from order 3.
    assert [(f.sell_order_id, f.lots, f.price_ticks) for f in fills] == [(4, 3, 100),
                                                                         (3, 1, 101)]
    assert len(book) == 0


def test_an_ioc_order_from_the_call_phase_does_not_rest_after_the_auction() -> None:
    book = OrderBook()
    book.in_call_phase = True
    book.submit(Order(1, "a", BUY, 5, 90, TimeInForce.IOC))
    book.submit(Order(2, "c", SELL, 5, 100))
    result = book.uncross(95)  # 90 < 100: nothing crosses
    assert result.lots == 0
    assert 1 not in book  # IOC: never rests
    assert 2 in book
