"""The compliance year: rights that expire at a year's close are retired, valid ones stay."""

from __future__ import annotations

import pytest

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
