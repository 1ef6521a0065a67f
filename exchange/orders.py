"""Orders, fills and the errors the exchange raises.

Quantities are whole lots and prices whole ticks; the instrument says what a lot and a tick
are worth, so nothing in the matching path ever touches a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Side(str, Enum):
    BUY = "buy"
    SELL = "sell"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class TimeInForce(str, Enum):
    """How long an unfilled remainder rests.

    DAY: until the close of the trading day. GTC: until cancelled. IOC: never (market orders).
    """

    DAY = "day"
    GTC = "gtc"
    IOC = "ioc"


@dataclass(frozen=True, slots=True)
class Order:
    """An instruction to trade.

    ``price_ticks`` is ``None`` for a market order, which executes against whatever rests and
    never rests itself (its remainder is cancelled).
    """

    order_id: int
    owner: str
    side: Side
    lots: int
    price_ticks: int | None = None
    tif: TimeInForce = TimeInForce.DAY

    @property
    def is_market(self) -> bool:
        return self.price_ticks is None


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution between a buy and a sell order.

    ``maker_order_id`` rested first; in a call auction both rested and ``aggressor`` is None.
    """

    buy_order_id: int
    sell_order_id: int
    buyer: str
    seller: str
    lots: int
    price_ticks: int
    aggressor: Side | None


class ExchangeError(Exception):
    """Base class of every error the exchange raises on bad input."""


class OrderRejected(ExchangeError):
    """An order broke a rule; ``reason`` is a stable machine-readable code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class InsufficientBalance(ExchangeError):
    """A registry move would take an account's balance below zero."""


class UnknownOrder(ExchangeError):
    """A cancel or lookup named an order that is not resting."""


def draft_class(cls: type) -> type:
    """A class with ``cls``'s slots and no frozen guard, for building ``cls`` fast.

    A frozen dataclass's generated ``__init__`` stores every field through
    ``object.__setattr__``; for the fills, orders and trades of a busy book that costs more
    than the matching. Code on the hot path sets the fields of a draft one by one and then
    assigns ``cls`` as its ``__class__``: the slots are the same, so the layouts agree and the
    result is an ordinary, immutable instance of ``cls``.
    """
    return type(f"_{cls.__name__}Draft", (), {"__slots__": getattr(cls, "__slots__")})

