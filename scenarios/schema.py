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
    k = 0.2/day; reference/domain.md section 8, Hung & Shaw 2005); with
    ``river.set_trading_ratio`` it is computed from the river network instead. Permits do
    not flow upstream by default, as in Hung & Shaw's trading-ratio system.
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

    activity: Share = 0.07
    order_share: Share = 0.04
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


WaterClass = Literal["I", "II", "III", "IV", "V"]
Name = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]


class SectionSpec(Strict):
    """A monitoring section at a reach's outlet, judged against a GB 3838-2002 class
    (target Class II on the Yangtze, III on tributaries; reference section 5)."""

    name: Name
    target_class: WaterClass = "III"
    cross_border: bool = False


class ReachSpec(Strict):
    """One reach of river. ``firm_share`` is the share of its region's firms that discharge
    into it (the rest of the region discharges outside the modelled network)."""

    name: Name
    region: Region
    downstream: Name | None = None
    length_km: PositiveFloat
    flow_m3s: PositiveFloat
    velocity_ms: PositiveFloat
    decay_per_day: dict[Literal["COD", "NH3N"], NonNegativeFloat] = {"COD": 0.2, "NH3N": 0.1}
    background_mg_l: dict[Literal["COD", "NH3N"], NonNegativeFloat] = {}
    firm_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    section: SectionSpec | None = None


def _reach(name: str, region: str, downstream: str | None, length_km: float, flow_m3s: float,
           velocity_ms: float, cod: float, nh3n: float, share: float,
           section: SectionSpec | None = None) -> ReachSpec:
    return ReachSpec(name=name, region=region, downstream=downstream,  # type: ignore[arg-type]
                     length_km=length_km, flow_m3s=flow_m3s, velocity_ms=velocity_ms,
                     background_mg_l={"COD": cod, "NH3N": nh3n}, firm_share=share,
                     section=section)


# The Dahong (大洪河) and Yulin (御临河) rivers from Linshui county (Guang'an) into Changshou
# and the Yangtze (reference section 5). Dahong: 65.4 km in Linshui and a mean flow of
# 18.8 m3/s [M]; the Dahonghu reservoir (368 m m3) in Changshou; Yulin joins the Yangtze in
# the Changshou reach, Class II at the Shantuo control section [H]. Every other length,
# flow, velocity, background concentration and firm share is an assumption [L]; decay
# k = 0.2/day for COD and 0.1/day for NH3-N (reference section 8) [L]. Backgrounds at the
# Linshui border (farms and towns upstream) sit near the Class III limits, as the Dahong
# did before its clean-up, so that with the baseline's firms the border index is close to 1
# and the bet is live [L]; the reservoir settles to lower values [L]. The lower Yulin runs
# through Yubei, counted with Changshou (Chongqing) and holding no modelled firms.
DEFAULT_REACHES: tuple[ReachSpec, ...] = (
    _reach("dahong_dazhu_linshui", "guangan", "dahong_linshui", 35.0, 12.0, 0.4, 19.0, 0.95,
           0.05),
    _reach("dahong_linshui", "guangan", "dahong_reservoir", 30.4, 18.8, 0.5, 19.5, 1.0, 0.10,
           SectionSpec(name="dahong_border", cross_border=True)),
    _reach("dahong_reservoir", "changshou", "dahong_lower", 25.0, 18.8, 0.05, 14.0, 0.6,
           0.10, SectionSpec(name="dahonghu_dam")),
    _reach("dahong_lower", "changshou", "yangtze_changshou", 30.0, 20.0, 0.4, 14.0, 0.6, 0.05),
    _reach("yulin_linshui", "guangan", "yulin_lower", 45.0, 15.0, 0.45, 19.0, 0.95, 0.10,
           SectionSpec(name="yulin_border", cross_border=True)),
    _reach("yulin_lower", "changshou", "yangtze_changshou", 50.0, 20.0, 0.45, 14.0, 0.6, 0.0),
    _reach("yangtze_changshou", "changshou", None, 30.0, 11_000.0, 1.2, 9.0, 0.15, 0.70,
           SectionSpec(name="shantuo", target_class="II")),
)


class RiverSpec(Strict):
    """The river network, where firms discharge and how the sections are sampled.

    Firms listed by hand are placed with ``firms`` (firm name -> reach); the others draw a
    reach by the reaches' ``firm_share``. Joint sampling twice a month (24 a year) follows
    the Xin'an scheme [H]; the sampling noise and the index factor k0 = 0.85 (round 1) are
    from reference section 5, the noise's size an assumption [L]."""

    reaches: list[ReachSpec] = list(DEFAULT_REACHES)
    firms: dict[str, Name] = {}
    samples_per_year: PositiveInt = Field(24, le=365)
    sampling_sigma: Annotated[float, Field(ge=0, le=2)] = 0.2
    index_k0: Annotated[float, Field(gt=0, le=2)] = 0.85
    set_trading_ratio: bool = Field(False, description="set the linked design's Guang'an to "
                                    "Changshou ratio to the load-weighted transfer coefficient "
                                    "from Guang'an's reaches to the cross-border sections")

    @model_validator(mode="after")
    def _network_is_sound(self) -> RiverSpec:
        names = [r.name for r in self.reaches]
        if len(set(names)) != len(names):
            raise ValueError("river.reaches: names must be unique")
        by_name = {r.name: r for r in self.reaches}
        for r in self.reaches:
            if r.downstream is not None and r.downstream not in by_name:
                raise ValueError(f"river.reaches.{r.name}.downstream: no reach {r.downstream!r}")
            seen, at = {r.name}, r.downstream
            while at is not None:
                if at in seen:
                    raise ValueError(f"river.reaches.{r.name}: the network has a loop")
                seen.add(at)
                at = by_name[at].downstream
            if r.section and r.section.cross_border:
                below = by_name.get(r.downstream or "")
                if below is None or below.region == r.region:
                    raise ValueError(f"river.reaches.{r.name}.section: a cross-border section "
                                     "needs a downstream reach in the other region")
        for region in ("changshou", "guangan"):
            if sum(r.firm_share for r in self.reaches if r.region == region) > 1 + 1e-9:
                raise ValueError(f"river.reaches: firm_share of {region} sums above 1")
        sections = [r.section.name for r in self.reaches if r.section]
        if len(set(sections)) != len(sections):
            raise ValueError("river.reaches: section names must be unique")
        if not any(r.section and r.section.cross_border for r in self.reaches):
            raise ValueError("river.reaches: no cross-border section")
        for firm, reach in self.firms.items():
            if reach not in by_name:
                raise ValueError(f"river.firms.{firm}: no reach {reach!r}")
        return self


class WaterUseSpec(Strict):
    """A sector's water withdrawal at normal output, lognormal across firms, and the marginal
    cost of saving the first 10 % of it (recycling, cooling, leak repair) [L]."""

    m3_per_year: PositiveFloat
    sigma: NonNegativeFloat = 0.8
    save10_yuan_per_m3: PositiveFloat = 1.0
    save_sigma: NonNegativeFloat = 0.5


class WaterRegionSpec(Strict):
    """One region's water rights: withdrawal permits to its firms as a share of their use at
    normal output, and the government's regional rights beyond them (the surplus under its
    total-use quota), m3 a year [L]."""

    permit_share: Annotated[float, Field(ge=0, le=2)] = 0.9
    regional_m3_per_year: NonNegativeFloat = 0.0
    resource_tax_yuan_per_m3: NonNegativeFloat = Field(
        0.1, description="water resource tax, set by each province under the 2024 national "
        "reform (财税〔2024〕28号); the rate here is an assumption [L]")


class WaterLeaseSpec(Strict):
    """A regional lease between the governments by negotiated transfer (协议转让): a volume
    a year at the source for a term. Term 3 years (re-contracted every 3 years, 平顶山 to
    新密) and 0.87 yuan/m3 (the same deal) [H] are reference section 2's."""

    lessor: Region
    lessee: Region
    volume_m3_per_year: PositiveFloat
    start_year: int | None = Field(None, description="first year delivered (default: the "
                                   "calendar's first year)")
    years: PositiveInt = Field(3, le=20)
    price_yuan_per_m3: PositiveFloat = 0.87

    @model_validator(mode="after")
    def _two_parties(self) -> WaterLeaseSpec:
        if self.lessor == self.lessee:
            raise ValueError("lessee: a lease moves water to the other region")
        return self


class WaterSpec(Strict):
    """Water-use rights (reference section 2): yearly withdrawal rights in m3, traded each
    month in a call auction on the exchange (open trading, 公开交易) and leased between the
    governments. Water moved between the regions loses ``conveyance_loss`` on the way (0.10,
    reference section 2 [L]); the governments list their rights at ``price_yuan_per_m3``
    (0.9 yuan/m3, reference section 2 [H]). ``consumptive_share`` of a withdrawal does not
    return to the river [L]; with a river network the withdrawals lower the flow of the
    firm's reach and those below it, never under ``min_flow_share`` of the mean flow (the
    Tennant method's 10 % floor, a common ecological-flow minimum [L])."""

    sectors: dict[str, WaterUseSpec]
    regions: dict[Region, WaterRegionSpec]
    leases: list[WaterLeaseSpec] = []
    conveyance_loss: Annotated[float, Field(ge=0, le=0.6)] = 0.10
    price_yuan_per_m3: PositiveFloat = Field(0.9, le=3)
    lot_m3: PositiveInt = 1_000
    auctions_per_year: PositiveInt = Field(12, le=242)
    consumptive_share: Annotated[float, Field(ge=0, le=1)] = 0.25
    min_flow_share: Annotated[float, Field(ge=0, le=1)] = 0.10


class Response(Strict):
    """How the upstream government responds to a year it paid the downstream one: it cuts
    its caps by ``tighten_cap`` from the next year on, and spends ``fund_abatement`` of its
    net payment treating the load of towns and farms upstream, at ``fund_yuan_per_t`` for
    each tonne of COD a year removed, once (a town treatment plant's building cost per
    tonne of yearly removal; the Tongbo river clean-up took over 600 m yuan in 57 projects,
    reference section 5) [L]."""

    tighten_cap: Annotated[float, Field(ge=0, lt=1)] = 0.0
    fund_abatement: Annotated[float, Field(ge=0, le=10)] = 0.0
    fund_yuan_per_t: PositiveFloat = 20_000


class Bet(Strict):
    """Bidirectional bet per cross-border section: 1 m yuan a month (Chongqing 2018 scheme,
    reference section 5); the central top-up goes to the upstream government. With
    ``worsening_pays``, Chongqing's rule: a section that meets its target but is worse than
    the year before makes the upstream government pay."""

    kind: Literal["bet"]
    amount_yuan: PositiveFloat = 12_000_000
    worsening_pays: bool = False
    central_topup_yuan: NonNegativeFloat = 0
    response: Response = Response()


class Graded(Strict):
    """Payments of ``yuan_per_index * |P - 1|`` per section, at most ``cap_yuan`` [L]."""

    kind: Literal["graded"]
    yuan_per_index: PositiveFloat = 40_000_000
    cap_yuan: PositiveFloat = 12_000_000
    central_topup_yuan: NonNegativeFloat = 0
    response: Response = Response()


class Pool(Strict):
    """A joint pool of 300 m yuan a year split 1:1 (reference section 5, [L]), allocated by
    the share of cross-border samples that met the target."""

    kind: Literal["pool"]
    pool_yuan: PositiveFloat = 300_000_000
    upstream_share: Annotated[float, Field(ge=0, le=1)] = 0.5
    central_topup_yuan: NonNegativeFloat = 0
    response: Response = Response()


class MarketOnly(Strict):
    """No transfers between the governments; the river is only monitored."""

    kind: Literal["market"]


class RegionForestSpec(Strict):
    """One region's land and forest. Land is the region's area at 1 km2 = 1,500 mu; the
    planting cost (afforestation with its upkeep, above the indicator price so that buying
    is worth it), the yearly planting capacity, the share of forest under a carbon-crediting
    project and the firms' forest-rights certificates (a share of the region's firms hold
    forest land of lognormal size) are assumptions [L] (reference section 3)."""

    land_mu: PositiveFloat
    coverage: Share = Field(description="physical forest cover at the start, share of land")
    target: Share = Field(description="coverage target in the first year, share of land")
    target_rise_per_year: Annotated[float, Field(ge=0, le=0.05)] = 0.0
    planting_cost_yuan_per_mu: PositiveFloat = 3_000
    planting_capacity_mu_per_year: NonNegativeFloat = 20_000
    managed_share: Annotated[float, Field(ge=0, le=1)] = 0.1
    firm_holder_share: Annotated[float, Field(ge=0, le=1)] = 0.3
    firm_forest_mu: PositiveFloat = Field(2_000, description="median forest area of a firm "
                                          "holding a forest-rights certificate")
    firm_forest_sigma: NonNegativeFloat = 1.0


# Changshou: 1,415 km2 [M]; coverage target 53 % (长寿府办发〔2023〕12号, reference sections
# 0 and 3) [H]; cover 50 % at the start [L], so that it starts short. Guang'an: 6,339 km2
# [M]; cover 43 % against a 40 % target [L] (Sichuan reports about 40 % province-wide [L]),
# so that it starts long.
DEFAULT_FORESTS: dict[str, RegionForestSpec] = {
    "changshou": RegionForestSpec(land_mu=2_122_500, coverage=0.50, target=0.53),
    "guangan": RegionForestSpec(land_mu=9_508_500, coverage=0.43, target=0.40),
}


class ForestSpec(Strict):
    """Forest rights (reference section 3): forest-area indicators in mu, each region's
    coverage target, and forest carbon sinks.

    ``pricing``: ``administered`` (transfers between the governments at the fixed
    indicator price: every Chongqing deal works out at 2,500 yuan/mu including upkeep [H])
    or ``market`` (a call auction on the exchange once a year). Upkeep 100 yuan/mu a year
    for 15 years is the commonly cited split of the 2,500 yuan [L]; the seller asks from its
    upkeep cost in ``ask_steps`` steps up to its planting cost [L]. Sinks: 0.23 tCO2e per
    mu and year of managed forest (the 巫溪 + 城口 CQCER project) [H] and 0.7 of afforested
    land [L]; sold at the CQCER price of 30 yuan/t [L] in the administered variant and the
    CCER price of 70 yuan/t [M] in the market variant."""

    pricing: Literal["administered", "market"] = "administered"
    regions: dict[Region, RegionForestSpec] = DEFAULT_FORESTS  # type: ignore[assignment]
    indicator_price_yuan_per_mu: PositiveFloat = Field(2_500, le=10_000)
    upkeep_yuan_per_mu_year: NonNegativeFloat = 100
    upkeep_years: PositiveInt = Field(15, le=50)
    ask_steps: PositiveInt = Field(5, le=50)
    sink_rate_management: NonNegativeFloat = Field(0.23, le=5)
    sink_rate_afforestation: NonNegativeFloat = Field(0.7, le=5)
    cqcer_price_yuan_per_t: NonNegativeFloat = 30
    ccer_price_yuan_per_t: NonNegativeFloat = 70

    @model_validator(mode="after")
    def _firms_fit(self) -> ForestSpec:
        for region, spec in self.regions.items():
            if spec.firm_holder_share and spec.firm_forest_mu > spec.land_mu * spec.coverage:
                raise ValueError(f"regions.{region}.firm_forest_mu: larger than the "
                                 "region's forest")
        return self


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
    river: RiverSpec | None = None
    water: WaterSpec | None = None
    compensation: Bet | Graded | Pool | MarketOnly | None = Field(None, discriminator="kind")
    forest: ForestSpec | None = None

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
        self._river_fits()
        if self.forest is not None and set(self.regions) - set(self.forest.regions):
            raise ValueError(f"forest.regions: missing "
                             f"{sorted(set(self.regions) - set(self.forest.regions))}")
        self._water_fits()
        if self.banks and len({b.name for b in self.banks.lenders}) != len(self.banks.lenders):
            raise ValueError("banks.lenders: names must be unique")
        return self

    def _river_fits(self) -> None:
        if self.compensation is not None and self.river is None:
            raise ValueError("compensation: a scheme needs a river section")
        if self.river is None:
            return
        if not set(self.pollutants) & {"COD", "NH3N"}:
            raise ValueError("river: the scenario lists no pollutant the river carries "
                             "(COD, NH3N)")
        unknown = set(self.river.firms) - {f.name for f in self.firms}
        if unknown:
            raise ValueError(f"river.firms: no listed firms {sorted(unknown)}")
        design = self.exchange.design
        if self.river.set_trading_ratio and not (
                design.kind == "linked" and design.ratio_guangan_to_changshou is not None):
            raise ValueError("river.set_trading_ratio: needs exchange.design kind linked with "
                             "a Guang'an to Changshou direction")

    def _water_fits(self) -> None:
        if self.water is None:
            return
        for sector in self.water.sectors:
            if sector not in self.sectors:
                raise ValueError(f"water.sectors.{sector}: not a listed sector")
        missing = set(self.regions) - set(self.water.regions)
        if missing:
            raise ValueError(f"water.regions: missing {sorted(missing)}")
        last = self.calendar.start_year + self.calendar.years - 1
        for k, lease in enumerate(self.water.leases):
            start = self.calendar.start_year if lease.start_year is None else lease.start_year
            if not self.calendar.start_year <= start <= last:
                raise ValueError(f"water.leases.{k}.start_year: outside the run "
                                 f"({self.calendar.start_year}-{last})")

    def _known_pollutants(self, where: str, emissions: dict[str, object]) -> None:
        unknown = set(emissions) - set(self.pollutants)
        if unknown:
            raise ValueError(f"{where}: {sorted(unknown)} not listed under pollutants")
