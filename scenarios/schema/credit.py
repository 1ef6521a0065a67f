"""Banks and joint credit, environmental credit ratings, stress-test shocks."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt,
                      model_validator)

from scenarios.schema.base import Pollutant, Region, Strict

Grade = Literal["green", "blue", "yellow", "red"]


class CreditPolicySpec(Strict):
    """Terms every bank applies. PDs by grade, LGDs, loan-to-value, margin-call trigger and
    rate spreads are the reference's section 6-8 defaults ([L] where marked there); the
    1-year LPR of 3.0 % is the PBoC's rate from May 2025 [M]; the single-borrower limit is
    the Commercial Banking Law, art. 39; the 10.5 % capital floor is Basel III with the
    conservation buffer; the refinancing tool is the PBoC carbon-reduction support tool."""

    lpr: Annotated[float, Field(ge=0, le=0.2)] = 0.030
    spread_bp: dict[Grade, float | None] = {"green": -30, "blue": 0, "yellow": 80, "red": None}
    green_discount_bp: Annotated[float, Field(ge=0, le=500)] = 20
    pd_by_grade: dict[Grade, Annotated[float, Field(gt=0, lt=1)]] = {
        "green": 0.005, "blue": 0.01, "yellow": 0.03, "red": 0.08}
    lgd_unsecured: Annotated[float, Field(gt=0, le=1)] = 0.45
    lgd_secured: Annotated[float, Field(gt=0, le=1)] = 0.25
    ltv_pollution_right: Annotated[float, Field(gt=0, le=1)] = 0.70
    ltv_forest_right: Annotated[float, Field(gt=0, le=1)] = Field(
        0.50, description="loan-to-value of pledged forest rights, share of their appraisal "
        "(reference sections 3 and 6: banks lend 30-60 %)")
    forest_loan_term_months: PositiveInt = Field(
        60, le=360, description="longest term of a forest-secured loan (5 years, reference "
        "section 3)")
    margin_call_drop: Annotated[float, Field(gt=0, lt=1)] = 0.20
    single_borrower_share: Annotated[float, Field(gt=0, le=1)] = 0.10
    min_capital_ratio: Annotated[float, Field(ge=0, le=1)] = 0.105
    deposit_rate: Annotated[float, Field(ge=0, le=0.2)] = 0.015
    refinance_share: Annotated[float, Field(ge=0, le=1)] = 0.60
    refinance_rate: Annotated[float, Field(ge=0, le=0.2)] = 0.0175
    ebitda_multiple: PositiveFloat = 4.0
    green_npl_tolerance: Annotated[float, Field(ge=0, le=1)] = Field(
        0.03, description="green lending stops while green NPL exceeds overall NPL by more")
    guarantee_share: Annotated[float, Field(ge=0, le=1)] = Field(
        0.0, description="share of a defaulted loan's loss the firm's regional "
        "financing-guarantee fund pays its home banks, and banks of the other region "
        "lending through a joint committee; none by default [L]")


class JointSpec(Strict):
    """Joint credit committee thresholds (银保监发〔2018〕24号, art. 3: at least 3 banks *and*
    at least 5 bn yuan, mandatory; at least 3 banks and 2-5 bn, voluntary), scaled by 1/100
    for district firms; the 2/3 vote is the commonly quoted supermajority [L]."""

    min_banks: PositiveInt = 3
    mandatory_yuan: PositiveFloat = 5e7
    voluntary_yuan: PositiveFloat = 2e7
    vote_threshold: Annotated[float, Field(gt=0, le=1)] = 2 / 3
    voluntary_joins: bool = Field(
        True, description="banks set up a committee in the voluntary band too [L]")
    cross_border: bool = Field(
        True, description="banks of both regions sit on the committee and syndicate "
        "(Chengdu-Chongqing 双城贷 practice, reference s. 6); false: home-region banks only")

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> JointSpec:
        if self.voluntary_yuan > self.mandatory_yuan:
            raise ValueError("joint.voluntary_yuan: above joint.mandatory_yuan")
        return self


class DemandSpec(Strict):
    """Why firms borrow [L]."""

    target_leverage: PositiveFloat = 2.5
    leverage_sigma: NonNegativeFloat = 0.5
    leverage_pd: NonNegativeFloat = 0.35
    business_months: PositiveInt = 36
    buffer_months: NonNegativeFloat = 3.0
    working_capital_months: PositiveInt = 12
    invest_cut: Annotated[float, Field(gt=0, lt=1)] = 0.3
    invest_cost_yuan_per_t: PositiveFloat = 3000.0
    invest_term_months: PositiveInt = 60
    min_loan_yuan: PositiveFloat = 100_000


class BankSpec(Strict):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]+$")]
    region: Region
    capital_yuan: PositiveFloat
    deposits_yuan: PositiveFloat


class BanksSpec(Strict):
    """The banks and the joint credit-granting regime they work under."""

    regime: Literal["independent", "shared_information", "joint_committee"] = "independent"
    reporting_lag_months: Annotated[int, Field(ge=0, le=24)] = 1
    shared: list[Literal["debts", "ratings", "pledges"]] | None = Field(
        None, description="what the credit-information platform shares across banks and "
        "regions (agents/platform.py); default: nothing under 'independent', all three "
        "otherwise")
    lenders: Annotated[list[BankSpec], Field(min_length=1)]
    policy: CreditPolicySpec = CreditPolicySpec()
    joint: JointSpec = JointSpec()
    demand: DemandSpec = DemandSpec()

    @model_validator(mode="after")
    def _sharing_fits_the_regime(self) -> BanksSpec:
        if self.regime == "independent" and self.shared:
            raise ValueError("banks.shared: banks of the 'independent' regime share nothing")
        if self.shared is not None and len(set(self.shared)) != len(self.shared):
            raise ValueError("banks.shared: an item is listed twice")
        return self

    def shared_items(self) -> frozenset[str]:
        """The platform's items: ``shared`` as given, or the regime's default."""
        if self.shared is not None:
            return frozenset(self.shared)
        return frozenset() if self.regime == "independent" else frozenset(
            ("debts", "ratings", "pledges"))


class RatingsSpec(Strict):
    """Starting environmental credit grades; Guangdong's 2017 distribution (reference s. 7)."""

    shares: dict[Grade, NonNegativeFloat] = {"green": 0.15, "blue": 0.72, "yellow": 0.10,
                                             "red": 0.03}


class ShockSpec(Strict):
    """A stress-test shock on a trading day (see agents.stress): ``sector`` and ``region``
    narrow whom an output shock, carbon price, drought or flood hits."""

    day: NonNegativeInt
    kind: Literal["price_collapse", "tightened_cap", "output_shock", "carbon_price",
                  "drought", "flood"]
    size: Annotated[float, Field(gt=0, lt=1)]
    pollutant: Pollutant | None = None
    sector: str | None = None
    region: Region | None = None
