"""Water-use rights and forest rights."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, model_validator

from scenarios.schema.base import Region, Share, Strict


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
DEFAULT_FORESTS: dict[Region, RegionForestSpec] = {
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
    regions: dict[Region, RegionForestSpec] = DEFAULT_FORESTS
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
