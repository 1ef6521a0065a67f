"""The river network and the ecological-compensation schemes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, model_validator

from scenarios.schema.base import Name, Region, Strict

WaterClass = Literal["I", "II", "III", "IV", "V"]


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


def _reach(name: str, region: Region, downstream: str | None, length_km: float, flow_m3s: float,
           velocity_ms: float, cod: float, nh3n: float, share: float,
           section: SectionSpec | None = None) -> ReachSpec:
    return ReachSpec(name=name, region=region, downstream=downstream,
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
    """The river network, where firms discharge, how flows vary and how the sections are
    sampled (``agents.hydrology``).

    Firms listed by hand are placed with ``firms`` (firm name -> reach); the others draw a
    reach by the reaches' ``firm_share``. Joint sampling twice a month follows the Xin'an
    scheme [H] (reference section 5); the sampling noise, the share of missing samples and
    the yearly and monthly flow variation are assumptions [L] (0 by default: a river at its
    mean flow every month). ``seasonal_flow`` is twelve monthly factors of mean one."""

    reaches: list[ReachSpec] = list(DEFAULT_REACHES)
    firms: dict[str, Name] = {}
    samples_per_month: PositiveInt = Field(2, le=31)
    sampling_sigma: Annotated[float, Field(ge=0, le=2)] = 0.2
    missing_share: Annotated[float, Field(ge=0, lt=1)] = 0.0
    flow_sigma_year: Annotated[float, Field(ge=0, le=2)] = 0.0
    flow_sigma_month: Annotated[float, Field(ge=0, le=2)] = 0.0
    seasonal_flow: list[PositiveFloat] = [1.0] * 12
    flow_scale: Annotated[float, Field(gt=0, le=5)] = Field(
        1.0, description="hydrological regime: every month's flow times this (1: the "
        "long-run mean, 0.8 a dry regime, 1.2 a wet one)")
    observed: str | None = Field(None, description="a CSV file of observed samples "
                                 "(year, month, section, pollutant, concentration_mg_l, "
                                 "flow_m3s) that replaces the simulated ones of its years")
    set_trading_ratio: bool = Field(False, description="derive the linked design's ratios "
                                    "of the water pollutants from the river: the smallest "
                                    "ambient-neutral ratio over the receptor sections "
                                    "(docs/river_trading.md)")
    receptors: list[Name] = Field([], description="sections whose concentration a "
                                  "cross-border trade may not raise; empty for every section")
    off_network_coefficient: Annotated[float, Field(ge=0, le=1)] = Field(
        0.0, description="share of a tonne discharged off the modelled network that "
        "reaches a section: 0, such a source drains to another river [L]")

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
        for k, name in enumerate(self.receptors):
            if name not in sections:
                raise ValueError(f"river.receptors.{k}: no section {name!r}")
        if len(self.seasonal_flow) != 12 or abs(sum(self.seasonal_flow) / 12 - 1) > 1e-6:
            raise ValueError("river.seasonal_flow: needs twelve factors of mean one")
        for firm, reach in self.firms.items():
            if reach not in by_name:
                raise ValueError(f"river.firms.{firm}: no reach {reach!r}")
        return self
