"""The exchange: instruments, order books, trading rules, the registry and settlement.

Usable on its own::

    >>> from exchange import OrderBook, Order, Side
    >>> book = OrderBook()
    >>> book.submit(Order(1, "alice", Side.SELL, lots=5, price_ticks=8000))
    []
    >>> [f.lots for f in book.submit(Order(2, "bob", Side.BUY, lots=3, price_ticks=8100))]
    [3]
    >>> book.depth()
    ([], [(8000, 2)])
"""

from exchange.book import AuctionResult, OrderBook
from exchange.calendar import Calendar, clock_fraction
from exchange.clock import PHASES, Clock, Phase, ProcessGenerator
from exchange.designs import MarketDesign, Product, build_markets, instrument, market_id
from exchange.instruments import BASIN, Instrument, issuer_account, retirement_account
from exchange.market import Access, Ack, Bar, Market, Trade, TradingRules
from exchange.orders import (ExchangeError, Fill, InsufficientBalance, Order, OrderRejected,
                             Side, TimeInForce, UnknownOrder)
from exchange.registry import CASH, OUTSIDE, Entry, Holding, Registry
from exchange.venue import Quote, Venue

__all__ = [
    "Access", "Ack", "AuctionResult", "BASIN", "Bar", "CASH", "Calendar", "Clock", "Entry",
    "ExchangeError", "Fill", "Holding", "InsufficientBalance", "Instrument", "Market",
    "MarketDesign", "OUTSIDE", "Order", "OrderBook", "OrderRejected", "PHASES", "Phase",
    "ProcessGenerator",
    "Product", "Quote", "Registry", "Side", "TimeInForce", "Trade", "TradingRules",
    "UnknownOrder", "Venue", "build_markets", "clock_fraction", "instrument",
    "issuer_account", "market_id", "retirement_account",
]
