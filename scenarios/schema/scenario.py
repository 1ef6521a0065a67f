"""The whole scenario and the rules that tie its parts together."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, NonNegativeInt, model_validator

from scenarios.schema.base import Pollutant, Region, Strict
from scenarios.schema.credit import BanksSpec, RatingsSpec, ShockSpec
from scenarios.schema.market import (MAX_FIRMS, CalendarSpec, ExchangeSpec, FirmSpec, PollutantSpec,
                                     RegionSpec, SectorSpec, TradingSpec)
from scenarios.schema.resources import ForestSpec, WaterSpec
from scenarios.schema.compensation import Scheme
from scenarios.schema.river import RiverSpec


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
    firms: Annotated[list[FirmSpec], Field(max_length=MAX_FIRMS)] = []
    ratings: RatingsSpec = RatingsSpec()
    banks: BanksSpec | None = None
    stress: list[ShockSpec] = []
    river: RiverSpec | None = None
    water: WaterSpec | None = None
    compensation: Scheme | None = Field(None, discriminator="kind")
    forest: ForestSpec | None = None

    @model_validator(mode="before")
    @classmethod
    def _sorted_keys(cls, data: Any) -> Any:
        """Every mapping in key order: nothing downstream may depend on how a file ordered
        its keys, and the scenario then iterates as its canonical JSON reads."""
        return _sorted(data)

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
        for name, sector_spec in self.sectors.items():
            self._known_pollutants(f"sectors.{name}.emissions", sector_spec.emissions)
        for k, firm in enumerate(self.firms):
            if firm.region not in self.regions:
                raise ValueError(f"firms.{k}.region: {firm.region} has no regions entry")
            self._known_pollutants(f"firms.{k}.emissions", firm.emissions)
            self._known_pollutants(f"firms.{k}.allocation_t", firm.allocation_t)
            if firm.allocation_t and \
                    self.regions[firm.region].regulator.allocation == "auction":
                raise ValueError(f"firms.{k}.allocation_t: {firm.region} auctions its cap")
        for name, pollutant_spec in self.pollutants.items():
            for field in ("reference_price_yuan_per_t", "env_tax_yuan_per_t"):
                missing = set(self.regions) - set(getattr(pollutant_spec, field))
                if missing:
                    raise ValueError(f"pollutants.{name}.{field}: missing {sorted(missing)}")
        total = len(self.firms) + sum(sum(r.firms.values()) for r in self.regions.values())
        if not total:
            raise ValueError("regions: the scenario has no firms")
        if total > MAX_FIRMS:
            raise ValueError(f"regions: {total:,} firms, more than the {MAX_FIRMS:,} a "
                             "scenario may have")
        if len({f.name for f in self.firms}) != len(self.firms):
            raise ValueError("firms: names must be unique")
        for k, shock in enumerate(self.stress):
            if shock.kind == "price_collapse" and shock.pollutant not in self.pollutants:
                raise ValueError(f"stress.{k}.pollutant: a price collapse names a listed "
                                 "pollutant")
            if shock.kind in ("output_shock", "carbon_price") and \
                    shock.sector not in self.sectors:
                raise ValueError(f"stress.{k}.sector: an {shock.kind} names a listed sector")
            if shock.sector is not None and shock.sector not in self.sectors:
                raise ValueError(f"stress.{k}.sector: {shock.sector} is not a listed sector")
            if shock.region is not None and shock.region not in self.regions:
                raise ValueError(f"stress.{k}.region: {shock.region} has no regions entry")
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
            for k, firm in enumerate(self.firms):
                if firm.reach is not None:
                    raise ValueError(f"firms.{k}.reach: the scenario has no river")
        if self.river is None:
            return
        if not set(self.pollutants) & {"COD", "NH3N"}:
            raise ValueError("river: the scenario lists no pollutant the river carries "
                             "(COD, NH3N)")
        unknown = set(self.river.firms) - {f.name for f in self.firms}
        if unknown:
            raise ValueError(f"river.firms: no listed firms {sorted(unknown)}")
        reaches = {r.name for r in self.river.reaches}
        for k, firm in enumerate(self.firms):
            if firm.reach is not None and firm.reach not in reaches:
                raise ValueError(f"firms.{k}.reach: no reach {firm.reach!r}")
        design = self.exchange.design
        if self.river.set_trading_ratio and not (
                design.kind == "linked" and design.ratio_guangan_to_changshou is not None):
            raise ValueError("river.set_trading_ratio: needs exchange.design kind linked with "
                             "a Guang'an to Changshou direction")
        self._scheme_fits()

    def _scheme_fits(self) -> None:
        scheme, river = self.compensation, self.river
        if scheme is None or scheme.kind == "market" or river is None:
            return
        named = {r.section.name for r in river.reaches if r.section}
        for field_name, names in (("sections", scheme.sections),
                                  ("parties", list(scheme.parties))):
            for name in names:
                if name not in named:
                    raise ValueError(f"compensation.{field_name}.{name}: no such section")
        index = getattr(scheme, "index", None)
        if index is not None:
            for name in index.baseline_mg_l:
                if name not in named:
                    raise ValueError(f"compensation.index.baseline_mg_l.{name}: no such "
                                     "section")
            unknown = set(index.weights) - set(self.pollutants)
            if unknown:
                raise ValueError(f"compensation.index.weights: {sorted(unknown)} not among "
                                 "the scenario's pollutants")
            if index.baseline_years and river.observed is None:
                raise ValueError("compensation.index.baseline_years: needs river.observed")
        if scheme.kind == "pool" and len({(p.upstream, p.downstream)
                                          for p in scheme.parties.values()}) > 1:
            raise ValueError("compensation.parties: a pool needs one upstream and one "
                             "downstream party")

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

    def _known_pollutants(self, where: str, emissions: Mapping[Pollutant, object]) -> None:
        unknown = set(emissions) - set(self.pollutants)
        if unknown:
            raise ValueError(f"{where}: {sorted(unknown)} not listed under pollutants")


def _sorted(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _sorted(node[k]) for k in sorted(node, key=str)}
    if isinstance(node, list):
        return [_sorted(v) for v in node]
    return node
