"""The registry: who holds which rights and how much cash, kept by double entry.

Every move debits one balance and credits another, so for each asset the sum over all
accounts is zero at all times. Units enter through an *issuer* account (which goes negative
by what it has issued) and cash through the ``outside`` account (the world beyond the model:
endowments, abatement spending). Surrendered and expired units go to retirement accounts
rather than vanishing. That single invariant is what the conservation tests check.

Each balance has three buckets: ``available`` (free to use), ``locked`` (reserved for open
orders and unsettled trades) and ``pledged`` (collateral; neither sold nor surrendered).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral
from typing import Literal

from exchange.orders import ExchangeError, InsufficientBalance

CASH = "CNY"  # cash is held in fen under this asset code
OUTSIDE = "outside"

Bucket = Literal["available", "locked", "pledged"]
_BUCKETS: dict[str, int] = {"available": 0, "locked": 1, "pledged": 2}


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the append-only journal: ``amount`` of ``asset`` moved between balances."""

    seq: int
    day: int
    kind: str
    debit: str
    debit_bucket: str
    credit: str
    credit_bucket: str
    asset: str
    amount: int
    memo: str


@dataclass(frozen=True, slots=True)
class Holding:
    available: int
    locked: int
    pledged: int

    @property
    def total(self) -> int:
        return self.available + self.locked + self.pledged


def _whole_amount(kind: str, amount: object) -> int:
    """``amount`` as an ``int`` if it is a whole number (numpy integers too).

    Raises:
        ExchangeError: a float (NaN and inf, which compare false with everything and would
            pass the overdraft check), a bool or anything else.
    """
    if isinstance(amount, Integral) and not isinstance(amount, bool):
        return int(amount)
    raise ExchangeError(f"{kind}: amount must be a whole number, got {amount!r}")


class Registry:
    """Accounts, balances and the journal.

    Args:
        today: the business day, asked at every move to date its journal entry (in a run,
            the day schedule's clock; on its own, any function, e.g. ``lambda: 0``).
    """

    def __init__(self, today: Callable[[], int]) -> None:
        self._today = today
        self._balances: dict[str, dict[str, list[int]]] = {}
        self._may_go_negative: set[str] = {OUTSIDE}
        self._regions: dict[str, str | None] = {}
        self._journal: list[tuple[int, str, str, str, str, str, str, int, str]] = []
        self.open_account(OUTSIDE, may_go_negative=True)

    # ---- accounts ------------------------------------------------------------------------

    def open_account(self, account: str, region: str | None = None, *,
                     may_go_negative: bool = False) -> None:
        """Create an account. Issuers and ``outside`` may go negative; nobody else can.

        Raises:
            ExchangeError: the account exists already.
        """
        if account in self._balances:
            raise ExchangeError(f"account {account!r} exists already")
        self._balances[account] = defaultdict(lambda: [0, 0, 0])
        self._regions[account] = region
        if may_go_negative:
            self._may_go_negative.add(account)

    def region_of(self, account: str) -> str | None:
        return self._regions[self._check(account)]

    def accounts(self) -> list[str]:
        return list(self._balances)

    def holding(self, account: str, asset: str) -> Holding:
        """The three buckets of one account's balance of ``asset``."""
        row = self._balances[self._check(account)].get(asset)
        return Holding(*row) if row else Holding(0, 0, 0)

    def total(self, account: str, asset: str) -> int:
        """Everything an account holds of ``asset``: available, locked and pledged."""
        row = self._balances[self._check(account)].get(asset)
        return row[0] + row[1] + row[2] if row else 0

    def unpledged(self, account: str, asset: str) -> int:
        """Available plus locked: what the account could sell once its orders are gone."""
        row = self._balances[self._check(account)].get(asset)
        return row[0] + row[1] if row else 0

    def available(self, account: str, asset: str) -> int:
        row = self._balances[self._check(account)].get(asset)
        return row[0] if row else 0

    def cash(self, account: str) -> int:
        """Available cash in fen."""
        return self.available(account, CASH)

    def assets_of(self, account: str) -> dict[str, Holding]:
        return {a: Holding(*row) for a, row in self._balances[self._check(account)].items()
                if any(row)}

    # ---- moves ---------------------------------------------------------------------------

    def move(self, kind: str, debit: str, credit: str, asset: str, amount: int, *,
             debit_bucket: Bucket = "available", credit_bucket: Bucket = "available",
             memo: str = "") -> None:
        """Take ``amount`` of ``asset`` from one balance and add it to another.

        Raises:
            ExchangeError: an unknown account, or an amount that is negative or not a whole
                number (a float, NaN, inf or bool).
            InsufficientBalance: the debited balance would go below zero.
        """
        if type(amount) is not int:
            amount = _whole_amount(kind, amount)
        if amount <= 0:
            if amount < 0:
                raise ExchangeError(f"{kind}: amount must not be negative, got {amount}")
            return
        balances = self._balances
        if debit not in balances or credit not in balances:
            self._check(debit)
            self._check(credit)
        src = balances[debit][asset]
        dst = balances[credit][asset]
        i, j = _BUCKETS[debit_bucket], _BUCKETS[credit_bucket]
        if src[i] < amount and debit not in self._may_go_negative:
            raise InsufficientBalance(
                f"{kind}: {debit} has {src[i]} {asset} {debit_bucket}, needs {amount}")
        src[i] -= amount
        dst[j] += amount
        # Plain tuples: this is the hottest line of a run; Entry objects are made on read.
        self._journal.append((self._today(), kind, debit, debit_bucket, credit, credit_bucket,
                              asset, amount, memo))

    def issue(self, issuer: str, to: str, asset: str, amount: int, memo: str = "") -> None:
        """Create units: the issuer's balance goes negative by what it has put out."""
        if issuer not in self._may_go_negative:
            raise ExchangeError(f"issue: {issuer!r} is not an issuer account")
        self.move("issue", issuer, to, asset, amount, memo=memo)

    def transfer(self, frm: str, to: str, asset: str, amount: int, memo: str = "") -> None:
        self.move("transfer", frm, to, asset, amount, memo=memo)

    def lock(self, account: str, asset: str, amount: int, memo: str = "") -> None:
        self.move("lock", account, account, asset, amount, credit_bucket="locked", memo=memo)

    def unlock(self, account: str, asset: str, amount: int, memo: str = "") -> None:
        self.move("unlock", account, account, asset, amount, debit_bucket="locked", memo=memo)

    def surrender(self, account: str, retirement: str, asset: str, amount: int,
                  memo: str = "") -> None:
        """Give units up for compliance; they land in the regulator's retirement account."""
        self.move("surrender", account, retirement, asset, amount, memo=memo)

    def retire(self, account: str, retirement: str, asset: str, amount: int,
               memo: str = "") -> None:
        """Take expired or cancelled units out of use."""
        self.move("retire", account, retirement, asset, amount, memo=memo)

    def retire_outstanding(self, asset: str, retirement: str, memo: str = "") -> int:
        """Retire every available unit of ``asset`` that holders still have (issuers and
        the retirement account aside), as rights expire; return how many units."""
        total = 0
        for account, balances in self._balances.items():
            row = balances.get(asset)
            if row and row[0] > 0 and account != retirement \
                    and account not in self._may_go_negative:
                total += row[0]
                self.retire(account, retirement, asset, row[0], memo=memo)
        return total

    def pledge(self, account: str, asset: str, amount: int, memo: str = "") -> None:
        """Mark units as collateral: they can be neither sold nor surrendered until released."""
        self.move("pledge", account, account, asset, amount, credit_bucket="pledged", memo=memo)

    def release(self, account: str, asset: str, amount: int, memo: str = "") -> None:
        self.move("release", account, account, asset, amount, debit_bucket="pledged", memo=memo)

    def foreclose(self, account: str, lender: str, asset: str, amount: int,
                  memo: str = "") -> None:
        """Hand pledged units to the lender on default."""
        self.move("foreclose", account, lender, asset, amount, debit_bucket="pledged", memo=memo)

    # ---- audit ---------------------------------------------------------------------------

    @property
    def journal(self) -> tuple[Entry, ...]:
        return tuple(Entry(seq, *row) for seq, row in enumerate(self._journal))

    def totals(self) -> dict[str, int]:
        """Sum of every balance per asset across all accounts; zero when nothing leaked."""
        out: dict[str, int] = defaultdict(int)
        for balances in self._balances.values():
            for asset, row in balances.items():
                out[asset] += sum(row)
        return dict(out)

    def audit(self, *, replay: bool = True) -> None:
        """Check the invariants: sums are zero, no balance is negative where it may not be,
        and (with ``replay``) replaying the journal gives today's balances.

        Raises:
            ExchangeError: naming the first broken invariant.
        """
        for asset, total in self.totals().items():
            if total:
                raise ExchangeError(f"audit: {asset} sums to {total}, not 0")
        replayed: dict[tuple[str, str, int], int] = defaultdict(int)
        for _, _, debit, debit_bucket, credit, credit_bucket, asset, amount, _ in (
                self._journal if replay else ()):
            replayed[debit, asset, _BUCKETS[debit_bucket]] -= amount
            replayed[credit, asset, _BUCKETS[credit_bucket]] += amount
        for account, balances in self._balances.items():
            for asset, row in balances.items():
                for i, amount in enumerate(row):
                    if replay and amount != replayed[account, asset, i]:
                        raise ExchangeError(f"audit: journal disagrees on {account} {asset}")
                    if amount < 0 and account not in self._may_go_negative:
                        raise ExchangeError(f"audit: {account} {asset} is negative")

    def _check(self, account: str) -> str:
        if account not in self._balances:
            raise ExchangeError(f"unknown account {account!r}")
        return account
