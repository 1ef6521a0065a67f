"""Market rules, reservations, settlement and the daily close, worked by hand."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from exchange import (CASH, OUTSIDE, Access, Holding, Market, MarketDesign, OrderRejected,
                      Product, Registry, Side, TimeInForce, TradingRules, UnknownOrder,
                      build_markets, issuer_account, retirement_account)
from exchange import instrument as make_instrument

BUY, SELL = Side.BUY, Side.SELL
HOME, AWAY = "changshou", "guangan"
PRODUCT = Product("COD", "t", lot_units=1_000, tick_fen=100)
UNITS = 1_000  # registry units in one lot
CASH_EACH = 10_000_000  # fen given to every trader
TRADERS = ("s1", "s2", "b1", "b2")


def make_market(rules: TradingRules = TradingRules(),
                reference: int = 100) -> tuple[Market, Registry]:
    """One home market in continuous trading; every trader holds cash, s1 and s2 100 lots."""
    reg = Registry(lambda: 0)
    reg.open_account(issuer_account(HOME), may_go_negative=True)
    reg.open_account("exchange")
    reg.open_account("stranger", AWAY)
    instr = make_instrument(PRODUCT, HOME, 2025, [HOME])
    for name in TRADERS:
        reg.open_account(name, HOME)
        reg.transfer(OUTSIDE, name, CASH, CASH_EACH)
    for name in ("s1", "s2"):
        reg.issue(issuer_account(HOME), name, instr.symbol, 100 * UNITS)
    market = Market("COD@changshou", instr, reg, rules=rules, access={HOME: Access()},
                    reference_ticks=reference)
    market.open_continuous()
    return market, reg


def reason(call) -> str:
    with pytest.raises(OrderRejected) as info:
        call()
    return info.value.reason


def fen(lots: int, ticks: int) -> int:
    return lots * ticks * PRODUCT.tick_fen


def traders_cash(reg: Registry) -> int:
    return sum(reg.holding(a, CASH).total for a in (*TRADERS, "exchange"))


# ---- pre-trade checks --------------------------------------------------------------------


def test_price_band_rejections_leave_nothing_reserved() -> None:
    market, reg = make_market(reference=100)
    assert market.band() == (90, 110)
    assert reason(lambda: market.submit("b1", BUY, 1, 111)) == "outside_band"
    assert reason(lambda: market.submit("s1", SELL, 1, 89)) == "outside_band"
    assert reg.holding("b1", CASH) == Holding(CASH_EACH, 0, 0)
    assert reg.holding("s1", market.instrument.symbol) == Holding(100 * UNITS, 0, 0)
    market.submit("b1", BUY, 1, 90)
    market.submit("s1", SELL, 1, 110)
    assert market.book.depth() == ([(90, 1)], [(110, 1)])


def test_band_edges_round_inwards() -> None:
    market, _ = make_market(reference=103)
    assert market.band() == (93, 113)  # 92.7 and 113.3 ticks


def test_no_band_for_primary_style_markets() -> None:
    market, _ = make_market(TradingRules(band=None), reference=100)
    assert market.band() is None
    market.submit("s1", SELL, 1, 1_000)
    assert reason(lambda: market.submit("b1", BUY, 1)) == "bad_price"


@pytest.mark.parametrize(("lots", "price", "expected"), [
    (0, 100, "bad_lots"), (-3, 100, "bad_lots"), (1, 0, "bad_price"), (1, -1, "bad_price"),
])
def test_bad_lots_and_prices(lots: int, price: int, expected: str) -> None:
    market, _ = make_market()
    assert reason(lambda: market.submit("b1", BUY, lots, price)) == expected


def test_too_large() -> None:
    market, _ = make_market(TradingRules(max_order_lots=50))
    assert reason(lambda: market.submit("s1", SELL, 51, 100)) == "too_large"
    assert market.submit("s1", SELL, 50, 100).resting_lots == 50


def test_market_closed() -> None:
    market, _ = make_market()
    market.pause()
    assert reason(lambda: market.submit("b1", BUY, 1, 100)) == "market_closed"
    market.open_continuous()
    market.submit("b1", BUY, 1, 100)
    market.close_day(0)
    assert reason(lambda: market.submit("b1", BUY, 1, 100)) == "market_closed"


def test_not_eligible() -> None:
    market, _ = make_market()
    assert reason(lambda: market.submit("stranger", BUY, 1, 100)) == "not_eligible"
    sell_only = Market("m", market.instrument, make_market()[1], rules=TradingRules(),
                       access={HOME: Access(may_buy=False)}, reference_ticks=100)
    sell_only.open_continuous()
    assert reason(lambda: sell_only.submit("b1", BUY, 1, 100)) == "not_eligible"


def test_self_trade_prevention() -> None:
    market, _ = make_market()
    market.submit("s1", SELL, 5, 100)
    assert reason(lambda: market.submit("s1", BUY, 1, 100)) == "self_trade"
    assert reason(lambda: market.submit("s1", BUY, 1, 105)) == "self_trade"
    assert reason(lambda: market.submit("s1", BUY, 1)) == "self_trade"
    assert market.submit("s1", BUY, 1, 99).resting_lots == 1  # does not cross: fine
    assert market.submit("b1", BUY, 1, 100).fills[0].seller == "s1"


def test_insufficient_cash_and_units() -> None:
    market, reg = make_market(TradingRules(fee_bps=100))
    reg.transfer("b2", OUTSIDE, CASH, CASH_EACH - fen(10, 100) - fen(10, 100) // 100)
    assert reason(lambda: market.submit("b2", BUY, 10, 101)) == "insufficient_cash"
    assert market.submit("b2", BUY, 10, 100).resting_lots == 10  # exactly enough with the fee
    assert reg.holding("b2", CASH) == Holding(0, fen(10, 100) * 101 // 100, 0)
    assert reason(lambda: market.submit("b1", SELL, 1, 100)) == "insufficient_units"
    assert reason(lambda: market.submit("s2", SELL, 101, 100)) == "insufficient_units"


# ---- matching and money ------------------------------------------------------------------


def test_sweep_of_several_orders_settles_each_fill() -> None:
    market, reg = make_market()
    symbol = market.instrument.symbol
    market.submit("s1", SELL, 2, 100)
    market.submit("s2", SELL, 3, 101)
    market.submit("s1", SELL, 4, 102)
    ack = market.submit("b1", BUY, 7, 105)
    assert [(f.seller, f.lots, f.price_ticks) for f in ack.fills] == [
        ("s1", 2, 100), ("s2", 3, 101), ("s1", 2, 102)]
    assert ack.resting_lots == 0
    paid = fen(2, 100) + fen(3, 101) + fen(2, 102)
    assert reg.holding("b1", CASH) == Holding(CASH_EACH - paid, 0, 0)
    assert reg.holding("b1", symbol) == Holding(7 * UNITS, 0, 0)
    assert reg.holding("s1", symbol) == Holding(94 * UNITS, 2 * UNITS, 0)  # 2 lots still offered
    assert market.open_orders("s1") == [(ack.order_id - 1, SELL, 102, 2)]
    reg.audit()


def test_market_order_is_immediate_or_cancel() -> None:
    market, reg = make_market()
    market.submit("s1", SELL, 3, 100)
    ack = market.submit("b1", BUY, 5)
    assert (sum(f.lots for f in ack.fills), ack.resting_lots) == (3, 0)
    assert market.open_orders("b1") == []
    assert reg.holding("b1", CASH) == Holding(CASH_EACH - fen(3, 100), 0, 0)
    reg.audit()


def market_with_an_offer_above_the_band() -> tuple[Market, Registry]:
    """A GTC offer at 110 left above the band of a day that closed at 91."""
    market, reg = make_market(reference=100)
    market.submit("s1", SELL, 2, 110, TimeInForce.GTC)
    market.submit("s2", SELL, 1, 91)
    market.submit("b2", BUY, 1, 91)
    market.close_day(0)
    assert market.band() == (82, 100)
    return market, reg


def test_market_buy_cannot_pay_more_than_today_band() -> None:
    """A GTC offer left above today's band must not be lifted by a market buy, which only
    reserved cash up to the top of the band."""
    market, reg = market_with_an_offer_above_the_band()
    market.open_continuous()
    ack = market.submit("b1", BUY, 1)
    assert ack.fills == ()
    assert reg.holding("b1", CASH) == Holding(CASH_EACH, 0, 0)
    assert market.open_orders("s1")[0][2:] == (110, 2)
    reg.audit()


def test_call_phase_market_buy_reserves_for_offers_outside_the_band() -> None:
    """The auction may clear at a GTC price left outside today's band; a market buy in the
    call phase must have reserved enough to pay it."""
    market, reg = market_with_an_offer_above_the_band()
    market.open_call()
    market.submit("b1", BUY, 1)
    trades = market.open_continuous(day=1)
    assert [(t.buyer, t.seller, t.lots, t.price_ticks) for t in trades] == [("b1", "s1", 1, 110)]
    assert reg.holding("b1", CASH) == Holding(CASH_EACH - fen(1, 110), 0, 0)
    assert reg.holding("s1", CASH) == Holding(CASH_EACH + fen(1, 110), 0, 0)
    reg.audit()


def test_fees_go_to_the_fee_account_and_cash_is_conserved() -> None:
    market, reg = make_market(TradingRules(fee_bps=25))
    before = traders_cash(reg)
    market.submit("s1", SELL, 7, 103)
    assert market.submit("b1", BUY, 7, 110).fills
    (trade,) = market.trades
    value = fen(7, 103)
    fee = value * 25 // 10_000
    assert (trade.value_fen, trade.fee_fen) == (value, 2 * fee)
    assert reg.holding("exchange", CASH) == Holding(2 * fee, 0, 0)
    assert reg.holding("b1", CASH) == Holding(CASH_EACH - value - fee, 0, 0)
    assert reg.holding("s1", CASH) == Holding(CASH_EACH + value - fee, 0, 0)
    assert traders_cash(reg) == before
    reg.audit()


def test_settlement_lag_delays_delivery_and_payment() -> None:
    market, reg = make_market(TradingRules(settlement_lag_days=1))
    symbol = market.instrument.symbol
    market.submit("s1", SELL, 4, 100, day=3)
    market.submit("b1", BUY, 4, 100, day=3)
    assert market.unsettled == 1
    assert reg.holding("b1", symbol) == Holding(0, 0, 0)
    assert reg.holding("b1", CASH) == Holding(CASH_EACH - fen(4, 100), fen(4, 100), 0)
    assert reg.holding("s1", symbol) == Holding(96 * UNITS, 4 * UNITS, 0)
    market.close_day(3)
    assert market.settle_due(3) == 0
    assert reg.holding("b1", symbol).total == 0
    assert market.settle_due(4) == 1
    assert market.unsettled == 0
    assert reg.holding("b1", symbol) == Holding(4 * UNITS, 0, 0)
    assert reg.holding("b1", CASH) == Holding(CASH_EACH - fen(4, 100), 0, 0)
    assert reg.holding("s1", CASH) == Holding(CASH_EACH + fen(4, 100), 0, 0)
    reg.audit()


def test_close_day_settles_what_is_due() -> None:
    market, reg = make_market(TradingRules(settlement_lag_days=1))
    market.submit("s1", SELL, 4, 100, day=0)
    market.submit("b1", BUY, 4, 100, day=0)
    market.close_day(0)
    market.open_continuous()
    assert market.unsettled == 1
    market.close_day(1)
    assert market.unsettled == 0
    assert reg.holding("b1", market.instrument.symbol).total == 4 * UNITS


def test_day_orders_expire_and_unlock_gtc_orders_survive() -> None:
    market, reg = make_market()
    symbol = market.instrument.symbol
    day_buy = market.submit("b1", BUY, 3, 95).order_id
    gtc_buy = market.submit("b2", BUY, 2, 96, TimeInForce.GTC).order_id
    market.submit("s1", SELL, 5, 105)
    market.submit("s2", SELL, 6, 104, TimeInForce.GTC)
    market.close_day(0)
    assert reg.holding("b1", CASH) == Holding(CASH_EACH, 0, 0)
    assert reg.holding("s1", symbol) == Holding(100 * UNITS, 0, 0)
    assert reg.holding("b2", CASH) == Holding(CASH_EACH - fen(2, 96), fen(2, 96), 0)
    assert reg.holding("s2", symbol) == Holding(94 * UNITS, 6 * UNITS, 0)
    assert market.open_orders("b1") == []
    assert market.open_orders("b2") == [(gtc_buy, BUY, 96, 2)]
    assert market.book.depth() == ([(96, 2)], [(104, 6)])
    market.open_continuous()
    with pytest.raises(UnknownOrder):
        market.cancel("b1", day_buy)
    with pytest.raises(UnknownOrder):
        market.cancel("b1", gtc_buy)  # not b1's
    assert market.cancel("b2", gtc_buy) == 2
    assert reg.holding("b2", CASH) == Holding(CASH_EACH, 0, 0)
    reg.audit()


def test_close_is_vwap_of_listed_trades_and_becomes_the_reference() -> None:
    rules = TradingRules(block_min_lots=10)
    market, reg = make_market(rules, reference=100)
    market.begin_day()
    market.submit("s1", SELL, 2, 100)
    market.submit("b1", BUY, 2, 100)
    market.submit("s2", SELL, 6, 104)
    market.submit("b2", BUY, 6, 106)
    block = market.block_trade("b1", "s1", 10, 125)  # within the +-30 % block band
    assert (block.kind, block.price_ticks) == ("block", 125)
    bar = market.close_day(0)
    assert bar.close_ticks == 103  # (2 * 100 + 6 * 104) / 8
    assert (bar.open_ticks, bar.high_ticks, bar.low_ticks) == (100, 104, 100)
    assert (bar.volume_lots, bar.block_lots, bar.trades) == (18, 10, 3)
    assert bar.value_fen == fen(2, 100) + fen(6, 104) + fen(10, 125)
    assert market.reference_ticks == bar.reference_ticks == 103
    assert market.band() == (93, 113)
    empty = market.close_day(1)
    assert empty.close_ticks is None and empty.reference_ticks == 103
    reg.audit()


def test_block_trade_rules() -> None:
    market, reg = make_market(TradingRules(block_min_lots=10), reference=100)
    assert reason(lambda: market.block_trade("b1", "s1", 9, 100)) == "block_too_small"
    assert reason(lambda: market.block_trade("s1", "s1", 10, 100)) == "self_trade"
    assert reason(lambda: market.block_trade("b1", "s1", 10, 131)) == "outside_band"
    assert reason(lambda: market.block_trade("b1", "s1", 10, 69)) == "outside_band"
    assert reason(lambda: market.block_trade("b1", "stranger", 10, 100)) == "not_eligible"
    assert reason(lambda: market.block_trade("b1", "s1", 101, 100)) == "insufficient_units"
    assert reg.holding("b1", CASH) == Holding(CASH_EACH, 0, 0)  # the buy side was unwound
    reg.transfer("b2", OUTSIDE, CASH, CASH_EACH)
    assert reason(lambda: market.block_trade("b2", "s1", 10, 100)) == "insufficient_cash"
    trade = market.block_trade("b1", "s1", 10, 130)
    assert (trade.lots, trade.price_ticks, trade.buyer, trade.seller) == (10, 130, "b1", "s1")
    assert reg.holding("b1", market.instrument.symbol) == Holding(10 * UNITS, 0, 0)
    assert reg.holding("s1", CASH) == Holding(CASH_EACH + fen(10, 130), 0, 0)
    assert market.book.depth() == ([], [])
    reg.audit()


def test_call_auction_through_the_market() -> None:
    market, reg = make_market(reference=100)
    market.close_day(0)
    market.begin_day()
    market.open_call()
    market.submit("s1", SELL, 5, 99)
    market.submit("s2", SELL, 5, 102)
    limit_id = market.submit("b1", BUY, 4, 101).order_id
    mkt = market.submit("b2", BUY, 8)
    assert mkt.fills == () and mkt.resting_lots == 8
    trades = market.open_continuous(day=1)
    # demand at 99/101/102: 12 12 8; supply: 5 5 10; volume 5 5 8 -> 102.
    assert [(t.buyer, t.seller, t.lots, t.price_ticks, t.kind) for t in trades] == [
        ("b2", "s1", 5, 102, "auction"), ("b2", "s2", 3, 102, "auction")]
    assert market.open_orders("b2") == []
    assert reg.holding("b2", CASH) == Holding(CASH_EACH - fen(8, 102), 0, 0)
    assert market.open_orders("b1") == [(limit_id, BUY, 101, 4)]
    assert market.close_day(1).close_ticks == 102
    reg.audit()


# ---- the linked design -------------------------------------------------------------------


def linked(quota: int | None = None, ratio: float = 0.7) -> tuple[dict[str, Market], Registry]:
    reg = Registry(lambda: 0)
    for zone in (HOME, AWAY):
        reg.open_account(issuer_account(zone), may_go_negative=True)
        reg.open_account(retirement_account(zone))
    reg.open_account("exchange")
    reg.open_account("seller", HOME)
    reg.open_account("local", HOME)
    reg.open_account("buyer", AWAY)
    reg.open_account("other", AWAY)
    for name in ("local", "buyer", "other"):
        reg.transfer(OUTSIDE, name, CASH, CASH_EACH)
    design = MarketDesign("linked", ratios={(HOME, AWAY): ratio},
                          quota_units_per_year=None if quota is None
                          else quota * PRODUCT.lot_units)
    markets = build_markets(design, PRODUCT, 2025, [HOME, AWAY], reg, TradingRules(),
                            {HOME: 100, AWAY: 120}, itertools.count(1))
    by_zone = {m.instrument.zone: m for m in markets}
    reg.issue(issuer_account(HOME), "seller", by_zone[HOME].instrument.symbol, 100 * UNITS)
    for market in markets:
        market.open_continuous()
    return by_zone, reg


def test_linked_buyer_receives_its_own_rights_at_the_ratio() -> None:
    markets, reg = linked(ratio=0.3333)
    home, away = markets[HOME].instrument.symbol, markets[AWAY].instrument.symbol
    markets[HOME].submit("seller", SELL, 3, 100)
    ack = markets[HOME].submit("buyer", BUY, 3, 100)
    (trade,) = markets[HOME].trades
    assert ack.fills and trade.cross_border
    assert trade.delivered_units == 999  # floor(3,000 * 0.3333)
    assert reg.holding("buyer", home) == Holding(0, 0, 0)
    assert reg.holding("buyer", away) == Holding(999, 0, 0)
    assert reg.holding(retirement_account(HOME), home).total == 3 * UNITS
    assert reg.holding(issuer_account(AWAY), away).total == -999
    kinds = [(e.kind, e.asset, e.amount) for e in reg.journal if e.memo.startswith("convert")]
    assert kinds == [("retire", home, 3 * UNITS), ("issue", away, 999)]
    assert reg.cash("seller") == fen(3, 100)
    reg.audit()


def test_linked_sellers_sell_at_home_only() -> None:
    markets, _ = linked()
    assert reason(lambda: markets[HOME].submit("buyer", SELL, 1, 100)) == "not_eligible"
    assert reason(lambda: markets[AWAY].submit("seller", BUY, 1, 120)) == "not_eligible"


def test_cross_border_quota() -> None:
    markets, reg = linked(quota=10)
    market = markets[HOME]
    first = market.submit("buyer", BUY, 6, 95).order_id
    assert market.quota_left == 4
    assert reason(lambda: market.submit("other", BUY, 5, 95)) == "quota_exhausted"
    market.submit("local", BUY, 50, 95)  # home buyers use no quota
    assert market.cancel("buyer", first) == 6
    assert market.quota_left == 10
    market.submit("seller", SELL, 4, 99)
    ack = market.submit("other", BUY, 10, 100)
    assert (sum(f.lots for f in ack.fills), ack.resting_lots) == (4, 6)
    assert market.quota_left == 0
    market.cancel("other", ack.order_id)
    assert market.quota_left == 6  # the 4 lots that crossed stay used
    market.reset_quota()
    assert market.quota_left == 10
    reg.audit()


def test_quota_held_by_a_gtc_order_survives_the_yearly_reset() -> None:
    markets, reg = linked(quota=10)
    market = markets[HOME]
    order_id = market.submit("buyer", BUY, 6, 95, TimeInForce.GTC).order_id
    market.close_day(0)
    market.reset_quota()
    assert market.quota_left == 4  # the open order still holds 6 lots of the new year's quota
    market.open_continuous()
    assert reason(lambda: market.submit("other", BUY, 5, 95)) == "quota_exhausted"
    market.cancel("buyer", order_id)
    assert market.quota_left == 10
    reg.audit()


# ---- stateful: random traders against two linked markets ---------------------------------

REJECTIONS = {"market_closed", "bad_lots", "too_large", "bad_price", "outside_band",
              "not_eligible", "quota_exhausted", "self_trade", "insufficient_cash",
              "insufficient_units", "block_too_small"}
STATEFUL_RULES = TradingRules(max_order_lots=40, fee_bps=30, settlement_lag_days=1,
                              block_min_lots=15)
OWNERS = [f"{region}:{i}" for region in (HOME, AWAY) for i in range(3)]
ZONES = (HOME, AWAY)
DAYS_PER_YEAR = 2


class LinkedMarkets(RuleBasedStateMachine):
    """Six traders, two linked books, T+1 settlement, fees and a cross-border quota."""

    def __init__(self) -> None:
        super().__init__()
        self.reg = reg = Registry(lambda: 0)
        for zone in ZONES:
            reg.open_account(issuer_account(zone), may_go_negative=True)
            reg.open_account(retirement_account(zone))
        reg.open_account("exchange")
        design = MarketDesign("linked", ratios={(HOME, AWAY): 0.7, (AWAY, HOME): 1.3},
                              quota_units_per_year=60 * PRODUCT.lot_units)
        markets = build_markets(design, PRODUCT, 2025, list(ZONES), reg, STATEFUL_RULES,
                                {HOME: 100, AWAY: 120}, itertools.count(1))
        self.markets = {m.instrument.zone: m for m in markets}
        self.issued = {m.instrument.symbol: 0 for m in markets}
        for owner in OWNERS:
            zone = owner.split(":")[0]
            symbol = self.markets[zone].instrument.symbol
            reg.open_account(owner, zone)
            reg.transfer(OUTSIDE, owner, CASH, 3_000_000)
            reg.issue(issuer_account(zone), owner, symbol, 60 * UNITS)
            self.issued[symbol] += 60 * UNITS
        self.cash = 3_000_000 * len(OWNERS)
        self.day = 0
        self.gtc: set[int] = set()
        self.pending: list[tuple[int, str, int]] = []  # (due day, zone, trade index)
        self.seen = {zone: 0 for zone in ZONES}
        self.quota_from = {zone: 0 for zone in ZONES}  # first trade index of the quota year
        for market in self.markets.values():
            market.begin_day()
            market.open_continuous(self.day)

    # ---- bookkeeping of the model ----

    def _observe(self) -> None:
        """Note new trades: continuous ones settle after the lag, the others at once."""
        for zone, market in self.markets.items():
            for index in range(self.seen[zone], len(market.trades)):
                trade = market.trades[index]
                if trade.kind == "continuous":
                    self.pending.append((trade.day + STATEFUL_RULES.settlement_lag_days, zone,
                                         index))
                else:
                    self._settled(market.trades[index])
            self.seen[zone] = len(market.trades)

    def _settled(self, trade) -> None:
        if trade.cross_border:
            self.issued[self.markets[trade.buyer_region].instrument.symbol] += \
                trade.delivered_units

    def _settle_model(self, zone: str, day: int) -> None:
        due = [p for p in self.pending if p[1] == zone and p[0] <= day]
        self.pending = [p for p in self.pending if p not in due]
        for _, _, index in due:
            self._settled(self.markets[zone].trades[index])

    def _snapshot(self, owner: str) -> tuple:
        return (tuple(sorted(self.reg.assets_of(owner).items())),
                tuple(m.quota_left for m in self.markets.values()))

    # ---- rules ----

    @rule(zone=st.sampled_from(ZONES), owner=st.sampled_from(OWNERS),
          side=st.sampled_from([BUY, SELL]),
          lots=st.one_of(st.integers(1, 20), st.integers(-1, 45)),
          offset=st.one_of(st.none(), st.integers(-14, 14)),
          tif=st.sampled_from([TimeInForce.DAY, TimeInForce.GTC]))
    def submit(self, zone: str, owner: str, side: Side, lots: int, offset: int | None,
               tif: TimeInForce) -> None:
        market = self.markets[zone]
        price = None if offset is None else market.reference_ticks + offset
        before = self._snapshot(owner)
        try:
            ack = market.submit(owner, side, lots, price, tif, day=self.day)
        except OrderRejected as e:
            assert e.reason in REJECTIONS
            assert self._snapshot(owner) == before  # a rejection changes nothing
            return
        assert sum(f.lots for f in ack.fills) + ack.resting_lots <= lots
        if tif is TimeInForce.GTC:
            self.gtc.add(ack.order_id)
        if price is None and market.phase == "continuous":
            assert ack.resting_lots == 0
        self._observe()

    @rule(zone=st.sampled_from(ZONES), who=st.integers(0, len(OWNERS) - 1),
          side=st.sampled_from([BUY, SELL]), lots=st.integers(1, 25))
    def cross(self, zone: str, who: int, side: Side, lots: int) -> None:
        """An eligible order priced at the far edge of the band: it trades if anything rests."""
        owner = OWNERS[who] if side is BUY else f"{zone}:{who % 3}"
        band = self.markets[zone].band()
        assert band is not None
        self.submit(zone, owner, side, lots, (band[1] if side is BUY else band[0])
                    - self.markets[zone].reference_ticks, TimeInForce.DAY)

    @rule(zone=st.sampled_from(ZONES), owner=st.sampled_from(OWNERS), pick=st.integers(0, 50))
    def cancel(self, zone: str, owner: str, pick: int) -> None:
        market = self.markets[zone]
        mine = market.open_orders(owner)
        if not mine:
            with pytest.raises(UnknownOrder):
                market.cancel(owner, 10**9)
            return
        order_id, _, _, left = mine[pick % len(mine)]
        assert market.cancel(owner, order_id) == left
        assert order_id not in [o[0] for o in market.open_orders(owner)]

    @rule(zone=st.sampled_from(ZONES), buyer=st.sampled_from(OWNERS),
          seller=st.sampled_from(OWNERS), lots=st.integers(10, 30), offset=st.integers(-40, 40))
    def block(self, zone: str, buyer: str, seller: str, lots: int, offset: int) -> None:
        market = self.markets[zone]
        try:
            market.block_trade(buyer, seller, lots, market.reference_ticks + offset,
                               day=self.day)
        except OrderRejected as e:
            assert e.reason in REJECTIONS
        self._observe()

    @rule(zone=st.sampled_from(ZONES), ahead=st.integers(0, 2))
    def settle(self, zone: str, ahead: int) -> None:
        self.markets[zone].settle_due(self.day + ahead)
        self._settle_model(zone, self.day + ahead)

    @rule(zone=st.sampled_from(ZONES), orders=st.lists(st.tuples(
        st.integers(0, len(OWNERS) - 1), st.sampled_from([BUY, SELL]), st.integers(1, 15),
        st.one_of(st.none(), st.integers(-10, 10))), max_size=6))
    def auction(self, zone: str, orders: list[tuple[int, Side, int, int | None]]) -> None:
        """A whole call phase: a few orders, market ones among them, then the uncross."""
        self.markets[zone].open_call()
        for who, side, lots, offset in orders:
            owner = OWNERS[who] if side is BUY else f"{zone}:{who % 3}"
            self.submit(zone, owner, side, lots, offset, TimeInForce.DAY)
        self.continuous_phase(zone)

    @rule(zone=st.sampled_from(ZONES))
    def call_phase(self, zone: str) -> None:
        self.markets[zone].open_call()

    @rule(zone=st.sampled_from(ZONES))
    def continuous_phase(self, zone: str) -> None:
        self.markets[zone].open_continuous(self.day)
        self._observe()

    @rule(call=st.booleans())
    def close_day(self, call: bool) -> None:
        for zone, market in self.markets.items():
            market.open_continuous(self.day)  # a pending call auction uncrosses first
            self._observe()
            bar = market.close_day(self.day)
            self._settle_model(zone, self.day)
            assert bar.reference_ticks == market.reference_ticks
            assert {o[0] for o in market.book.live_orders()} <= self.gtc  # day orders expired
        self.day += 1
        for zone, market in self.markets.items():
            if self.day % DAYS_PER_YEAR == 0:
                market.reset_quota()
                self.quota_from[zone] = len(market.trades)
            market.begin_day()
            if call:
                market.open_call()
            else:
                market.open_continuous(self.day)

    @rule()
    def flush(self) -> None:
        """Cancel everything and settle everything: no reservation may be left behind."""
        for zone, market in self.markets.items():
            for owner in OWNERS:
                market.cancel_all(owner)
            market.settle_due(self.day + 10)
            self._settle_model(zone, self.day + 10)
        for owner in OWNERS:
            for asset, held in self.reg.assets_of(owner).items():
                assert held.locked == 0, (owner, asset, held)

    # ---- invariants ----

    @invariant()
    def registry_balances(self) -> None:
        self.reg.audit()
        holders = [a for a in self.reg.accounts()
                   if not a.startswith("issuer:") and a != OUTSIDE]
        for account in holders:
            for held in self.reg.assets_of(account).values():
                assert min(held.available, held.locked, held.pledged) >= 0
        for symbol, issued in self.issued.items():
            assert sum(self.reg.holding(a, symbol).total for a in holders) == issued
        assert sum(self.reg.holding(a, CASH).total for a in holders) == self.cash

    @invariant()
    def settlement_and_quota(self) -> None:
        for zone, market in self.markets.items():
            assert market.unsettled == sum(1 for p in self.pending if p[1] == zone)
            crossed = sum(t.lots for t in market.trades[self.quota_from[zone]:]
                          if t.cross_border)
            waiting = sum(o[3] for owner in OWNERS if owner.split(":")[0] != zone
                          for o in market.open_orders(owner) if o[1] is BUY)
            assert market.quota_left == market.quota_lots - crossed - waiting
            assert market.quota_left >= 0

    @invariant()
    def books_and_reservations(self) -> None:
        for market in self.markets.values():
            live = sorted((o[0], o[1], o[2], o[4]) for o in market.book.live_orders())
            assert live == sorted((order_id, owner, side, left) for owner in OWNERS
                                  for order_id, side, _, left in market.open_orders(owner))
            if market.phase == "continuous":
                bid, ask = market.book.best_bid(), market.book.best_ask()
                assert bid is None or ask is None or bid < ask
        for owner in OWNERS:
            cash_needed = units_needed = 0
            for market in self.markets.values():
                for _, side, price, left in market.open_orders(owner):
                    if side is BUY:
                        value = fen(left, price)
                        cash_needed += value + value * STATEFUL_RULES.fee_bps // 10_000
                    else:
                        units_needed += left * UNITS
            assert self.reg.holding(owner, CASH).locked >= cash_needed
            own = self.markets[owner.split(":")[0]].instrument.symbol
            assert self.reg.holding(owner, own).locked >= units_needed


LinkedMarkets.TestCase.settings = settings(max_examples=150, stateful_step_count=60,
                                           deadline=None)
test_linked_markets = LinkedMarkets.TestCase
