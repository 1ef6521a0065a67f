"""Cross-border market designs: which books exist and who may trade in which."""

from __future__ import annotations

import itertools

import pytest

from exchange import (BASIN, CASH, OUTSIDE, Market, MarketDesign, OrderRejected, Product, Registry,
                      Side, TradingRules, build_markets, instrument, issuer_account, market_id,
                      retirement_account)

REGIONS = ["changshou", "guangan"]
PRODUCT = Product("COD", "t", lot_units=1_000, tick_fen=100, validity_years=2)
REFERENCE = {"changshou": 100, "guangan": 120, BASIN: 110}


def build(design: MarketDesign) -> tuple[dict[str, Market], Registry]:
    reg = Registry(lambda: 0)
    markets = build_markets(design, PRODUCT, 2025, REGIONS, reg, TradingRules(), REFERENCE,
                            itertools.count(1))
    return {m.market_id: m for m in markets}, reg


def test_instrument_identity() -> None:
    cod = instrument(PRODUCT, "changshou", 2025, REGIONS)
    assert (cod.symbol, cod.zone, cod.vintage, cod.valid_until) == (
        "COD:changshou:2025", "changshou", 2025, 2026)
    assert cod.holders == frozenset(["changshou"])
    assert instrument(PRODUCT, BASIN, 2025, REGIONS).holders == frozenset(REGIONS)
    assert cod.value_fen(3, 250) == 3 * 250 * 100
    assert market_id("COD", "guangan") == "COD@guangan"


def test_autarky_gives_each_region_its_own_closed_book() -> None:
    design = MarketDesign("autarky")
    markets, _ = build(design)
    assert sorted(markets) == ["COD@changshou", "COD@guangan"]
    for region in REGIONS:
        market = markets[market_id("COD", region)]
        assert set(market.access) == {region}
        assert not market.access[region].cross_border
        assert market.reference_ticks == REFERENCE[region]
        assert market.quota_lots is None
        assert design.compliance_zone(region) == region
    assert design.zones(REGIONS) == REGIONS


def test_integrated_has_one_basin_book_for_both_regions() -> None:
    design = MarketDesign("integrated")
    markets, _ = build(design)
    (market,) = markets.values()
    assert market.market_id == "COD@basin" and market.instrument.zone == BASIN
    assert set(market.access) == set(REGIONS)
    assert all(a.may_buy and a.may_sell and not a.cross_border for a in market.access.values())
    assert market.reference_ticks == REFERENCE[BASIN]
    assert [design.compliance_zone(r) for r in REGIONS] == [BASIN, BASIN]


def test_linked_opens_only_the_directions_in_the_ratio_map() -> None:
    design = MarketDesign("linked", ratios={("changshou", "guangan"): 0.8},
                          quota_units_per_year=500 * PRODUCT.lot_units)
    markets, _ = build(design)
    upstream, downstream = markets["COD@changshou"], markets["COD@guangan"]
    visitor = upstream.access["guangan"]
    assert (visitor.may_buy, visitor.may_sell, visitor.ratio) == (True, False, 0.8)
    assert visitor.deliver_as == downstream.instrument
    assert set(downstream.access) == {"guangan"}  # the other direction is closed
    assert upstream.quota_lots == upstream.quota_left == 500
    assert downstream.quota_lots == 500


def test_markets_share_the_order_id_counter() -> None:
    markets, reg = build(MarketDesign("autarky"))
    for region in REGIONS:
        reg.open_account(issuer_account(region), may_go_negative=True)
        reg.open_account(f"firm:{region}", region)
        reg.issue(issuer_account(region), f"firm:{region}", f"COD:{region}:2025", 10_000)
    ids = []
    for region in REGIONS:
        market = markets[market_id("COD", region)]
        market.open_continuous()
        ids.append(market.submit(f"firm:{region}", Side.SELL, 1, REFERENCE[region]).order_id)
    assert ids == [1, 2]


def test_integrated_book_trades_across_regions_without_conversion() -> None:
    markets, reg = build(MarketDesign("integrated"))
    market = markets["COD@basin"]
    reg.open_account(issuer_account(BASIN), may_go_negative=True)
    reg.open_account(retirement_account(BASIN))
    reg.open_account("exchange")
    reg.open_account("up", "changshou")
    reg.open_account("down", "guangan")
    reg.open_account("outsider", "chongqing")
    symbol = market.instrument.symbol
    reg.issue(issuer_account(BASIN), "up", symbol, 5_000)
    reg.transfer(OUTSIDE, "down", CASH, 1_000_000)
    market.open_continuous()
    market.submit("up", Side.SELL, 5, 110)
    assert market.submit("down", Side.BUY, 5, 110).fills
    (trade,) = market.trades
    assert not trade.cross_border and trade.delivered_units == 5_000
    assert (trade.buyer_region, trade.seller_region) == ("guangan", "changshou")
    assert reg.available("down", symbol) == 5_000
    with pytest.raises(OrderRejected) as info:
        market.submit("outsider", Side.BUY, 1, 110)
    assert info.value.reason == "not_eligible"
    reg.audit()
