"""Textbook benchmarks of a game's compliance year, for the live overview and the debrief.

For one year and pollutant: the competitive equilibrium price of each zone under the
scenario's market design, and the resource abatement cost of four references: the design's
equilibrium, each region trading alone (autarky), one pooled market for both regions, and
the least cost of the whole cap (Montgomery 1972). All come from
:mod:`agents.equilibrium` with the year's emissions before abatement and the year's supply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.equilibrium import RegionFirms, least_cost, linked_outcome, market_outcome
from exchange import BASIN
from scenarios import World


@dataclass(frozen=True, slots=True)
class YearBenchmark:
    """Benchmarks of one year and pollutant.

    Attributes:
        prices: equilibrium price by zone of the design, yuan/t.
        firm_price: the equilibrium price each firm faces (its compliance zone's), yuan/t.
        supply_t: rights issued or offered by region, t.
        design_cost_yuan: resource abatement cost at the design's equilibrium.
        autarky_cost_yuan: the same if each region traded only within itself.
        integrated_cost_yuan: the same in one pooled market of both regions.
        least_cost_yuan: the least resource cost of meeting the total cap.
    """

    prices: dict[str, float]
    firm_price: np.ndarray
    supply_t: dict[str, float]
    design_cost_yuan: float
    autarky_cost_yuan: float
    integrated_cost_yuan: float
    least_cost_yuan: float


def year_benchmark(world: World, year: int, pollutant: str) -> YearBenchmark | None:
    """Benchmarks of a year whose allocation is done; None before that."""
    years = world.years
    if year not in years.current_t or (year, pollutant) not in years.allocations:
        return None
    f = world.firms
    j = f.pollutant(pollutant)
    e, s, tax = years.current_t[year][:, j], f.slope[:, j], f.tax[:, j]
    masks = {r: f.region == r for r in world.regulators}
    supply = _regional_supply(world, year, pollutant, masks)
    total = sum(supply.values())
    regional = {r: market_outcome(e[m], s[m], tax[m], supply[r]) for r, m in masks.items()}
    pooled = market_outcome(e, s, tax, total)
    autarky_cost = sum(o.cost_yuan for o in regional.values())
    design = years.design
    firm_price = np.zeros(len(f))
    if design.kind == "integrated":
        prices, cost = {BASIN: pooled.price_yuan_per_t}, pooled.cost_yuan
        firm_price[:] = pooled.price_yuan_per_t
    elif design.kind == "autarky":
        prices = {r: o.price_yuan_per_t for r, o in regional.items()}
        cost = autarky_cost
    else:
        product = years.products[pollutant]
        quota = design.quota_units_per_year
        linked = linked_outcome(
            {r: RegionFirms(e[m], s[m], tax[m], supply[r]) for r, m in masks.items()},
            design.ratios,
            None if quota is None else quota / product.scale)
        prices, cost = dict(linked.price_yuan_per_t), linked.cost_yuan
    if design.kind != "integrated":
        for r, m in masks.items():
            firm_price[m] = prices[r]
    return YearBenchmark(prices, firm_price, supply, cost, autarky_cost, pooled.cost_yuan,
                         least_cost(e, s, tax, total).cost_yuan)


def equilibrium_prices(world: World, year: int) -> dict[tuple[str, str], float]:
    """Equilibrium price by ``(pollutant, zone)`` of a year, yuan/t."""
    out = {}
    for pollutant in world.firms.pollutants:
        bench = year_benchmark(world, year, pollutant)
        if bench is not None:
            out.update({(pollutant, zone): price for zone, price in bench.prices.items()})
    return out


def _regional_supply(world: World, year: int, pollutant: str,
                     masks: dict[str, np.ndarray]) -> dict[str, float]:
    """Free allocation to each region's firms plus what its regulator offered at auction."""
    allocation = world.years.allocations[year, pollutant]
    index = world.venue.calendar.years_list.index(year)
    supply = {}
    for region, mask in masks.items():
        regulator = world.regulators[region]
        offered = (regulator.cap_t(pollutant, index)
                   if regulator.rules.allocation == "auction" else 0.0)
        supply[region] = float(allocation[mask].sum()) + offered
    return supply


__all__ = ["YearBenchmark", "equilibrium_prices", "year_benchmark"]
