"""The registry: double entry, buckets, pledges and the journal audit."""

from __future__ import annotations

from collections.abc import Callable

from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchange import (CASH, OUTSIDE, ExchangeError, Holding, InsufficientBalance, Registry,
                      issuer_account, retirement_account)

UNIT = "COD:changshou:2025"
ISSUER = issuer_account("changshou")
RETIRED = retirement_account("changshou")


def registry(today: Callable[[], int] = lambda: 0) -> Registry:
    reg = Registry(today)
    reg.open_account(ISSUER, may_go_negative=True)
    reg.open_account(RETIRED)
    reg.open_account("firm", "changshou")
    reg.open_account("bank", "changshou")
    reg.issue(ISSUER, "firm", UNIT, 100)
    reg.transfer(OUTSIDE, "firm", CASH, 5_000)
    return reg


def test_retire_outstanding_takes_only_what_holders_have_available() -> None:
    reg = registry()
    reg.transfer("firm", "bank", UNIT, 30)
    reg.pledge("bank", UNIT, 10)
    reg.surrender("firm", RETIRED, UNIT, 20)

    assert reg.retire_outstanding(UNIT, RETIRED, memo="expired") == 50 + 20
    assert reg.holding("firm", UNIT) == Holding(0, 0, 0)
    assert reg.holding("bank", UNIT) == Holding(0, 0, 10)  # a pledge is not taken
    assert reg.total(RETIRED, UNIT) == 90
    assert reg.retire_outstanding(UNIT, RETIRED) == 0
    reg.audit()


def test_issue_and_transfer_conserve() -> None:
    reg = registry()
    reg.transfer("firm", "bank", UNIT, 30)
    reg.transfer("firm", "bank", CASH, 1_000)
    assert reg.holding("firm", UNIT) == Holding(70, 0, 0)
    assert reg.holding("bank", UNIT) == Holding(30, 0, 0)
    assert reg.holding(ISSUER, UNIT).total == -100
    assert reg.cash("firm") == 4_000 and reg.cash("bank") == 1_000
    assert reg.totals() == {UNIT: 0, CASH: 0}
    reg.audit()


def test_overdraft_raises_and_moves_nothing() -> None:
    reg = registry()
    before = (reg.holding("firm", UNIT), reg.holding("bank", UNIT), len(reg.journal))
    with pytest.raises(InsufficientBalance):
        reg.transfer("firm", "bank", UNIT, 101)
    with pytest.raises(InsufficientBalance):
        reg.transfer("bank", "firm", CASH, 1)
    assert (reg.holding("firm", UNIT), reg.holding("bank", UNIT), len(reg.journal)) == before
    reg.audit()


@pytest.mark.parametrize("call", [
    lambda reg: reg.transfer("firm", "bank", UNIT, -1),
    lambda reg: reg.transfer("firm", "nobody", UNIT, 1),
    lambda reg: reg.holding("nobody", UNIT),
    lambda reg: reg.open_account("firm"),
    lambda reg: reg.issue("bank", "firm", UNIT, 1),
])
def test_bad_requests_raise(call) -> None:
    reg = registry()
    with pytest.raises(ExchangeError):
        call(reg)
    reg.audit()


def test_zero_amount_is_not_journaled() -> None:
    reg = registry()
    n = len(reg.journal)
    reg.transfer("firm", "bank", UNIT, 0)
    assert len(reg.journal) == n


def test_pledged_units_cannot_be_sold_or_surrendered() -> None:
    reg = registry()
    reg.pledge("firm", UNIT, 60)
    assert reg.holding("firm", UNIT) == Holding(40, 0, 60)
    with pytest.raises(InsufficientBalance):
        reg.lock("firm", UNIT, 41)  # what an order to sell 41 would need to reserve
    with pytest.raises(InsufficientBalance):
        reg.surrender("firm", RETIRED, UNIT, 41)
    with pytest.raises(InsufficientBalance):
        reg.transfer("firm", "bank", UNIT, 41)
    reg.surrender("firm", RETIRED, UNIT, 40)
    assert reg.holding("firm", UNIT) == Holding(0, 0, 60)
    assert reg.holding(RETIRED, UNIT) == Holding(40, 0, 0)
    reg.audit()


def test_release_and_foreclose_conserve() -> None:
    reg = registry()
    reg.pledge("firm", UNIT, 60)
    reg.release("firm", UNIT, 10)
    assert reg.holding("firm", UNIT) == Holding(50, 0, 50)
    with pytest.raises(InsufficientBalance):
        reg.foreclose("firm", "bank", UNIT, 51)
    reg.foreclose("firm", "bank", UNIT, 50)
    assert reg.holding("firm", UNIT) == Holding(50, 0, 0)
    assert reg.holding("bank", UNIT) == Holding(50, 0, 0)
    with pytest.raises(InsufficientBalance):
        reg.release("firm", UNIT, 1)
    assert reg.totals()[UNIT] == 0
    reg.audit()


def test_locked_units_are_not_available() -> None:
    reg = registry()
    reg.lock("firm", UNIT, 70)
    with pytest.raises(InsufficientBalance):
        reg.transfer("firm", "bank", UNIT, 31)
    with pytest.raises(InsufficientBalance):
        reg.unlock("firm", UNIT, 71)
    reg.unlock("firm", UNIT, 70)
    assert reg.holding("firm", UNIT) == Holding(100, 0, 0)


def test_journal_is_stamped_and_ordered() -> None:
    today = [0]
    reg = registry(lambda: today[0])
    today[0] = 7
    reg.transfer("firm", "bank", UNIT, 5, memo="gift")
    today[0] = 9
    reg.transfer("bank", "firm", UNIT, 2, memo="back")
    first, last = reg.journal[-2:]
    assert (first.day, first.kind, first.debit, first.credit, first.asset, first.amount,
            first.memo) == (7, "transfer", "firm", "bank", UNIT, 5, "gift")
    assert (last.day, last.amount) == (9, 2)  # each move dated when it happens
    assert [e.seq for e in reg.journal] == list(range(len(reg.journal)))
    assert reg.assets_of("bank") == {UNIT: Holding(3, 0, 0)}


# ---- random operations against a model ---------------------------------------------------

ACCOUNTS = ["firm", "bank", RETIRED]
BUCKET_OF = {"available": 0, "locked": 1, "pledged": 2}
# operation -> (debit bucket, credit bucket, crosses accounts)
OPERATIONS = {
    "transfer": ("available", "available", True),
    "surrender": ("available", "available", True),
    "foreclose": ("pledged", "available", True),
    "lock": ("available", "locked", False),
    "unlock": ("locked", "available", False),
    "pledge": ("available", "pledged", False),
    "release": ("pledged", "available", False),
}

ops = st.lists(st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(ACCOUNTS), st.integers(0, 50)),
    st.tuples(st.sampled_from(sorted(OPERATIONS)), st.sampled_from(ACCOUNTS),
              st.sampled_from(ACCOUNTS), st.sampled_from([UNIT, CASH]), st.integers(0, 60)),
), max_size=60)


def apply(reg: Registry, op: tuple) -> None:
    match op:
        case ("issue", to, amount):
            reg.issue(ISSUER, to, UNIT, amount)
        case ("transfer", frm, to, asset, amount):
            reg.transfer(frm, to, asset, amount)
        case ("surrender", frm, to, asset, amount):
            reg.surrender(frm, to, asset, amount)
        case ("foreclose", frm, to, asset, amount):
            reg.foreclose(frm, to, asset, amount)
        case (name, account, _, asset, amount):
            {"lock": reg.lock, "unlock": reg.unlock, "pledge": reg.pledge,
             "release": reg.release}[name](account, asset, amount)


@given(ops)
def test_random_operations_conserve_and_audit(operations: list[tuple]) -> None:
    reg = registry()
    reg.transfer(OUTSIDE, "bank", CASH, 3_000)
    model: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    model["firm", UNIT][0] = 100
    model["firm", CASH][0] = 5_000
    model["bank", CASH][0] = 3_000
    issued = 100
    for op in operations:
        if op[0] == "issue":
            _, to, amount = op
            model[to, UNIT][0] += amount
            issued += amount
            apply(reg, op)
            continue
        name, frm, to, asset, amount = op
        debit_bucket, credit_bucket, crosses = OPERATIONS[name]
        to = to if crosses else frm
        src, dst = model[frm, asset], model[to, asset]
        i, j = BUCKET_OF[debit_bucket], BUCKET_OF[credit_bucket]
        if src[i] < amount:
            with pytest.raises(InsufficientBalance):
                apply(reg, op)
        else:
            apply(reg, op)
            src[i] -= amount
            dst[j] += amount
    reg.audit()
    assert reg.totals().get(UNIT, 0) == 0 and reg.totals().get(CASH, 0) == 0
    for account in ACCOUNTS:
        for asset in (UNIT, CASH):
            held = reg.holding(account, asset)
            assert [held.available, held.locked, held.pledged] == model[account, asset]
            assert min(held.available, held.locked, held.pledged) >= 0
    assert sum(reg.holding(a, UNIT).total for a in ACCOUNTS) == issued
    assert sum(reg.holding(a, CASH).total for a in ACCOUNTS) == 8_000
    replay: dict[tuple[str, str], int] = defaultdict(int)
    for entry in reg.journal:
        replay[entry.debit, entry.asset] -= entry.amount
        replay[entry.credit, entry.asset] += entry.amount
    for account in ACCOUNTS:
        for asset in (UNIT, CASH):
            assert replay[account, asset] == reg.holding(account, asset).total
