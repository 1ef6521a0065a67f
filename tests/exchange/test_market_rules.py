"""Market rules at their edges, the trade record, primary auctions and the daily bar."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from exchange import (CASH, OUTSIDE, Access, Holding, Market, MarketDesign, OrderRejected,
                      Product, Registry, Side, TimeInForce, TradingRules, build_markets,
                      issuer_account, retirement_account)
from exchange import instrument as make_instrument

BUY, SELL = Side.BUY, Side.SELL
HOME, AWAY = "changshou", "guangan"
PRODUCT = Product("COD", "t", lot_units=1_000, tick_fen=100)
SYMBOL = "COD:changshou:2025"
UNITS = 1_000  # registry units in one lot
CASH_EACH = 10_000_000  # fen given to every trader


def make_market(rules: TradingRules = TradingRules(), reference: int = 100,
                order_ids: itertools.count | None = None) -> tuple[Market, Registry]:
    """A home market in continuous trading; s1, s2, b1, b2 hold cash, s1 and s2 2,000 lots."""
    reg = Registry(lambda: 0)
    reg.open_account(issuer_account(HOME), may_go_negative=True)
    reg.open_account("exchange")
    for name in ("s1", "s2", "b1", "b2"):
        reg.open_account(name, HOME)
        reg.transfer(OUTSIDE, name, CASH, CASH_EACH)
    for name in ("s1", "s2"):
        reg.issue(issuer_account(HOME), name, SYMBOL, 2_000 * UNITS)
    market = Market("COD@changshou", make_instrument(PRODUCT, HOME, 2025, [HOME]), reg,
                    rules=rules, access={HOME: Access()}, reference_ticks=reference,
                    order_ids=order_ids)
    market.open_continuous()
    return market, reg


def reason(call: Callable[[], object]) -> str:
    with pytest.raises(OrderRejected) as info:
        call()
    return info.value.reason


# ---- limits of the rules -----------------------------------------------------------------


def test_default_block_minimum_is_a_thousand_lots() -> None:
    market, _ = make_market()
    assert reason(lambda: market.block_trade("b1", "s1", 999, 100)) == "block_too_small"
    assert market.block_trade("b1", "s1", 1_000, 100).lots == 1_000


def test_block_band_edges_are_admissible() -> None:
    market, _ = make_market(TradingRules(block_min_lots=1), reference=100)
    # +-30 % of 100: 70 to 130, both ends included.
    assert market.block_trade("b1", "s1", 1, 70).price_ticks == 70
    assert market.block_trade("b1", "s1", 1, 130).price_ticks == 130


def test_a_band_of_a_hundred_percent_still_starts_at_one_tick() -> None:
    market, _ = make_market(TradingRules(band=1.0), reference=100)
    assert market.band() == (1, 200)  # 100 * 0 rounds up to 0, but a price is at least 1


def test_one_tick_limit_orders_are_accepted_without_a_band() -> None:
    market, _ = make_market(TradingRules(band=None))
    market.submit("s1", SELL, 2, 1)
    ack = market.submit("b1", BUY, 2, 1)
    assert [(f.lots, f.price_ticks) for f in ack.fills] == [(2, 1)]


def test_rejected_orders_use_no_order_id() -> None:
    market, _ = make_market(TradingRules(band=None))
    assert reason(lambda: market.submit("b1", BUY, 0, 100)) == "bad_lots"
    assert reason(lambda: market.submit("b1", BUY, 1, 0)) == "bad_price"
    assert market.submit("b1", BUY, 1, 100).order_id == 1  # ids start at 1, none wasted


def test_a_seller_may_not_hit_its_own_bid_at_the_same_price() -> None:
    market, _ = make_market()
    market.submit("s1", BUY, 1, 100)
    assert reason(lambda: market.submit("s1", SELL, 1, 100)) == "self_trade"
    assert market.submit("s1", SELL, 1, 101).resting_lots == 1  # above its bid: fine


def test_cancel_all_cancels_every_open_order_and_counts_them() -> None:
    market, reg = make_market()
    market.submit("b1", BUY, 2, 95, TimeInForce.GTC)
    market.submit("b1", BUY, 3, 96)
    assert market.cancel_all("b1") == 2
    assert market.cancel_all("b1") == 0
    assert reg.holding("b1", CASH) == Holding(CASH_EACH, 0, 0)


# ---- market sells ------------------------------------------------------------------------


def test_market_sell_trades_down_to_the_bottom_of_the_band() -> None:
    market, _ = make_market(reference=100)
    market.submit("b1", BUY, 2, 95)
    market.submit("b2", BUY, 2, 90)
    ack = market.submit("s1", SELL, 5)
    # Band 90-110: both bids are within reach; the fifth lot has no one left to sell to.
    assert [(f.buyer, f.lots, f.price_ticks) for f in ack.fills] == [("b1", 2, 95),
                                                                     ("b2", 2, 90)]
    assert ack.resting_lots == 0


def test_market_sell_without_a_band_takes_any_bid() -> None:
    market, reg = make_market(TradingRules(band=None))
    market.submit("b1", BUY, 3, 7)
    ack = market.submit("s1", SELL, 3)
    assert [(f.lots, f.price_ticks) for f in ack.fills] == [(3, 7)]
    assert reg.holding("s1", SYMBOL) == Holding(1_997 * UNITS, 0, 0)


# ---- the trade record --------------------------------------------------------------------


def test_trades_are_numbered_from_one_and_priced_in_fen() -> None:
    market, _ = make_market()
    market.submit("s1", SELL, 3, 102)
    market.submit("b1", BUY, 1, 102)
    market.submit("b2", BUY, 2, 102)
    first, second = market.trades
    assert (first.trade_id, second.trade_id) == (1, 2)
    # 102 ticks of 100 fen: 10,200 fen a lot; 2 lots are 20,400 fen.
    assert (second.price_ticks, second.price_fen, second.value_fen) == (102, 10_200, 20_400)
    assert (second.buyer, second.seller, second.kind) == ("b2", "s1", "continuous")
    assert (second.buyer_region, second.seller_region) == (HOME, HOME)
    assert (second.cross_border, second.delivered_units) == (False, 2 * UNITS)


def test_fee_is_charged_on_each_side_in_whole_fen() -> None:
    market, reg = make_market(TradingRules(fee_bps=25))
    market.submit("s1", SELL, 8, 100)
    market.submit("b1", BUY, 8, 100)
    # Value 8 * 100 * 100 = 80,000 fen; 25 bp of it is exactly 200 fen a side.
    (trade,) = market.trades
    assert (trade.value_fen, trade.fee_fen) == (80_000, 400)
    assert reg.cash("b1") == CASH_EACH - 80_200
    assert reg.cash("s1") == CASH_EACH + 79_800
    assert reg.cash("exchange") == 400


def test_trades_without_a_day_are_stamped_day_zero() -> None:
    market, _ = make_market(TradingRules(block_min_lots=1))
    market.submit("s1", SELL, 1, 100)
    market.submit("b1", BUY, 1, 100)
    market.block_trade("b2", "s2", 1, 100)
    market.close_day(0)
    market.open_call()
    market.submit("s1", SELL, 1, 100)
    market.submit("b1", BUY, 1, 100)
    market.open_continuous()
    assert [(t.kind, t.day) for t in market.trades] == [("continuous", 0), ("block", 0),
                                                        ("auction", 0)]


# ---- the daily bar -----------------------------------------------------------------------


def test_the_close_rounds_the_vwap_to_the_nearest_tick() -> None:
    market, _ = make_market(reference=100)
    market.submit("s1", SELL, 1, 100)
    market.submit("b1", BUY, 1, 100)
    market.submit("s1", SELL, 2, 101)
    market.submit("b1", BUY, 2, 101)
    # (100 + 2 * 101) / 3 = 100.67 -> 101, not 100.
    assert market.close_day(0).close_ticks == 101


def linked(ratio: float) -> tuple[Market, Registry]:
    """The home book of a linked design; ``buyer`` is from the other region."""
    reg = Registry(lambda: 0)
    for zone in (HOME, AWAY):
        reg.open_account(issuer_account(zone), may_go_negative=True)
        reg.open_account(retirement_account(zone))
    reg.open_account("exchange")
    reg.open_account("seller", HOME)
    reg.open_account("buyer", AWAY)
    reg.transfer(OUTSIDE, "buyer", CASH, CASH_EACH)
    design = MarketDesign("linked", ratios={(HOME, AWAY): ratio})
    markets = build_markets(design, PRODUCT, 2025, [HOME, AWAY], reg, TradingRules(),
                            {HOME: 100, AWAY: 100}, itertools.count(1))
    home = next(m for m in markets if m.instrument.zone == HOME)
    reg.issue(issuer_account(HOME), "seller", SYMBOL, 100 * UNITS)
    home.open_continuous()
    return home, reg


def test_conversion_does_not_floor_a_whole_product_a_unit_short() -> None:
    market, reg = linked(0.29)
    market.submit("seller", SELL, 3, 100)
    market.submit("buyer", BUY, 3, 100)
    # 3,000 units * 0.29 = 870 units exactly (in floating point 869.999...).
    (trade,) = market.trades
    assert trade.delivered_units == 870
    assert reg.total("buyer", "COD:guangan:2025") == 870


def test_the_bar_counts_cross_border_lots() -> None:
    market, _ = linked(0.5)
    market.submit("seller", SELL, 5, 100)
    market.submit("buyer", BUY, 3, 100)
    bar = market.close_day(0)
    assert (bar.cross_border_lots, bar.volume_lots) == (3, 3)
    assert market.close_day(1).cross_border_lots == 0  # a new day starts from zero


# ---- primary auctions --------------------------------------------------------------------


def primary() -> tuple[Market, Registry]:
    """A band-free call book: the regulator offers 10 lots at a 50-tick reserve."""
    market, reg = make_market(TradingRules(band=None), reference=1)
    reg.open_account("gov", HOME)
    reg.issue(issuer_account(HOME), "gov", SYMBOL, 10 * UNITS)
    market.open_call()
    market.submit("gov", SELL, 10, 50)
    return market, reg


def test_primary_auction_clears_at_the_reserve_and_cancels_the_rest() -> None:
    market, reg = primary()
    market.submit("b1", BUY, 4, 60)
    market.submit("b2", BUY, 3, 40)  # below the reserve: does not buy
    price, trades = market.run_primary_auction(50)
    # Demand at 50 is 4 lots, supply 10: 4 lots sell; the reserve is nearest at equal volume.
    assert price == 50
    assert [(t.buyer, t.lots, t.price_ticks, t.kind, t.day) for t in trades] == [
        ("b1", 4, 50, "primary", 0)]  # no day given: day 0, as everywhere in the market
    assert market.phase == "closed" and len(market.book) == 0
    assert market.open_orders("gov") == [] and market.open_orders("b2") == []
    # Nothing stays locked: gov keeps its 6 unsold lots, b2 its cash.
    assert reg.holding("gov", SYMBOL) == Holding(6 * UNITS, 0, 0)
    assert reg.holding("b2", CASH) == Holding(CASH_EACH, 0, 0)
    assert reg.holding("b1", CASH) == Holding(CASH_EACH - 4 * 50 * 100, 0, 0)
    reg.audit()


def test_primary_auction_without_bids_sells_nothing() -> None:
    market, reg = primary()
    price, trades = market.run_primary_auction(50)
    assert (price, trades) == (None, [])
    assert reg.holding("gov", SYMBOL) == Holding(10 * UNITS, 0, 0)
