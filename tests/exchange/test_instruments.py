"""Instruments and products: lot sizes, price units and vintages, by hand."""

from __future__ import annotations

from exchange import Instrument, Product, instrument, issuer_account, retirement_account

# Water rights quoted per m3/yr: a lot of 2,000 kg-like units at 1,000 units per quote unit,
# i.e. 2 quote units a lot; a tick is 50 fen a lot.
WATER = Instrument("water:changshou:2025", "water", "changshou", 2025, 2026, "m3/yr",
                   lot_units=2_000, tick_fen=50, holders=frozenset({"changshou"}), scale=1_000)


def test_a_lot_in_quote_units() -> None:
    assert WATER.lot_quantity == 2.0  # 2,000 / 1,000
    half = Instrument("water:guangan:2025", "water", "guangan", 2025, 2025, "m3/yr",
                      lot_units=500, tick_fen=50, holders=frozenset(), scale=1_000)
    assert half.lot_quantity == 0.5
    plain = Instrument("COD:basin:2025", "COD", "basin", 2025, 2025, "t", lot_units=3,
                       tick_fen=100, holders=frozenset())
    assert plain.scale == 1 and plain.lot_quantity == 3.0  # one unit per quote unit by default


def test_value_of_a_trade_in_fen() -> None:
    assert WATER.value_fen(lots=3, price_ticks=7) == 1_050  # 3 * 7 * 50


def test_price_in_yuan_per_lot() -> None:
    assert WATER.yuan(3) == 1.5  # 3 ticks * 50 fen = 150 fen
    assert WATER.yuan(200) == 100.0


def test_nearest_whole_tick_for_a_yuan_price() -> None:
    assert WATER.ticks_for_yuan(6.3) == 13  # 630 fen / 50 = 12.6 ticks -> 13
    assert WATER.ticks_for_yuan(1_000.0) == 2_000  # 100,000 fen / 50
    assert WATER.ticks_for_yuan(0.001) == 1  # 0.1 fen rounds to no tick: at least one


def test_symbols_and_accounts() -> None:
    assert Instrument.symbol_for("NH3N", "guangan", 2026) == "NH3N:guangan:2026"
    assert issuer_account("basin") == "issuer:basin"
    assert retirement_account("basin") == "retired:basin"


def test_a_product_is_valid_for_its_vintage_year_and_one_unit_a_quote_unit_by_default() -> None:
    cod = instrument(Product("COD", "t", lot_units=1_000, tick_fen=100), "changshou", 2025,
                     ["changshou", "guangan"])
    assert (cod.vintage, cod.valid_until, cod.scale) == (2025, 2025, 1)
    assert cod.holders == frozenset({"changshou"})
    banked = instrument(Product("CO2", "tCO2e", 1, 1, validity_years=3), "changshou", 2025,
                        ["changshou"])
    assert banked.valid_until == 2027  # 2025, 2026 and 2027
