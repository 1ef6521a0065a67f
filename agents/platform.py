"""The shared credit-information platform: what a bank can know of a firm of either region.

Modelled on the Yangtze green-finance data platform of the Chongqing pilot zone ("长江绿融通",
linking about 100 institutions; reference/domain.md s. 0) and the 2018 rules' shared
financing ledger (融资台账). The platform holds, for firms of both regions, what the scenario
says it shares, each as it was ``lag_months`` ago (0: today):

- ``debts``: every firm's total debt across all banks. Without it a bank sees its own
  loans only.
- ``ratings``: the environmental credit grades. A region's regulator publishes its own
  firms' grades to the region's banks (the red and green lists of 渝环规〔2021〕7号 [H]);
  only the platform shows them across the border. A bank that cannot see a grade takes the
  firm for ``assumed_grade`` (blue, the commonest grade [L]).
- ``pledges``: rights pledged in either region's registry. Only a bank that can see and
  register pledges in the other region takes rights registered there as collateral.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["ITEMS", "CreditPlatform", "Item"]

Item = Literal["debts", "ratings", "pledges"]
ITEMS: tuple[Item, ...] = ("debts", "ratings", "pledges")


class CreditPlatform:
    """Lagged snapshots of firms' debts and grades, and which items banks share.

    Args:
        shared: the items on the platform.
        lag_months: months between a fact and its appearing on the platform.
        assumed_grade: grade index a bank gives a firm whose grade it cannot see.

    Raises:
        ValueError: an unknown item, a negative lag or a grade outside 0-3.
    """

    def __init__(self, shared: frozenset[str], lag_months: int, assumed_grade: int = 1
                 ) -> None:
        unknown = set(shared) - set(ITEMS)
        if unknown:
            raise ValueError(f"shared: unknown items {sorted(unknown)}")
        if lag_months < 0:
            raise ValueError(f"lag_months: must be at least 0, got {lag_months}")
        if not 0 <= assumed_grade <= 3:
            raise ValueError(f"assumed_grade: must be 0-3, got {assumed_grade}")
        self.shared = frozenset(shared)
        self.lag = lag_months
        self.assumed_grade = assumed_grade
        self._debts: list[np.ndarray] = []
        self._grades: list[np.ndarray] = []

    def shares(self, item: str) -> bool:
        """Whether ``item`` is on the platform."""
        return item in self.shared

    def record(self, debt_fen: np.ndarray, grades: np.ndarray) -> None:
        """File the month's debts and grades (called once a month, after debt service)."""
        self._debts.append(debt_fen.copy())
        self._grades.append(np.asarray(grades).copy())

    def debt_fen(self, firm: int, live: int) -> int | None:
        """The firm's total debt as the platform shows it, fen; ``live`` is today's, used
        without a lag; 0 before anything was filed; None when debts are not shared."""
        if not self.shares("debts"):
            return None
        if self.lag == 0:
            return live
        return int(self._lagged(self._debts)[firm]) if self._debts else 0

    def grade(self, firm: int, live: int, home: bool) -> int:
        """The grade a bank sees: today's for a firm of its own region (``home``) or when
        shared without a lag, the lagged one when shared, else ``assumed_grade``."""
        if home or (self.shares("ratings") and self.lag == 0):
            return live
        if not self.shares("ratings"):
            return self.assumed_grade
        return int(self._lagged(self._grades)[firm]) if self._grades else self.assumed_grade

    def _lagged(self, history: list[np.ndarray]) -> np.ndarray:
        return history[max(0, len(history) - 1 - self.lag)]
