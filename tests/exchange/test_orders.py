"""Orders and the exchange's errors."""

from __future__ import annotations

from exchange import Order, OrderRejected, Side


def test_an_order_without_a_price_is_a_market_order() -> None:
    assert Order(1, "a", Side.BUY, 5).is_market
    assert not Order(2, "a", Side.BUY, 5, 100).is_market


def test_a_rejection_names_its_reason_and_detail() -> None:
    error = OrderRejected("bad_lots", "lots must be positive, got 0")
    assert (error.reason, error.detail) == ("bad_lots", "lots must be positive, got 0")
    assert str(error) == "bad_lots: lots must be positive, got 0"


def test_sides_are_opposites() -> None:
    assert Side.BUY.opposite is Side.SELL and Side.SELL.opposite is Side.BUY
