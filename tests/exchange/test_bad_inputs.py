"""Bad input to the exchange's Python API: refused with a reason, nothing changed.

Each case names a value the API used to take (a float or NaN price, ``lots=True``, the
string ``"buy"`` for a side, NaN in a registry move) and checks that it is refused with a
one-line error and that the book and the registry are exactly as before.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from exchange import (CASH, OUTSIDE, Access, ExchangeError, Market, Order, OrderBook,
                      OrderRejected, Product, Registry, Side, TimeInForce, TradingRules,
                      issuer_account)
from exchange import instrument as make_instrument

HOME = "changshou"
PRODUCT = Product("COD", "t", lot_units=1_000, tick_fen=100)


def resting_book() -> OrderBook:
    """A book with one bid at 90 and one ask at 110."""
    book = OrderBook()
    book.submit(Order(1, "a", Side.BUY, 5, 90))
    book.submit(Order(2, "b", Side.SELL, 5, 110))
    return book


def snapshot(book: OrderBook) -> tuple[object, ...]:
    return book.depth(), book.live_orders(), len(book)


BAD_ORDERS = {
    "float_lots": (dict(lots=1.5), "bad_lots"),
    "whole_float_lots": (dict(lots=2.0), "bad_lots"),
    "bool_lots": (dict(lots=True), "bad_lots"),
    "string_lots": (dict(lots="3"), "bad_lots"),
    "nan_lots": (dict(lots=math.nan), "bad_lots"),
    "float_price": (dict(price_ticks=100.5), "bad_price"),
    "nan_price": (dict(price_ticks=math.nan), "bad_price"),
    "inf_price": (dict(price_ticks=math.inf), "bad_price"),
    "bool_price": (dict(price_ticks=True), "bad_price"),
    "string_side": (dict(side="buy"), "bad_side"),
    "none_side": (dict(side=None), "bad_side"),
    "string_tif": (dict(tif="gtc"), "bad_tif"),
}


@pytest.mark.parametrize("name", BAD_ORDERS)
def test_book_refuses_bad_order(name: str) -> None:
    change, reason = BAD_ORDERS[name]
    book = resting_book()
    before = snapshot(book)
    fields = dict(order_id=3, owner="c", side=Side.BUY, lots=1, price_ticks=100,
                  tif=TimeInForce.GTC) | change
    with pytest.raises(OrderRejected) as info:
        book.submit(Order(**fields))
    assert info.value.reason == reason
    assert "\n" not in str(info.value)
    assert snapshot(book) == before
    assert book.best_bid() == 90 and book.best_ask() == 110


def test_nan_bid_does_not_cross_the_book() -> None:
    book = resting_book()
    with pytest.raises(OrderRejected):
        book.submit(Order(3, "c", Side.BUY, 1, math.nan))  # type: ignore[arg-type]
    assert book.best_bid() < book.best_ask()  # type: ignore[operator]


def test_numpy_integers_are_whole_numbers() -> None:
    book = resting_book()
    fills = book.submit(Order(3, "c", Side.BUY, np.int64(2), np.int64(110)))  # type: ignore
    assert [f.lots for f in fills] == [2]


def make_market() -> tuple[Market, Registry]:
    reg = Registry(lambda: 0)
    reg.open_account(issuer_account(HOME), may_go_negative=True)
    instr = make_instrument(PRODUCT, HOME, 2025, [HOME])
    for name in ("s", "b"):
        reg.open_account(name, HOME)
        reg.transfer(OUTSIDE, name, CASH, 10_000_000)
    reg.issue(issuer_account(HOME), "s", instr.symbol, 100_000)
    market = Market("COD@changshou", instr, reg, rules=TradingRules(block_min_lots=10),
                    access={HOME: Access()}, reference_ticks=100)
    market.open_continuous()
    return market, reg


def market_state(market: Market, reg: Registry) -> tuple[object, ...]:
    holdings = [reg.holding(a, asset) for a in ("s", "b")
                for asset in (CASH, market.instrument.symbol)]
    return holdings, len(reg.journal), market.book.depth()


BAD_MARKET_ORDERS = {
    "float_lots": (("b", Side.BUY, 1.5, 100), "bad_lots"),
    "bool_lots": (("b", Side.BUY, True, 100), "bad_lots"),
    "nan_price": (("b", Side.BUY, 1, math.nan), "bad_price"),
    "inf_price": (("s", Side.SELL, 1, math.inf), "bad_price"),
    "string_side_buy": (("b", "buy", 1, 100), "bad_side"),
    "string_side_sell": (("s", "sell", 1, 100), "bad_side"),
}


@pytest.mark.parametrize("name", BAD_MARKET_ORDERS)
def test_market_refuses_bad_order(name: str) -> None:
    args, reason = BAD_MARKET_ORDERS[name]
    market, reg = make_market()
    before = market_state(market, reg)
    with pytest.raises(OrderRejected) as info:
        market.submit(*args)
    assert info.value.reason == reason
    assert "\n" not in str(info.value)
    assert market_state(market, reg) == before


def test_market_refuses_string_tif() -> None:
    market, reg = make_market()
    before = market_state(market, reg)
    with pytest.raises(OrderRejected) as info:
        market.submit("b", Side.BUY, 1, 100, "gtc")  # type: ignore[arg-type]
    assert info.value.reason == "bad_tif"
    assert market_state(market, reg) == before


@pytest.mark.parametrize("lots, price, reason", [(50.5, 100, "bad_lots"),
                                                 (50, math.nan, "bad_price"),
                                                 (50, 100.0, "bad_price")])
def test_block_trade_refuses_non_integers(lots: object, price: object, reason: str) -> None:
    market, reg = make_market()
    before = market_state(market, reg)
    with pytest.raises(OrderRejected) as info:
        market.block_trade("b", "s", lots, price)  # type: ignore[arg-type]
    assert info.value.reason == reason
    assert market_state(market, reg) == before


@pytest.mark.parametrize("amount", [math.nan, math.inf, 1.5, 2.0, True, "5"])
def test_registry_move_refuses_non_integers(amount: object) -> None:
    reg = Registry(lambda: 0)
    reg.open_account("a")
    reg.open_account("b")
    reg.transfer(OUTSIDE, "a", CASH, 10)
    with pytest.raises(ExchangeError) as info:
        reg.transfer("a", "b", CASH, amount)  # type: ignore[arg-type]
    assert "whole number" in str(info.value) and "\n" not in str(info.value)
    assert reg.holding("a", CASH).available == 10
    assert reg.holding("b", CASH).available == 0
    assert len(reg.journal) == 1
