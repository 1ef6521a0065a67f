"""Market designs across the border: which books exist and who may trade in which.

- ``autarky``: each region has its own book and only its own accounts trade in it.
- ``integrated``: one book of basin-wide rights that both regions hold and surrender.
- ``linked``: each region keeps its own book and rights; buyers may also buy in the other
  region's book, and what they buy is converted into their own region's rights at the
  trading ratio of that direction (for a river, the transfer coefficient), within an optional
  yearly quota of cross-border lots per book. Sellers sell at home.

Ratios are data here: the exchange knows nothing of rivers or airsheds. A design carries one
map of ratios for every product and, optionally, a map per product that replaces it (water
pollutants at river transfer coefficients, air pollutants within an airshed).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from exchange.instruments import BASIN, Instrument
from exchange.market import Access, Market, TradingRules
from exchange.registry import Registry


@dataclass(frozen=True, slots=True)
class MarketDesign:
    """The scenario's choice of design.

    Attributes:
        kind: ``autarky``, ``integrated`` or ``linked``.
        ratios: for ``linked``, units a buyer receives per unit bought, by ``(seller_zone,
            buyer_region)``; a direction missing from the map is closed.
        quota_units_per_year: for ``linked``, the most registry units of each product that
            may cross the border into each book per year (None: no quota); each book counts
            it in its own lots.
        product_ratios: for ``linked``, ratios of one product by ``(seller_zone,
            buyer_region)``; a product listed here uses its own map instead of ``ratios``.
    """

    kind: Literal["autarky", "integrated", "linked"]
    ratios: dict[tuple[str, str], float] = field(default_factory=dict)
    quota_units_per_year: int | None = None
    product_ratios: dict[str, dict[tuple[str, str], float]] = field(default_factory=dict)

    def ratios_for(self, product: str) -> dict[tuple[str, str], float]:
        """The trading ratios of one product, by ``(seller_zone, buyer_region)``."""
        return self.product_ratios.get(product, self.ratios)

    def zones(self, regions: Sequence[str]) -> list[str]:
        """Zones that issue rights: one per region, or the single basin zone."""
        return [BASIN] if self.kind == "integrated" else list(regions)

    def compliance_zone(self, region: str) -> str:
        """The zone whose rights a region's firms surrender."""
        return BASIN if self.kind == "integrated" else region


@dataclass(frozen=True, slots=True)
class Product:
    """What every vintage of a product has in common."""

    name: str
    unit: str
    lot_units: int
    tick_fen: int
    validity_years: int = 1
    scale: int = 1


def market_id(product: str, zone: str) -> str:
    """Stable id of a product's book in a zone, the same for every vintage."""
    return f"{product}@{zone}"


def instrument(product: Product, zone: str, vintage: int, regions: list[str]) -> Instrument:
    holders = frozenset(regions) if zone == BASIN else frozenset([zone])
    return Instrument(Instrument.symbol_for(product.name, zone, vintage), product.name, zone,
                      vintage, vintage + product.validity_years - 1, product.unit,
                      product.lot_units, product.tick_fen, holders, product.scale)


def build_markets(design: MarketDesign, product: Product, vintage: int, regions: list[str],
                  registry: Registry, rules: TradingRules, reference_ticks: dict[str, int],
                  order_ids: itertools.count[int]) -> list[Market]:
    """One market per zone for a product's vintage, with each region's access set by design."""
    zones = design.zones(regions)
    instruments = {z: instrument(product, z, vintage, regions) for z in zones}
    markets = []
    for zone, instr in instruments.items():
        access = {zone: Access()} if zone != BASIN else {r: Access() for r in regions}
        quota = None
        if design.kind == "linked":
            ratios = design.ratios_for(product.name)
            for region in regions:
                ratio = ratios.get((zone, region))
                if region != zone and ratio is not None:
                    access[region] = Access(may_sell=False, deliver_as=instruments[region],
                                            ratio=ratio)
            if design.quota_units_per_year is not None:
                quota = design.quota_units_per_year // product.lot_units
        markets.append(Market(market_id(product.name, zone), instr, registry, rules=rules,
                              access=access, reference_ticks=reference_ticks[zone],
                              order_ids=order_ids, cross_border_quota_lots=quota))
    return markets
