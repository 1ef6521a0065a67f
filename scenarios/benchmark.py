"""The equilibrium and cost benchmarks of one compliance year and pollutant.

One place computes them for everything that reports them: the run's ``market_years`` and
``kpis`` tables and the workshop's live overview and debrief. For one year and pollutant
they are the competitive equilibrium price of each zone under the scenario's market design,
and the resource abatement cost of five references: the design's equilibrium, each region
trading alone (autarky), one pooled market of both regions, the least cost of the whole
supply (Montgomery 1972) and a uniform cut (command and control). The solvers are those of
:mod:`agents.equilibrium`.

The inputs are those the year's true-up works with (:func:`year_inputs`):

- emissions before abatement: each firm's emissions drawn when the year opened
  (``years.current_t[year]``);
- MAC slopes at the year's close (``years.slope[year]``), because abatement investments
  made during the year lower the slopes the true-up abates with; for a year still open,
  the slopes in force now;
- each firm's environmental tax;
- supply: the rights actually issued for the year by each region, its free allocation plus
  what its regulator sold at the primary auction (unsold rights are cancelled, not issued);
- the design's zones, trading ratios and cross-border quota.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from agents.equilibrium import (RegionFirms, command_and_control, least_cost, linked_outcome,
                                market_outcome)
from exchange import BASIN, Instrument, MarketDesign

if TYPE_CHECKING:
    from scenarios.world import World

__all__ = ["YearBenchmark", "YearInputs", "compute_benchmark", "equilibrium_prices",
           "year_benchmark", "year_inputs"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class YearInputs:
    """What the benchmarks of one year and pollutant are computed from.

    Attributes:
        baseline_t: each firm's emissions before abatement, t.
        slope: each firm's MAC slope, yuan/t^2.
        tax: each firm's environmental tax, yuan/t.
        region: each firm's region.
        supply_t: rights issued for the year by region, t; its keys are the regions.
        design: the cross-border market design: zones, trading ratios.
        quota_t: for the linked design, the most seller-zone tonnes that may cross the
            border each way in the year; None for no quota.
        pollutant: the pollutant, whose own trading ratios the design may carry.
        intercept: each firm's MAC at zero abatement, yuan/t; None for zeros.
    """

    baseline_t: FloatArray
    slope: FloatArray
    tax: FloatArray
    region: npt.NDArray[np.str_]
    supply_t: dict[str, float]
    design: MarketDesign
    quota_t: float | None = None
    pollutant: str = ""
    intercept: FloatArray | None = None


@dataclass(frozen=True, slots=True, eq=False)
class YearBenchmark:
    """Benchmarks of one year and pollutant.

    Attributes:
        inputs: what they were computed from.
        prices: equilibrium price by zone of the design, yuan/t.
        firm_price: the equilibrium price each firm faces (its compliance zone's), yuan/t.
        design_cost_yuan: resource abatement cost at the design's equilibrium.
        autarky_cost_yuan: the same if each region traded only within itself.
        integrated_cost_yuan: the same in one pooled market of both regions.
        least_cost_yuan: the least resource cost of keeping emissions within the supply.
        command_control_cost_yuan: the resource cost of the same total by a uniform cut.
    """

    inputs: YearInputs
    prices: dict[str, float]
    firm_price: FloatArray
    design_cost_yuan: float
    autarky_cost_yuan: float
    integrated_cost_yuan: float
    least_cost_yuan: float
    command_control_cost_yuan: float


def compute_benchmark(inputs: YearInputs) -> YearBenchmark:
    """The benchmarks of one year and pollutant from explicit inputs.

    Raises:
        ValueError: as :mod:`agents.equilibrium` on invalid firm columns, and for a linked
            design without exactly two regions.
    """
    e, s, tax, design = inputs.baseline_t, inputs.slope, inputs.tax, inputs.design
    c = np.zeros_like(e) if inputs.intercept is None else inputs.intercept
    supply = inputs.supply_t
    masks = {r: inputs.region == r for r in supply}
    total = sum(supply.values())
    regional = {r: market_outcome(e[m], s[m], tax[m], supply[r], intercept=c[m])
                for r, m in masks.items()}
    pooled = market_outcome(e, s, tax, total, intercept=c)
    autarky_cost = sum(o.cost_yuan for o in regional.values())
    match design.kind:
        case "integrated":
            prices, cost = {BASIN: pooled.price_yuan_per_t}, pooled.cost_yuan
        case "autarky":
            prices = {r: o.price_yuan_per_t for r, o in regional.items()}
            cost = autarky_cost
        case "linked":
            linked = linked_outcome(
                {r: RegionFirms(e[m], s[m], tax[m], supply[r], c[m]) for r, m in masks.items()},
                design.ratios_for(inputs.pollutant), inputs.quota_t)
            prices, cost = dict(linked.price_yuan_per_t), linked.cost_yuan
    firm_price = np.zeros(len(e))
    for r, m in masks.items():
        firm_price[m] = prices[design.compliance_zone(r)]
    return YearBenchmark(inputs, prices, firm_price, cost, autarky_cost, pooled.cost_yuan,
                         least_cost(e, s, tax, total, intercept=c).cost_yuan,
                         command_and_control(e, s, total, intercept=c).cost_yuan)


def year_inputs(world: World, year: int, pollutant: str) -> YearInputs:
    """The inputs of a year whose allocation is done, as the year's true-up sees them.

    Raises:
        KeyError: the year's allocation of the pollutant has not happened.
    """
    years, f = world.years, world.firms
    if (year, pollutant) not in years.allocations:
        raise KeyError(f"no allocation of {pollutant} in {year} yet")
    j = f.pollutant(pollutant)
    slope = years.slope.get(year, f.slope)  # a year still open: the slopes in force now
    product = years.products[pollutant]
    quota = years.design.quota_units_per_year
    return YearInputs(years.current_t[year][:, j].copy(), slope[:, j].copy(),
                      f.tax[:, j].copy(), f.region, _issued_t(world, year, pollutant),
                      years.design,
                      None if quota is None else quota / product.scale, pollutant,
                      f.intercept[:, j].copy())


def year_benchmark(world: World, year: int, pollutant: str) -> YearBenchmark:
    """The benchmarks of a year whose allocation is done (see :func:`year_inputs`).

    Raises:
        KeyError: the year's allocation of the pollutant has not happened.
    """
    return compute_benchmark(year_inputs(world, year, pollutant))


def equilibrium_prices(world: World, year: int) -> dict[tuple[str, str], float]:
    """Equilibrium price by ``(pollutant, zone)`` of a year, yuan/t; empty before its
    allocation."""
    out = {}
    for pollutant in world.firms.pollutants:
        if (year, pollutant) in world.years.allocations:
            bench = year_benchmark(world, year, pollutant)
            out.update({(pollutant, zone): price for zone, price in bench.prices.items()})
    return out


def _issued_t(world: World, year: int, pollutant: str) -> dict[str, float]:
    """Rights issued for a year by region: free allocation to the region's firms plus the
    primary-auction sales of its regulator, t."""
    allocation = world.years.allocations[year, pollutant]
    sold = _sold_at_auction_t(world, year, pollutant)
    return {region: float(allocation[world.firms.region == region].sum()) + sold.get(region, 0.0)
            for region in world.regulators}


def _sold_at_auction_t(world: World, year: int, pollutant: str) -> dict[str, float]:
    """What each region's regulator sold at the year's primary auctions, t.

    A region's own zone has one seller, whose sales the year record holds; the basin zone's
    auction may have two, told apart by the trades (looked up only then, as they are many).
    """
    sold: dict[str, float] = {}
    for record in world.years.years:
        if record.year != year or record.pollutant != pollutant or record.auctioned_t <= 0:
            continue
        if record.zone != BASIN:
            sold[record.zone] = sold.get(record.zone, 0.0) + record.auctioned_t
            continue
        product = world.years.products[pollutant]
        lot_t = product.lot_units / product.scale
        seller = {r.rules.account: region for region, r in world.regulators.items()}
        symbol = Instrument.symbol_for(pollutant, BASIN, year)
        for t in world.venue.trades:
            if t.kind == "primary" and t.instrument == symbol and t.seller in seller:
                sold[seller[t.seller]] = sold.get(seller[t.seller], 0.0) + t.lots * lot_t
    return sold
