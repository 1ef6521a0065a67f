"""Banks, loans and credit policy: who may borrow how much, at what rate, and on what terms.

Calibration (reference/domain.md sections 6-8): PD by environmental grade, IRB capital with
LGD 45 % unsecured and 25 % secured, pledge loan-to-value 70 % of the market value of
pollution rights and 50 % of the appraisal of forest rights, forest-secured loans of at most
5 years (reference section 3, forest-rights mortgage practice), rate spreads by grade (green -30 bp, blue 0, yellow +80 bp, red refused),
the carbon-reduction support tool refinancing 60 % of qualifying green loans at 1.75 %. The
single-borrower limit of 10 % of capital is the Commercial Banking Law, art. 39; the minimum
capital ratio 10.5 % is Basel III's 8 % plus the 2.5 % conservation buffer. Banks keep
lending green while their green NPL ratio stays within 3 points of their overall one, the
tolerance pilot zones borrow from the inclusive-SME rule [L].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


Regime = Literal["independent", "shared_information", "joint_committee"]
Purpose = Literal["business", "working_capital", "abatement"]


@dataclass(frozen=True, slots=True)
class CreditPolicy:
    """The terms every bank applies (one policy for the scenario; banks differ in size)."""

    lpr: float = 0.030
    spread_bp: tuple[float | None, ...] = (-30.0, 0.0, 80.0, None)  # by grade; None refuses
    green_discount_bp: float = 20.0
    pd_by_grade: tuple[float, ...] = (0.005, 0.01, 0.03, 0.08)
    lgd_unsecured: float = 0.45
    lgd_secured: float = 0.25
    ltv: float = 0.70
    ltv_forest: float = 0.50
    forest_term_months: int = 60
    margin_call_drop: float = 0.20
    single_borrower_share: float = 0.10
    min_car: float = 0.105
    deposit_rate: float = 0.015
    refinance_share: float = 0.60
    refinance_rate: float = 0.0175
    ebitda_multiple: float = 4.0
    green_npl_tolerance: float = 0.03
    guarantee_share: float = 0.0

    def rate(self, grade: int, green: bool) -> float | None:
        """Yearly loan rate for a grade, or None when the grade is refused credit."""
        spread = self.spread_bp[grade]
        if spread is None:
            return None
        return self.lpr + (spread - (self.green_discount_bp if green else 0.0)) / 10_000


@dataclass(frozen=True, slots=True)
class JointRules:
    """Joint credit-granting (银保监发〔2018〕24号, art. 3): a committee is required for a firm
    financed by at least ``min_banks`` banks *and* at least ``mandatory_yuan`` in total, and
    may be set up (``voluntary_joins``) from ``voluntary_yuan``; thresholds scaled by 1/100
    for district-sized firms as the reference suggests. With ``cross_border`` the banks of
    both regions sit on the committee (the Chengdu-Chongqing "双城贷" practice [H]), else
    the firm's home-region banks only. See :mod:`agents.committee`."""

    min_banks: int = 3
    mandatory_yuan: float = 5e7
    voluntary_yuan: float = 2e7
    vote_threshold: float = 2 / 3
    voluntary_joins: bool = True
    cross_border: bool = True


@dataclass(slots=True)
class Loan:
    """One loan, possibly syndicated. Money in fen."""

    loan_id: int
    borrower: int
    purpose: Purpose
    green: bool
    principal_fen: int
    balance_fen: int
    rate: float
    start_month: int
    term_months: int
    shares: dict[str, float]
    lead: str
    committee: bool = False
    collateral: str | None = None
    collateral_units: int = 0
    unverified_units: int = 0
    """Units a bank of the other region booked as pledged without the platform: not
    pledged in the register (agents.collateral)."""
    refinanced_fen: int = 0
    status: Literal["performing", "defaulted", "repaid"] = "performing"
    end_month: int | None = None
    recovered_fen: int = 0
    loss_fen: int = 0

    def installment_fen(self, month: int) -> int:
        """Principal due in ``month``: green abatement loans amortise in equal instalments,
        the others are repaid at maturity."""
        if month >= self.start_month + self.term_months:
            return self.balance_fen
        if self.purpose != "abatement":
            return 0
        return min(self.balance_fen, -(-self.principal_fen // self.term_months))

    def lender_split(self, fen: int) -> dict[str, int]:
        """Split an amount between the lenders by share; rounding goes to the lead."""
        parts = {bank: int(fen * share) for bank, share in self.shares.items()}
        parts[self.lead] += fen - sum(parts.values())
        return parts


@dataclass
class Bank:
    """A bank's balance sheet and income, kept in yuan for reporting; cash is in the
    registry under ``account``."""

    name: str
    region: str
    account: str
    capital_yuan: float
    deposits_yuan: float
    interest_income_yuan: float = 0.0
    interest_expense_yuan: float = 0.0
    losses_yuan: float = 0.0
    refinancing_yuan: float = 0.0
    green_lending_open: bool = True
    exposure_fen: dict[int, int] = field(default_factory=dict)  # firm -> own balance

    def exposure_yuan(self, firm: int) -> float:
        return self.exposure_fen.get(firm, 0) / 100

    @property
    def loans_yuan(self) -> float:
        return sum(self.exposure_fen.values()) / 100

