"""Firms as numpy columns, and the pure economics of their decisions.

A firm emits several pollutants. For each, its cost of abating ``a`` tonnes a year is
``C(a) = intercept * a + slope * a**2 / 2``, so its marginal abatement cost (MAC) is
``intercept + slope * a`` (the intercept, 0 by default, is what the first tonne costs).
Every tonne still emitted pays the environmental protection tax, so abatement saves ``tax``
a tonne: a firm abates ``(tax - intercept) / slope`` tonnes (if positive) even with no cap,
and a permit is worth ``intercept + slope * a - tax`` at the margin, never more than the
penalty for lacking it. The decisions below therefore take ``net_tax = tax - intercept``
where the formulas of a zero intercept take ``tax``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import overload

import numpy as np

STRATEGIES = ("truthful", "zic", "manual")
"""``truthful``: orders at the firm's own marginal value (MAC-truthful).
``zic``: zero-intelligence constrained (Gode & Sunder 1993): random prices that never lose
money against the marginal value.
``manual``: sends no orders of its own; a person (or a script) trades for it."""


@dataclass
class Firms:
    """The firm population, one row per firm; pollutant columns follow ``pollutants``.

    Attributes:
        ids: registry account of each firm.
        region: region name of each firm.
        sector: sector name of each firm.
        pollutants: column order of the per-pollutant arrays.
        baseline_t: historic emissions without abatement, t/yr, shape (n, P).
        slope: MAC slope, yuan per t per t abated, shape (n, P).
        tax: environmental protection tax, yuan/t, shape (n, P).
        output: yearly output in arbitrary units, for benchmark allocation, shape (n,).
        strategy: index into STRATEGIES, shape (n,).
        output_sigma: yearly standard deviation of the log output shock, shape (n,).
        profit_yuan: yearly operating cash flow before environmental costs at normal
            output, yuan, shape (n,); it scales with the year's output.
        intercept: MAC at zero abatement, yuan/t, shape (n, P), >= 0; zeros if not given.
    """

    ids: tuple[str, ...]
    region: np.ndarray
    sector: np.ndarray
    pollutants: tuple[str, ...]
    baseline_t: np.ndarray
    slope: np.ndarray
    tax: np.ndarray
    output: np.ndarray
    strategy: np.ndarray
    output_sigma: np.ndarray
    profit_yuan: np.ndarray
    intercept: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    def __post_init__(self) -> None:
        n, p = len(self.ids), len(self.pollutants)
        if self.intercept.size == 0:
            self.intercept = np.zeros((n, p))
        for name in ("baseline_t", "slope", "tax", "intercept"):
            if getattr(self, name).shape != (n, p):
                raise ValueError(f"{name} must have shape ({n}, {p})")
        if np.any(self.slope <= 0):
            raise ValueError("slope must be positive")
        if np.any(self.intercept < 0):
            raise ValueError("intercept must be >= 0")
        self.current_t = self.baseline_t.copy()
        self.current_output = self.output.copy()
        # Environmental credit score (agents.ratings) and whether the firm has defaulted.
        self.env_score = np.full(len(self.ids), 90.0)
        self.defaulted = np.zeros(len(self.ids), dtype=bool)
        # Abatement a person has chosen for this year, t; NaN leaves it to the true-up rule.
        self.abatement_plan_t = np.full_like(self.baseline_t, np.nan)
        self.version = 0
        """Counts changes of the columns a decision reads: whoever keeps a copy of them
        compares versions. Every change goes through a method below, which counts it."""

    def __len__(self) -> int:
        return len(self.ids)

    def draw_year(self, rng: np.random.Generator) -> None:
        """Draw this year's output shocks; emissions without abatement scale with output."""
        shock = np.exp(rng.normal(-self.output_sigma**2 / 2, self.output_sigma))
        self.current_output = self.output * shock
        self.current_t = self.baseline_t * shock[:, None]
        self.abatement_plan_t[:] = np.nan
        self.version += 1

    def cut_output(self, hit: np.ndarray, share: float) -> None:
        """Output, and so emissions without abatement, of the ``hit`` firms fall by
        ``share`` for the rest of the year."""
        self.current_t[hit] *= 1 - share
        self.current_output[hit] *= 1 - share
        self.version += 1

    def scale_profit(self, hit: np.ndarray, factor: float) -> None:
        """The ``hit`` firms' operating cash flow at normal output is multiplied by
        ``factor`` from now on (a cost that scales with output, such as a carbon price)."""
        self.profit_yuan[hit] *= factor
        self.version += 1

    def cut_slope(self, firm: int, share: float) -> None:
        """An abatement investment lowers the firm's MAC slopes by ``share``."""
        self.slope[firm] *= 1 - share
        self.version += 1

    def default(self, firm: int) -> None:
        self.defaulted[firm] = True
        self.version += 1

    def rate(self, scores: np.ndarray) -> None:
        """Set the environmental credit scores (agents.ratings)."""
        self.env_score = scores
        self.version += 1

    def plan_abatement(self, firm: int, pollutant: int, tonnes: float | None) -> None:
        """A person's abatement choice for this year, t; None leaves it to the true-up."""
        self.abatement_plan_t[firm, pollutant] = np.nan if tonnes is None else tonnes
        self.version += 1

    @property
    def current_profit_yuan(self) -> np.ndarray:
        """This year's operating cash flow, yuan."""
        profit: np.ndarray = self.profit_yuan * self.current_output / self.output
        return profit

    def pollutant(self, name: str) -> int:
        return self.pollutants.index(name)

    @property
    def net_tax(self) -> np.ndarray:
        """``tax - intercept``: what the decision rules take for the tax (module docstring)."""
        net: np.ndarray = self.tax - self.intercept
        return net


@overload
def abatement_cost(slope: np.ndarray, abatement_t: np.ndarray | float,
                   intercept: np.ndarray | float = ...) -> np.ndarray: ...
@overload
def abatement_cost(slope: float, abatement_t: np.ndarray,
                   intercept: np.ndarray | float = ...) -> np.ndarray: ...
@overload
def abatement_cost(slope: float, abatement_t: float, intercept: float = ...) -> float: ...
def abatement_cost(slope: np.ndarray | float, abatement_t: np.ndarray | float,
                   intercept: np.ndarray | float = 0.0) -> np.ndarray | float:
    """Resource cost of abating, ``intercept * a + slope * a**2 / 2``, yuan."""
    return slope * np.square(abatement_t) / 2 + intercept * abatement_t


def permit_value(slope: float, tax: float, need_t: float, tonnes: float, penalty: float
                 ) -> float:
    """Marginal value in yuan/t of the permit at ``tonnes`` into a position.

    ``need_t`` is the abatement the firm's current holdings oblige it to (emissions minus
    holdings). Buying moves the position to ``need_t - tonnes``, selling to ``need_t +
    tonnes``; pass the midpoint of the lot in question (positive when buying the k-th lot,
    negative when selling it). The value is the MAC there net of the tax the abatement
    saves, floored at zero and capped at the penalty a missing permit would cost. ``tax``
    is net of the MAC intercept (``tax - intercept``); at a position that needs no
    abatement the permit is worth nothing, whatever the intercept.
    """
    abated = need_t - tonnes
    if abated <= 0.0:
        return 0.0
    value = slope * abated - tax
    # min(max(value, 0.0), penalty) without the builtin calls: this runs for every quote.
    value = 0.0 if 0.0 > value else value
    return penalty if penalty < value else value


def true_up_abatement(slope: np.ndarray, tax: np.ndarray, emissions_t: np.ndarray,
                      holdings_t: np.ndarray, penalty: np.ndarray,
                      plan_t: np.ndarray | None = None) -> np.ndarray:
    """Abatement each firm chooses at the compliance true-up, t.

    It abates what its holdings do not cover, unless the MAC would pass the penalty plus
    the tax (then it pays the penalty on the rest), and never less than what the tax alone
    makes worthwhile. With a MAC intercept pass the net tax, ``tax - intercept``. Where ``plan_t`` is given (not NaN) that choice stands instead.
    """
    needed = emissions_t - holdings_t
    worth_it = (penalty + tax) / slope
    chosen = np.maximum(np.minimum(needed, worth_it), tax / slope)
    if plan_t is not None:
        chosen = np.where(np.isnan(plan_t), chosen, plan_t)
    abatement_t: np.ndarray = np.clip(chosen, 0.0, emissions_t)
    return abatement_t
