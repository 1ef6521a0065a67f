"""The pollution-rights market: calendar, exchange rules, trading, pollutants, sectors,
regions and their regulators, firms given by hand."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt,
                      model_validator)

from scenarios.schema.base import Pollutant, Region, Share, Strategy, Strict, Time


class CalendarSpec(Strict):
    """Trading days and sessions. Sessions follow the national carbon market's listed
    trading hours (SEEE announcement 2021-06-22); 242 trading days is a typical Chinese
    exchange year; the 09:15 opening call follows the stock exchanges' practice [L]."""

    start_year: int = Field(2025, ge=2000, le=2100)
    years: PositiveInt = Field(5, le=50)
    days_per_year: PositiveInt = Field(242, le=366)
    sessions: list[tuple[Time, Time]] = [("09:30", "11:30"), ("13:00", "15:00")]
    call_auction_open: Time | None = "09:15"

    @model_validator(mode="after")
    def _sessions_in_order(self) -> CalendarSpec:
        """Sessions open before they close, follow one another, and the opening call
        comes before the first; ``HH:MM`` strings compare as times."""
        if not self.sessions:
            raise ValueError("sessions: at least one trading session")
        previous_end = "00:00"
        for k, (start, end) in enumerate(self.sessions):
            if not start < end:
                raise ValueError(f"sessions.{k}: opens at {start}, not before it closes "
                                 f"at {end}")
            if start < previous_end:
                raise ValueError(f"sessions.{k}: opens at {start}, before the previous "
                                 f"session closes at {previous_end}")
            previous_end = end
        first = self.sessions[0][0]
        if self.call_auction_open is not None and not self.call_auction_open < first:
            raise ValueError(f"call_auction_open: {self.call_auction_open} is not before "
                             f"the first session at {first}")
        return self


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


MAX_FIRMS = 20_000  # per scenario; the built-ins have at most a few hundred


class RegionSpec(Strict):
    firms: dict[str, Annotated[int, Field(ge=0, le=MAX_FIRMS)]] = {}
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
