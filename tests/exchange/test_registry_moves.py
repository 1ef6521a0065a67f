"""The registry's buckets, queries and move checks, and an auditor that is seen to fail."""

from __future__ import annotations

import pytest

from exchange import (CASH, OUTSIDE, ExchangeError, Holding, InsufficientBalance, Registry,
                      issuer_account, retirement_account)

UNIT = "COD:changshou:2025"
ISSUER = issuer_account("changshou")
RETIRED = retirement_account("changshou")


def registry() -> Registry:
    """Issuer and retirement accounts, ``firm`` with 100 units and 5,000 fen, empty ``bank``."""
    reg = Registry(lambda: 0)
    reg.open_account(ISSUER, may_go_negative=True)
    reg.open_account(RETIRED)
    reg.open_account("firm", "changshou")
    reg.open_account("bank", "guangan")
    reg.issue(ISSUER, "firm", UNIT, 100)
    reg.transfer(OUTSIDE, "firm", CASH, 5_000)
    return reg


def spread_over_buckets() -> Registry:
    """``firm`` holds its 100 units as 50 available, 30 locked and 20 pledged."""
    reg = registry()
    reg.lock("firm", UNIT, 30)
    reg.pledge("firm", UNIT, 20)
    return reg


# ---- queries -----------------------------------------------------------------------------


def test_total_counts_every_bucket_and_unpledged_leaves_out_the_pledge() -> None:
    reg = spread_over_buckets()
    assert reg.holding("firm", UNIT) == Holding(50, 30, 20)
    assert reg.total("firm", UNIT) == 100  # 50 + 30 + 20
    assert reg.unpledged("firm", UNIT) == 80  # 50 + 30
    assert reg.available("firm", UNIT) == 50


def test_queries_of_an_asset_never_held_are_zero() -> None:
    reg = registry()
    assert reg.total("bank", UNIT) == 0
    assert reg.unpledged("bank", UNIT) == 0
    assert reg.available("bank", UNIT) == 0
    assert reg.cash("bank") == 0
    assert reg.holding("bank", UNIT) == Holding(0, 0, 0)
    assert reg.assets_of("bank") == {}


def test_cash_is_available_fen_only() -> None:
    reg = registry()
    reg.lock("firm", CASH, 1_200)
    assert reg.cash("firm") == 3_800  # 5,000 - 1,200 locked


def test_assets_of_lists_what_is_held_in_any_bucket() -> None:
    reg = spread_over_buckets()
    reg.transfer("firm", "bank", CASH, 5_000)  # firm's cash row is now all zero
    assert reg.assets_of("firm") == {UNIT: Holding(50, 30, 20)}
    assert reg.assets_of("bank") == {CASH: Holding(5_000, 0, 0)}


def test_accounts_and_regions_are_as_opened() -> None:
    reg = registry()
    assert reg.accounts() == [OUTSIDE, ISSUER, RETIRED, "firm", "bank"]
    assert reg.region_of("firm") == "changshou"
    assert reg.region_of("bank") == "guangan"
    assert reg.region_of(OUTSIDE) is None
    with pytest.raises(ExchangeError):
        reg.region_of("nobody")


def test_queries_of_an_unknown_account_raise() -> None:
    reg = registry()
    for query in (reg.total, reg.unpledged, reg.available):
        with pytest.raises(ExchangeError):
            query("nobody", UNIT)
    with pytest.raises(ExchangeError):
        reg.assets_of("nobody")


# ---- moves -------------------------------------------------------------------------------


def test_outside_may_go_negative_and_a_new_issuer_may_issue() -> None:
    reg = Registry(lambda: 0)
    reg.open_account("firm")
    reg.transfer(OUTSIDE, "firm", CASH, 700)
    assert reg.holding(OUTSIDE, CASH) == Holding(-700, 0, 0)
    reg.open_account("issuer:basin", may_go_negative=True)
    reg.issue("issuer:basin", "firm", UNIT, 3)
    assert reg.total("issuer:basin", UNIT) == -3
    reg.audit()


def test_an_ordinary_account_cannot_issue_or_overdraw() -> None:
    reg = registry()
    with pytest.raises(ExchangeError):
        reg.issue("firm", "bank", UNIT, 1)
    with pytest.raises(InsufficientBalance):
        reg.transfer("bank", "firm", UNIT, 1)
    assert reg.total("bank", UNIT) == 0 and reg.total("firm", UNIT) == 100


def test_a_move_from_an_unknown_account_is_an_exchange_error() -> None:
    reg = registry()
    with pytest.raises(ExchangeError, match="unknown account 'nobody'"):
        reg.transfer("nobody", "firm", CASH, 1)
    with pytest.raises(ExchangeError, match="unknown account 'nobody'"):
        reg.transfer("firm", "nobody", CASH, 1)
    assert reg.cash("firm") == 5_000


def test_the_whole_balance_may_be_moved() -> None:
    reg = registry()
    reg.transfer("firm", "bank", UNIT, 100)  # exactly what it has: not an overdraft
    assert reg.total("firm", UNIT) == 0 and reg.total("bank", UNIT) == 100


def test_journal_days_start_at_zero() -> None:
    reg = registry()
    assert {e.day for e in reg.journal} == {0}


def test_journal_records_the_buckets_of_a_lock() -> None:
    reg = registry()
    reg.lock("firm", UNIT, 4, memo="order 9")
    last = reg.journal[-1]
    assert (last.kind, last.debit, last.debit_bucket, last.credit, last.credit_bucket,
            last.amount, last.memo) == ("lock", "firm", "available", "firm", "locked", 4,
                                        "order 9")


def test_retire_outstanding_takes_a_single_unit_too() -> None:
    reg = registry()
    reg.transfer("firm", "bank", UNIT, 99)  # firm keeps exactly 1
    assert reg.retire_outstanding(UNIT, RETIRED) == 100  # 99 + 1
    assert reg.total("firm", UNIT) == 0 and reg.total(RETIRED, UNIT) == 100
    assert reg.total(ISSUER, UNIT) == -100  # issuers are never retired from


# ---- the auditor fails when conservation breaks ------------------------------------------
# The public API keeps the double entry, so the breakages below come from subclasses that
# stand for a faulty change to the registry: each skips one half of the bookkeeping.


class OneSidedRegistry(Registry):
    """Credits without a debit and without a journal line: value made from nothing."""

    def credit_only(self, account: str, asset: str, amount: int) -> None:
        self._balances[account][asset][0] += amount


class UnjournaledRegistry(Registry):
    """Moves balances in pairs but forgets the journal line of every transfer."""

    def transfer(self, frm: str, to: str, asset: str, amount: int, memo: str = "") -> None:
        before = len(self.journal)
        super().transfer(frm, to, asset, amount, memo)
        del self._journal[before:]


class UncheckedRegistry(Registry):
    """Lets one transfer overdraw an ordinary account (a skipped balance check)."""

    def overdraw(self, frm: str, to: str, asset: str, amount: int) -> None:
        self._may_go_negative.add(frm)
        try:
            self.transfer(frm, to, asset, amount)
        finally:
            self._may_go_negative.discard(frm)


def fill(reg: Registry) -> Registry:
    reg.open_account("firm")
    reg.open_account("bank")
    reg.move("endow", OUTSIDE, "firm", CASH, 1_000)  # a move no subclass here alters
    reg.audit()  # sound so far
    return reg


def test_audit_fails_when_value_is_made_from_nothing() -> None:
    reg = fill(OneSidedRegistry(lambda: 0))
    reg.credit_only("bank", CASH, 250)
    # outside -1,000 + firm 1,000 + bank 250 = 250 fen more than was ever put in.
    assert reg.totals() == {CASH: 250}
    with pytest.raises(ExchangeError, match="CNY sums to 250, not 0"):
        reg.audit()
    with pytest.raises(ExchangeError, match="sums to 250"):
        reg.audit(replay=False)


def test_audit_fails_when_the_journal_misses_a_move() -> None:
    reg = fill(UnjournaledRegistry(lambda: 0))
    reg.transfer("firm", "bank", CASH, 300)
    # Balances still sum to zero, but replaying the journal leaves firm at 1,000, not 700.
    assert reg.totals() == {CASH: 0}
    with pytest.raises(ExchangeError, match="journal disagrees on firm CNY"):
        reg.audit()
    reg.audit(replay=False)  # without the replay only sums and signs are checked


def test_audit_fails_on_an_overdrawn_account() -> None:
    reg = fill(UncheckedRegistry(lambda: 0))
    reg.overdraw("bank", "firm", CASH, 40)
    # bank -40, firm 1,040, outside -1,000: the sum is zero and the journal agrees.
    assert reg.holding("bank", CASH) == Holding(-40, 0, 0)
    with pytest.raises(ExchangeError, match="bank CNY is negative"):
        reg.audit()
    with pytest.raises(ExchangeError, match="bank CNY is negative"):
        reg.audit(replay=False)
