"""The scenario schema: strict, frozen data, nothing else.

Unknown keys and bad values are errors naming the field. Defaults carry their source; those
marked [L] are the reference's tunable assumptions (reference/domain.md, section 9).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (BaseModel, ConfigDict, Field, NonNegativeFloat, NonNegativeInt,
                      PositiveFloat, PositiveInt, model_validator)

Region = Literal["changshou", "guangan"]
Pollutant = Literal["COD", "NH3N", "SO2", "NOx", "VOCs"]
Strategy = Literal["truthful", "zic", "manual"]
Share = Annotated[float, Field(gt=0, le=1)]
Time = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CalendarSpec(Strict):
    """Trading days and sessions. Sessions follow the national carbon market's listed
    trading hours (SEEE announcement 2021-06-22); 242 trading days is a typical Chinese
    exchange year; the 09:15 opening call follows the stock exchanges' practice [L]."""

    start_year: int = Field(2025, ge=2000, le=2100)
    years: PositiveInt = Field(5, le=50)
    days_per_year: PositiveInt = Field(242, le=366)
    sessions: list[tuple[Time, Time]] = [("09:30", "11:30"), ("13:00", "15:00")]
    call_auction_open: Time | None = "09:15"


class Autarky(Strict):
    kind: Literal["autarky"]


class Integrated(Strict):
    kind: Literal["integrated"]


class Linked(Strict):
    """Each region keeps its own rights; buyers may buy across the border at a trading ratio.

    The default ratio for permits from upstream Guang'an used downstream in Changshou is the
    reference's worked transfer coefficient d = exp(-k L / u) = 0.79 (50 km, 0.5 m/s,
    k = 0.2/day; reference/domain.md section 8, Hung & Shaw 2005). Permits do not flow
    upstream by default, as in Hung & Shaw's trading-ratio system.
    """

    kind: Literal["linked"]
    ratio_guangan_to_changshou: PositiveFloat | None = Field(0.79, le=2)
    ratio_changshou_to_guangan: PositiveFloat | None = Field(None, le=2)
    quota_t_per_year: PositiveFloat | None = None


class ExchangeSpec(Strict):
    """Trading rules. Bands, block rules and T+0 settlement follow the national carbon-market
    template (MEE rules 2021; reference section 4); block minimum 100,000 t scaled by 1/100
    for a district market; exchange fee 0.5 % of value [L] (reference section 1)."""

    design: Autarky | Integrated | Linked = Field(Integrated(kind="integrated"),
                                                  discriminator="kind")
    band: Annotated[float, Field(gt=0, lt=1)] | None = 0.10
    block_band: Annotated[float, Field(gt=0, lt=1)] = 0.30
    block_min_t: PositiveFloat = 1_000
    max_order_t: PositiveFloat | None = None
    fee_rate: Annotated[float, Field(ge=0, le=0.05)] = 0.005
    settlement_lag_days: Annotated[int, Field(ge=0, le=5)] = 0
    opening_auction: bool = True


class PollutantSpec(Strict):
    """A pollution-discharge right: one tonne a year of one pollutant."""

    tick_yuan: PositiveFloat = 0.01
    lot_t: PositiveFloat = Field(0.1, description="pollution rights trade in fractions of a "
                                 "tonne (e.g. 13.257 t of VOCs, Yangtze Delta 2024) [L]")
    validity_years: PositiveInt = Field(1, le=5)
    reference_price_yuan_per_t: dict[Region, PositiveFloat]
    env_tax_yuan_per_t: dict[Region, NonNegativeFloat]


class Emission(Strict):
    """A sector's emissions of one pollutant: lognormal across firms."""

    baseline_t: PositiveFloat
    baseline_sigma: NonNegativeFloat = 0.8
    mac10_yuan_per_t: PositiveFloat = Field(description="median marginal abatement cost when "
                                            "abating 10 % of baseline emissions")
    mac_sigma: NonNegativeFloat = 0.5


class SectorSpec(Strict):
    emissions: dict[Pollutant, Emission]
    output: PositiveFloat = 1.0
    output_sigma: NonNegativeFloat = Field(0.05, le=1)
    cash_yuan: PositiveFloat = 5_000_000
    profit_yuan: NonNegativeFloat = Field(10_000_000, description="yearly operating cash "
                                          "flow before environmental costs")


class RegulatorSpec(Strict):
    """Caps and enforcement. Penalty 5x the market value of the shortfall and an equal cut of
    next year's allocation follow State Council Order 775 (reference section 4)."""

    allocation: Literal["free", "benchmark", "auction"] = "free"
    cap_share: dict[Pollutant, Annotated[float, Field(gt=0, le=2)]]
    cap_decline_per_year: Annotated[float, Field(ge=0, le=0.2)] = 0.02
    penalty_multiple: Annotated[float, Field(ge=0, le=20)] = 5
    reserve_multiple: PositiveFloat = 1.0
    cut_next_allocation: bool = True


class RegionSpec(Strict):
    firms: dict[str, NonNegativeInt] = {}
    regulator: RegulatorSpec


class FirmEmission(Strict):
    baseline_t: PositiveFloat
    mac10_yuan_per_t: PositiveFloat


class FirmSpec(Strict):
    """One firm given by hand (for small cases and workshops)."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]+$")]
    region: Region
    sector: str
    emissions: dict[Pollutant, FirmEmission]
    output: PositiveFloat = 1.0
    cash_yuan: PositiveFloat = 5_000_000
    profit_yuan: NonNegativeFloat = 10_000_000
    strategy: Strategy = "truthful"


class TradingSpec(Strict):
    """How firms trade. Activity and order size are behavioural assumptions [L]."""

    activity: Share = 0.10
    order_share: Share = 0.03
    max_order_t: PositiveFloat = 20.0
    strategies: dict[Strategy, NonNegativeFloat] = {"truthful": 0.8, "zic": 0.2}
    auction_steps: PositiveInt = Field(5, le=50)
    manual_firms: list[str] = Field([], description="firm ids traded by people (workshops); "
                                    "they send no orders of their own")

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> TradingSpec:
        if abs(sum(self.strategies.values()) - 1) > 1e-9:
            raise ValueError("strategies: shares must sum to 1")
        return self


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
    margin_call_drop: Annotated[float, Field(gt=0, lt=1)] = 0.20
    single_borrower_share: Annotated[float, Field(gt=0, le=1)] = 0.10
    min_capital_ratio: Annotated[float, Field(ge=0, le=1)] = 0.105
    deposit_rate: Annotated[float, Field(ge=0, le=0.2)] = 0.015
    refinance_share: Annotated[float, Field(ge=0, le=1)] = 0.60
    refinance_rate: Annotated[float, Field(ge=0, le=0.2)] = 0.0175
    ebitda_multiple: PositiveFloat = 4.0
    green_npl_tolerance: Annotated[float, Field(ge=0, le=1)] = Field(
        0.03, description="green lending stops while green NPL exceeds overall NPL by more")


class JointSpec(Strict):
    """Joint credit committee thresholds (银保监发〔2018〕24号), scaled by 1/100 for
    district firms; the 2/3 vote is the commonly quoted supermajority [L]."""

    min_banks: PositiveInt = 3
    mandatory_yuan: PositiveFloat = 5e7
    voluntary_yuan: PositiveFloat = 2e7
    vote_threshold: Annotated[float, Field(gt=0, le=1)] = 2 / 3


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
    lenders: Annotated[list[BankSpec], Field(min_length=1)]
    policy: CreditPolicySpec = CreditPolicySpec()
    joint: JointSpec = JointSpec()
    demand: DemandSpec = DemandSpec()


class RatingsSpec(Strict):
    """Starting environmental credit grades; Guangdong's 2017 distribution (reference s. 7)."""

    shares: dict[Grade, NonNegativeFloat] = {"green": 0.15, "blue": 0.72, "yellow": 0.10,
                                             "red": 0.03}


class ShockSpec(Strict):
    """A stress-test shock on a trading day (see agents.stress)."""

    day: NonNegativeInt
    kind: Literal["price_collapse", "tightened_cap", "output_shock"]
    size: Annotated[float, Field(gt=0, lt=1)]
    pollutant: Pollutant | None = None
    sector: str | None = None


class Scenario(Strict):
    """Everything a run needs besides its seed."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9_\-]+$")]
    description: str = ""
    seed: NonNegativeInt = 1
    calendar: CalendarSpec = CalendarSpec()
    exchange: ExchangeSpec = ExchangeSpec()
    trading: TradingSpec = TradingSpec()
    pollutants: dict[Pollutant, PollutantSpec]
    sectors: dict[str, SectorSpec] = {}
    regions: dict[Region, RegionSpec]
    firms: list[FirmSpec] = []
    ratings: RatingsSpec = RatingsSpec()
    banks: BanksSpec | None = None
    stress: list[ShockSpec] = []

    @model_validator(mode="after")
    def _references_resolve(self) -> Scenario:
        for region, spec in self.regions.items():
            for sector in spec.firms:
                if sector not in self.sectors:
                    raise ValueError(f"regions.{region}.firms: unknown sector {sector!r}")
            for pollutant in self.pollutants:
                if pollutant not in spec.regulator.cap_share:
                    raise ValueError(f"regions.{region}.regulator.cap_share: missing "
                                     f"{pollutant}")
        for name, sector in self.sectors.items():
            self._known_pollutants(f"sectors.{name}.emissions", sector.emissions)
        for k, firm in enumerate(self.firms):
            if firm.region not in self.regions:
                raise ValueError(f"firms.{k}.region: {firm.region} has no regions entry")
            self._known_pollutants(f"firms.{k}.emissions", firm.emissions)
        for name, spec in self.pollutants.items():
            for field in ("reference_price_yuan_per_t", "env_tax_yuan_per_t"):
                missing = set(self.regions) - set(getattr(spec, field))
                if missing:
                    raise ValueError(f"pollutants.{name}.{field}: missing {sorted(missing)}")
        if not self.firms and not any(sum(r.firms.values()) for r in self.regions.values()):
            raise ValueError("regions: the scenario has no firms")
        if len({f.name for f in self.firms}) != len(self.firms):
            raise ValueError("firms: names must be unique")
        for k, shock in enumerate(self.stress):
            if shock.kind == "price_collapse" and shock.pollutant not in self.pollutants:
                raise ValueError(f"stress.{k}.pollutant: a price collapse names a listed "
                                 "pollutant")
            if shock.kind == "output_shock" and shock.sector not in self.sectors:
                raise ValueError(f"stress.{k}.sector: an output shock names a listed sector")
            if shock.day >= self.calendar.years * self.calendar.days_per_year:
                raise ValueError(f"stress.{k}.day: after the last trading day")
        if self.banks and len({b.name for b in self.banks.lenders}) != len(self.banks.lenders):
            raise ValueError("banks.lenders: names must be unique")
        return self

    def _known_pollutants(self, where: str, emissions: dict[str, object]) -> None:
        unknown = set(emissions) - set(self.pollutants)
        if unknown:
            raise ValueError(f"{where}: {sorted(unknown)} not listed under pollutants")
