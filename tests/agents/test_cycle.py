"""The compliance year: rights that expire at a year's close are retired, valid ones stay."""

from __future__ import annotations

import numpy as np
import pytest

from agents.streams import Streams
from exchange import CASH, Entry, Registry, issuer_account, retirement_account
from scenarios import World, build_world, load_scenario

# Changshou's cap above its historic emissions, so the basin as a whole holds more rights
# than it emits and some are still outstanding at every close.
SURPLUS = ["regions.changshou.regulator.cap_share={COD: 1.3}"]


def run_world(*overrides: str) -> World:
    world = build_world(load_scenario("tiny", [*SURPLUS, *overrides]), 2)
    world.run()
    return world


def entries(registry: Registry, asset: str, kind: str, before: int | None = None
            ) -> list[Entry]:
    """Journal lines of one kind for ``asset``, those before sequence number ``before``."""
    return [e for e in registry.journal if e.asset == asset and e.kind == kind
            and (before is None or e.seq < before)]


def vintages(registry: Registry) -> list[str]:
    """Every right symbol the registry issued, ``product:zone:year``."""
    return sorted({e.asset for e in registry.journal if e.kind == "issue" and e.asset != CASH})


def outstanding(registry: Registry, asset: str, before: int | None = None) -> int:
    """Issued, less surrendered and retired other than for expiry (as of ``before``)."""
    issued = sum(e.amount for e in entries(registry, asset, "issue", before))
    surrendered = sum(e.amount for e in entries(registry, asset, "surrender", before))
    retired = sum(e.amount for e in entries(registry, asset, "retire", before)
                  if e.memo != "expired")
    return issued - surrendered - retired


def held_by_holders(world: World, asset: str) -> int:
    """Units any firm, government, bank or the exchange holds, in any bucket."""
    zone = asset.split(":")[1]
    own = {issuer_account(zone), retirement_account(zone)}
    return sum(world.registry.total(a, asset) for a in world.registry.accounts()
               if a not in own)


def expired(registry: Registry, asset: str) -> list[Entry]:
    return [e for e in entries(registry, asset, "retire") if e.memo == "expired"]


@pytest.mark.parametrize("design", ["integrated", "linked"])
def test_expired_rights_are_retired_at_their_years_close(design: str) -> None:
    world = run_world(f"exchange.design={{kind: {design}}}")
    registry = world.registry
    registry.audit()
    symbols = vintages(registry)
    years = sorted({int(s.split(":")[2]) for s in symbols})
    assert years == [2025, 2026]
    total = 0
    for symbol in symbols:
        zone, year = symbol.split(":")[1], int(symbol.split(":")[2])
        retired = expired(registry, symbol)
        assert {(e.debit_bucket, e.credit, e.credit_bucket) for e in retired} <= {
            ("available", retirement_account(zone), "available")}
        assert sum(e.amount for e in retired) == outstanding(registry, symbol), symbol
        assert held_by_holders(world, symbol) == 0, symbol
        total += sum(e.amount for e in retired)
        # After the year's true-up, before the next year's rights are issued.
        surrendered = [e.seq for e in registry.journal if e.kind == "surrender"
                       and int(e.asset.split(":")[2]) == year]
        later = [e.seq for e in registry.journal if e.kind == "issue"
                 and e.asset != CASH and int(e.asset.split(":")[2]) == year + 1]
        assert all(max(surrendered) < e.seq < min(later, default=e.seq + 1)
                   for e in retired), symbol
    assert total > 0, design  # the surplus was there to expire


def test_rights_still_valid_at_a_close_are_not_retired() -> None:
    world = run_world("pollutants.COD.validity_years=2")
    registry = world.registry
    first, second = "COD:basin:2025", "COD:basin:2026"
    assert vintages(registry) == [first, second]
    issued_second = min(e.seq for e in entries(registry, second, "issue"))
    # At the 2025 close firms held 2025 rights beyond the year's needs; they stay valid.
    assert outstanding(registry, first, before=issued_second) > 0
    assert [e for e in expired(registry, first) if e.seq < issued_second] == []
    # They count for the 2026 true-up too; what is left of them expires at its close.
    last_surrender = max(e.seq for e in registry.journal if e.kind == "surrender")
    assert all(e.seq > last_surrender for e in expired(registry, first))
    assert sum(e.amount for e in expired(registry, first)) == outstanding(registry, first)
    assert held_by_holders(world, first) == 0
    # 2026 rights would be valid in 2027: firms keep them.
    assert expired(registry, second) == []
    kept = sum(registry.total(firm, second) for firm in world.firms.ids)
    assert kept == outstanding(registry, second) > 0


def test_the_journal_dates_expiry_and_allocation_on_the_day_of_the_close() -> None:
    world = run_world()
    registry, calendar = world.registry, world.venue.calendar
    close = calendar.first_day(2026)  # the 2025 close is the midnight that opens 2026
    assert {e.day for e in expired(registry, "COD:basin:2025")} == {close}
    assert {e.day for e in entries(registry, "COD:basin:2026", "issue")} == {close}


def test_output_shocks_come_from_the_years_stream_and_scale_every_pollutant() -> None:
    """A year's emissions before abatement are the baseline times ``exp(e)``, with ``e``
    normal of mean ``-sigma**2 / 2`` (a mean-one shock) drawn from the stream
    ``("firms", "output", year)``: one draw per firm, the same for all its pollutants."""
    world = run_world()
    f = world.firms
    for year in world.venue.calendar.years_list:
        rng = Streams(2)("firms", "output", year)
        shock = np.exp(rng.normal(-f.output_sigma**2 / 2, f.output_sigma))
        assert np.allclose(world.years.current_t[year], f.baseline_t * shock[:, None],
                           rtol=1e-12)
        assert not np.allclose(shock, 1.0)


def test_at_a_years_start_firms_pay_out_what_they_hold_beyond_three_months_of_cash_flow(
        ) -> None:
    """After the dividend a paying firm holds three months of the new year's operating cash
    flow, then receives the month's flow: ``3/12 + 1/12`` of its yearly profit at the year's
    output."""
    world = build_world(load_scenario("tiny", SURPLUS), 2)
    cal, f, registry = world.venue.calendar, world.firms, world.registry
    second = cal.first_day(cal.start_year + 1)
    world.env.run(until=second + 0.1)  # the midnight phases are done, no market is open
    profit_fen = f.profit_yuan * f.current_output / f.output * 100
    paid = {e.debit for e in registry.journal if e.memo == "dividend" and e.day == second}
    assert len(paid) > len(f) // 2
    for k, account in enumerate(f.ids):
        if account in paid:
            expected = int(profit_fen[k] * 3 / 12) + int(round(profit_fen[k] / 12))
            assert registry.cash(account) == expected, account


def test_a_primary_auction_offers_the_cap_sells_at_or_above_the_reserve_and_retires_the_rest(
        ) -> None:
    """Both regulators auction their caps: the offer is the cap in whole lots (within a lot
    below it), every unit sold goes to a firm at a price no lower than the reserve (the
    reference price times ``reserve_multiple``), and what is not sold is retired."""
    world = build_world(load_scenario("tiny", [
        "regions.changshou.regulator.allocation=auction",
        "regions.guangan.regulator.allocation=auction"]), 2)
    world.run()
    registry, index = world.registry, 0
    for record in world.years.years:
        cap_t = sum(r.cap_t("COD", record.year - 2025) for r in world.regulators.values())
        assert cap_t - 0.1 < record.offered_t <= cap_t + 1e-9
        assert 0 < record.auctioned_t <= record.offered_t
        assert record.auction_price_yuan is not None and record.auction_price_yuan >= 2040
        symbol = f"COD:{record.zone}:{record.year}"
        unsold = sum(e.amount for e in registry.journal
                     if e.asset == symbol and e.memo == "unsold at auction") / 1_000
        assert unsold == pytest.approx(record.offered_t - record.auctioned_t)
        index += 1
    assert index == 2
    primary = [t for t in world.venue.trades if t.kind == "primary"]
    assert primary and all(t.buyer in world.firms.ids for t in primary)


def test_the_years_close_rates_firms_by_their_own_record() -> None:
    """Chongqing-style scores [L]: a clean year earns 4 points (up to 108), a shortfall costs
    25, unpaid dues 15. A tight cap with a low penalty leaves some firms short."""
    world = build_world(load_scenario("tiny", [
        "regions.changshou.regulator.cap_share={COD: 0.5}",
        "regions.changshou.regulator.penalty_multiple=0.2"]), 2)
    cal, f = world.venue.calendar, world.firms
    world.env.run(until=cal.first_day(2026) - 0.01)  # the last evening of 2025
    before = f.env_score.copy()
    world.env.run(until=cal.first_day(2026) + 0.01)  # 2025 closed
    short = np.zeros(len(f), dtype=bool)
    unpaid = np.zeros(len(f), dtype=bool)
    for year, t in world.years.true_ups:
        if year == 2025:
            short[t.firms] |= t.shortfall_t > 1e-9
            unpaid[t.firms] |= t.unpaid_yuan > 0.005
    assert short.any() and (~short).any()
    clean = ~(short | unpaid)
    expected = np.clip(before + 4 * clean - 25 * short - 15 * unpaid, 0, 108)
    assert np.array_equal(f.env_score, expected)
    emitted = world.years.emissions_t(2025)[:, 0]
    trued_up = sum(t.emissions_t.sum() for y, t in world.years.true_ups if y == 2025)
    assert emitted.sum() == pytest.approx(trued_up) and trued_up > 0
    assert np.all(emitted <= world.years.current_t[2025][:, 0] + 1e-9)


def test_the_closing_price_carries_into_the_next_vintages_reference() -> None:
    """The next vintage opens at the closing reference of the one before (the last close,
    not the scenario's starting price), and the year's record keeps that price in yuan/t."""
    world = build_world(load_scenario("tiny"), 2)
    cal = world.venue.calendar
    world.env.run(until=cal.first_day(2026) - 0.01)
    closing = {m.instrument.zone: m.reference_ticks for m in world.venue.markets.values()}
    world.env.run(until=cal.first_day(2026) + 0.01)
    opening = {m.instrument.zone: m.reference_ticks for m in world.venue.markets.values()
               if m.instrument.vintage == 2026}
    assert opening == closing
    record = next(r for r in world.years.years if r.year == 2025)
    lot = next(iter(world.venue.markets.values())).instrument
    assert record.last_price_yuan == pytest.approx(
        lot.yuan(closing["basin"]) / lot.lot_quantity)
