"""The pollution-rights market: calendar, exchange rules, trading, pollutants, sectors,
regions and their regulators, firms given by hand."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt,
                      model_validator)

from scenarios.schema.base import Name, Pollutant, Region, Share, Strategy, Strict, Time


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


class Directions(Strict):
    """Trading ratios of one pollutant by direction; a direction left out is closed."""

    guangan_to_changshou: PositiveFloat | None = Field(None, le=2)
    changshou_to_guangan: PositiveFloat | None = Field(None, le=2)


class Linked(Strict):
    """Each region keeps its own rights; buyers may buy across the border at a trading ratio.

    A direction is open when its ratio is given. Each pollutant has a ratio of its own:

    - water pollutants (COD, NH3-N) at the direction's ratio: by default for permits from
      upstream Guang'an used downstream in Changshou the reference's worked transfer
      coefficient d = exp(-k L / u) = 0.79 (50 km, 0.5 m/s, k = 0.2/day; reference/domain.md
      section 8, Hung & Shaw 2005); with ``river.set_trading_ratio`` it is derived from the
      river network at the monitoring sections instead (docs/river_trading.md);
    - air pollutants (SO2, NOx, VOCs) 1:1 in one airshed, or, with ``air_source_receptor``
      (source region -> receptor region -> deposition per tonne), at
      ``T[seller][buyer] / T[buyer][buyer]``, what a seller's tonne does at the buyer's
      receptor against a buyer's own tonne;
    - ``ratios`` fixes a pollutant's ratios by hand, over both rules.

    Permits do not flow upstream by default, as in Hung & Shaw's trading-ratio system.
    """

    kind: Literal["linked"]
    ratio_guangan_to_changshou: PositiveFloat | None = Field(0.79, le=2)
    ratio_changshou_to_guangan: PositiveFloat | None = Field(None, le=2)
    quota_t_per_year: PositiveFloat | None = None
    air_source_receptor: dict[Region, dict[Region, PositiveFloat]] | None = None
    ratios: dict[Pollutant, Directions] = {}

    @model_validator(mode="after")
    def _matrix_is_square(self) -> Linked:
        matrix = self.air_source_receptor
        if matrix is not None:
            for source in ("changshou", "guangan"):
                missing = {"changshou", "guangan"} - set(matrix.get(source, {}))
                if missing:
                    raise ValueError(f"air_source_receptor.{source}: missing receptor "
                                     f"{sorted(missing)}")
        return self


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
    """A sector's emissions of one pollutant: lognormal across firms.

    A firm's marginal abatement cost is ``intercept + slope * a``; the slope is set so that
    the rising part reaches ``mac10_yuan_per_t`` at 10 % of the firm's baseline, so the MAC
    there is ``intercept + mac10`` (0 intercept by default, as before intercepts) [L]."""

    baseline_t: PositiveFloat
    baseline_sigma: NonNegativeFloat = 0.8
    mac10_yuan_per_t: PositiveFloat = Field(description="median marginal abatement cost when "
                                            "abating 10 % of baseline emissions, above the "
                                            "intercept")
    mac_sigma: NonNegativeFloat = 0.5
    intercept_yuan_per_t: NonNegativeFloat = Field(0.0, description="marginal cost of the "
                                                   "first tonne abated")


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
    """A listed firm's emissions of one pollutant and its MAC ``intercept + slope * a``:
    give the slope, or ``mac10_yuan_per_t`` (the rising part at 10 % of the baseline)."""

    baseline_t: PositiveFloat
    mac10_yuan_per_t: PositiveFloat | None = None
    slope_yuan_per_t2: PositiveFloat | None = None
    intercept_yuan_per_t: NonNegativeFloat = 0.0

    @model_validator(mode="after")
    def _one_slope(self) -> FirmEmission:
        if (self.mac10_yuan_per_t is None) == (self.slope_yuan_per_t2 is None):
            raise ValueError("mac10_yuan_per_t, slope_yuan_per_t2: give exactly one")
        return self


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
    reach: Name | None = Field(None, description="the river reach it discharges to (same as "
                               "listing it under river.firms)")
    allocation_t: dict[Pollutant, NonNegativeFloat] = Field(
        {}, description="its own yearly free allocation, t, out of its region's cap; the "
        "other firms share the rest (free or benchmark allocation)")


class TradingSpec(Strict):
    """How firms trade. Activity and order size are behavioural assumptions [L].

    ``frictionless`` switches the behavioural frictions off so the market can reach its
    competitive equilibrium (docs/river_trading.md): every firm that is not traded by a
    person is MAC-truthful, acts every trading day in each pollutant, and an order may
    carry the firm's whole baseline; ``activity``, ``order_share``, ``max_order_t`` and
    ``strategies`` are then ignored (the strategy draws still happen, so the firms are the
    same). The exchange's own rules (band, fee, lots) stay.
    """

    frictionless: bool = False
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
