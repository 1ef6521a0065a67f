"""Forest rights: forest-coverage indicators, planting and forest carbon sinks.

Each region holds its forest as *indicators*, registry units of the product ``forest`` in its
zone (1 unit = 1 mu of forest area; symbol ``forest:<region>:<start year>``), issued at the
start to the holders of forest-rights certificates (林权): a share of the region's firms and
the government account ``gov:<region>``, which stands for every other holder (state and
collective forest). A region's *counted* coverage is the indicators of its zone outstanding
(issued less retired) over its land area; its target is a share of land that rises by a fixed
step each year. A region short of its target buys indicators from the other region or plants
(reference/domain.md section 3, the Chongqing 2018 coverage-indicator scheme):

- ``administered``: the two governments agree a transfer at the fixed indicator price (2,500
  yuan/mu including 15 years of upkeep), of the smaller of the buyer's shortfall and the
  seller's surplus above its own target, when that is cheaper for the buyer than planting.
- ``market``: each zone has a forest market on the exchange; on the year's last trading day,
  in the opening call, the long government asks its surplus in steps rising from its upkeep
  cost to its own planting cost and the short one bids its shortfall at its planting cost
  (its reservation price); the call auction sets the price.

Bought indicators are the seller zone's units retired and the buyer zone's units issued one
for one, so the buyer's counted coverage rises by what the seller's falls; the physical
forest stays where it grows and the seller must keep it (the price pays its upkeep). What is
still short after trading is planted, up to the region's yearly capacity, paid to the world
outside the model, and counts from the next year.

Forest carbon: each year a region's forest sinks ``managed * 0.23 + afforested * 0.7``
tCO2e (managed forest under a crediting project; afforested = planted during the run), sold
outside the model at the CQCER price (administered variant) or the CCER price (market
variant) and paid to the holders of the physical forest pro rata to their area.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

import numpy as np

from agents.budget import appropriate
from exchange import (CASH, OUTSIDE, Clock, Market, MarketDesign, Product, Registry,
                      Side, TradingRules, Venue, build_markets, issuer_account,
                      retirement_account)

__all__ = ["FOREST", "ForestRules", "ForestYear", "Forests", "RegionForest", "ask_ladder",
           "required_mu", "sinks_tco2e", "transfer_mu"]

FOREST = "forest"
"""Product name of forest-area indicators (unit ``mu``)."""

Pricing = Literal["administered", "market"]


@dataclass(frozen=True, slots=True)
class RegionForest:
    """One region's land and forest.

    Attributes:
        region: the region.
        land_mu: land area, mu.
        forest_mu: physical forest area at the start, mu.
        target: coverage target in the first year, share of land.
        target_rise_per_year: added to the target each year.
        planting_cost_yuan_per_mu: cost of afforestation including its upkeep.
        planting_capacity_mu: most the region can plant in a year, mu.
        managed_share: share of the starting forest under a carbon-crediting project.
    """

    region: str
    land_mu: int
    forest_mu: int
    target: float
    target_rise_per_year: float
    planting_cost_yuan_per_mu: float
    planting_capacity_mu: int
    managed_share: float

    def target_in(self, index: int) -> float:
        """Target of the ``index``-th year of the run (0 for the first)."""
        return min(1.0, self.target + index * self.target_rise_per_year)


@dataclass(frozen=True, slots=True)
class ForestRules:
    """The variant and its prices.

    Attributes:
        pricing: ``administered`` or ``market``.
        indicator_price_yuan_per_mu: the administered price (incl. upkeep).
        upkeep_yuan_per_mu_year: yearly upkeep of a mu of forest.
        upkeep_years: years of upkeep a sold indicator obliges the seller to.
        ask_steps: steps of the seller's ask ladder in the market variant.
        sink_rate_management: tCO2e per mu and year of managed forest.
        sink_rate_afforestation: tCO2e per mu and year of afforested land.
        sink_price_yuan_per_t: price the sinks sell at outside the model.
        fee_bps: exchange fee of the forest markets, basis points of value.
    """

    pricing: Pricing
    indicator_price_yuan_per_mu: float = 2_500.0
    upkeep_yuan_per_mu_year: float = 100.0
    upkeep_years: int = 15
    ask_steps: int = 5
    sink_rate_management: float = 0.23
    sink_rate_afforestation: float = 0.7
    sink_price_yuan_per_t: float = 30.0
    fee_bps: int = 0

    @property
    def upkeep_yuan_per_mu(self) -> float:
        """What keeping a mu of forest for the upkeep period costs its holder."""
        return self.upkeep_yuan_per_mu_year * self.upkeep_years


@dataclass
class ForestYear:
    """One region's forest in one year (quantities in mu, money in yuan)."""

    year: int
    region: str
    land_mu: int
    forest_mu: int
    planted_mu: int
    indicators_mu: int
    target: float
    bought_mu: int
    sold_mu: int
    paid_yuan: float
    received_yuan: float
    planting_cost_yuan: float
    sinks_tco2e: float
    sink_revenue_yuan: float
    met_target: bool
    firms_mu: int
    pledged_mu: int


# ---- pure rules ------------------------------------------------------------------------------

def required_mu(land_mu: int, target: float) -> int:
    """Indicators a region needs to meet ``target`` on ``land_mu`` (rounded up to a mu)."""
    return math.ceil(land_mu * target - 1e-9)


def transfer_mu(shortfall_mu: int, surplus_mu: int, price_yuan_per_mu: float,
                planting_cost_yuan_per_mu: float) -> int:
    """The administered transfer: the smaller of shortfall and surplus, if buying is
    cheaper than planting (otherwise nothing)."""
    if price_yuan_per_mu >= planting_cost_yuan_per_mu:
        return 0
    return max(0, min(shortfall_mu, surplus_mu))


def ask_ladder(surplus_mu: int, steps: int, low_yuan: float, high_yuan: float
               ) -> list[tuple[int, float]]:
    """The seller's asks: ``surplus_mu`` in ``steps`` nearly equal parts at prices rising
    evenly from ``low_yuan`` to ``high_yuan``; ``(mu, yuan per mu)`` with no empty step."""
    steps = max(1, min(steps, surplus_mu))
    sizes = [surplus_mu // steps + (k < surplus_mu % steps) for k in range(steps)]
    prices = np.linspace(low_yuan, high_yuan, steps) if steps > 1 else np.array([low_yuan])
    return [(size, float(p)) for size, p in zip(sizes, prices.tolist()) if size > 0]


def sinks_tco2e(managed_mu: float, afforested_mu: float, rate_management: float,
                rate_afforestation: float) -> float:
    """A year's forest carbon sink, tCO2e."""
    return managed_mu * rate_management + afforested_mu * rate_afforestation


# ---- the yearly cycle ----------------------------------------------------------------------

@dataclass
class Forests:
    """The regions' forests, their indicators in the registry and the yearly cycle.

    A year's forest closes after its pollution and water true-ups (phase ``forest_close``);
    in the market variant the governments' orders go into the call of each year's last
    trading day (``auction_orders``).
    """

    clock: Clock
    venue: Venue
    registry: Registry
    regions: dict[str, RegionForest]
    rules: ForestRules
    firm_mu: dict[str, int]
    """Forest-rights certificates held by firms: account -> mu (the rest is the
    government's)."""
    firm_region: dict[str, str]
    records: list[ForestYear] = field(default_factory=list)
    markets: dict[str, Market] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cal = self.venue.calendar
        self.start_year = cal.start_year
        self.product = Product(FOREST, "mu", lot_units=1, tick_fen=100,
                               validity_years=cal.years + 50)
        self.forest_mu = {r: f.forest_mu for r, f in self.regions.items()}
        self.afforested_mu = dict.fromkeys(self.regions, 0)
        self._planted: dict[str, int] = dict.fromkeys(self.regions, 0)
        self._administered: list[tuple[int, str, str, int, float]] = []
        self._issue_certificates()
        self.clock.at_year_end("forest_close", self.close_year)
        if self.rules.pricing == "market":
            self._list_markets()
            self.clock.at("auction_orders", self._on_last_day)

    def symbol(self, region: str) -> str:
        return f"{FOREST}:{region}:{self.start_year}"

    def government(self, region: str) -> str:
        return f"gov:{region}"

    def _issue_certificates(self) -> None:
        for region, forest in self.regions.items():
            firms = {a: mu for a, mu in self.firm_mu.items() if self.firm_region[a] == region}
            if sum(firms.values()) > forest.forest_mu:
                raise ValueError(f"forest: firms of {region} hold more than its forest")
            issuer, symbol = issuer_account(region), self.symbol(region)
            for account, mu in sorted(firms.items()):
                self.registry.issue(issuer, account, symbol, mu, memo="forest-rights certificate")
            self.registry.issue(issuer, self.government(region), symbol,
                                forest.forest_mu - sum(firms.values()),
                                memo="forest-rights certificate")

    def _list_markets(self) -> None:
        regions = list(self.regions)
        ratios = {(a, b): 1.0 for a in regions for b in regions if a != b}
        ticks = {r: round(self.rules.indicator_price_yuan_per_mu) for r in regions}
        rules = TradingRules(band=None, block_min_lots=1, fee_bps=self.rules.fee_bps)
        for market in build_markets(MarketDesign("linked", ratios), self.product,
                                    self.start_year, regions, self.registry, rules, ticks,
                                    self.venue.order_ids):
            self.venue.list_market(market)
            self.markets[market.instrument.zone] = market

    # ---- state ---------------------------------------------------------------------------

    def indicators_mu(self, region: str) -> int:
        """Indicators of the region's zone outstanding: issued less retired."""
        symbol = self.symbol(region)
        return (-self.registry.total(issuer_account(region), symbol)
                - self.registry.total(retirement_account(region), symbol))

    def shortfall_mu(self, region: str, index: int) -> int:
        """Indicators missing for the year's target (negative: a surplus)."""
        forest = self.regions[region]
        return required_mu(forest.land_mu, forest.target_in(index)) - self.indicators_mu(region)

    def appraisal_fen_per_mu(self, region: str) -> float:
        """What a mu of the region's indicators is worth as collateral: the forest market's
        reference price in the market variant, the administered price otherwise."""
        market = self.markets.get(region)
        if market is None:
            return self.rules.indicator_price_yuan_per_mu * 100
        return float(market.reference_ticks * market.instrument.tick_fen)

    def appraisals(self) -> dict[str, Callable[[], float]]:
        """Each region's indicator symbol with its appraisal, fen per unit (for pledges)."""
        return {self.symbol(r): partial(self.appraisal_fen_per_mu, r) for r in self.regions}

    # ---- market variant --------------------------------------------------------------------

    def _on_last_day(self, day: int) -> None:
        """Place the year's orders on its last trading day."""
        cal = self.venue.calendar
        if cal.year_ending(day + 1) is not None:
            self.place_orders(cal.year_index(day))

    def place_orders(self, index: int) -> None:
        """The long government asks its surplus, the short one bids its shortfall."""
        need = {r: self.shortfall_mu(r, index) for r in self.regions}
        for seller, buyer in itertools.permutations(self.regions, 2):
            if need[seller] >= 0 or need[buyer] <= 0:
                continue
            market = self.markets[seller]
            gov = self.government(seller)
            surplus = min(-need[seller], self.registry.available(gov, self.symbol(seller)))
            high = self.regions[seller].planting_cost_yuan_per_mu
            for mu, yuan in ask_ladder(surplus, self.rules.ask_steps,
                                       self.rules.upkeep_yuan_per_mu, high):
                market.submit(gov, Side.SELL, mu, market.instrument.ticks_for_yuan(yuan),
                              day=self.venue.day)
            self._bid(market, buyer, need[buyer])

    def _bid(self, market: Market, buyer: str, shortfall: int) -> None:
        gov = self.government(buyer)
        ticks = market.instrument.ticks_for_yuan(self.regions[buyer].planting_cost_yuan_per_mu)
        value = market.instrument.value_fen(shortfall, ticks)
        appropriate(self.registry, gov, value + value * self.rules.fee_bps // 10_000, "forest")
        market.submit(gov, Side.BUY, shortfall, ticks, day=self.venue.day)

    # ---- the year's close ------------------------------------------------------------------

    def close_year(self, year: int) -> None:
        """Settle the year: administered transfers, the coverage check, planting and sinks."""
        index = year - self.start_year
        if self.rules.pricing == "administered":
            self._negotiate(year, index)
        planted_before = dict(self.afforested_mu)
        rows = {}
        for region, forest in self.regions.items():
            short = self.shortfall_mu(region, index)
            rows[region] = ForestYear(
                year, region, forest.land_mu, self.forest_mu[region], 0,
                self.indicators_mu(region), forest.target_in(index), 0, 0, 0.0, 0.0, 0.0,
                0.0, 0.0, short <= 0, *self._firm_holdings(region))
            self._plant(rows[region], short)
        self._record_deals(year, rows)
        for region, row in rows.items():
            self._sell_sinks(row, planted_before[region])
        self.records.extend(rows.values())

    def _firm_holdings(self, region: str) -> tuple[int, int]:
        """Indicators the region's firms hold, and how many of them are pledged."""
        held = [self.registry.holding(a, self.symbol(region)) for a in self.firm_mu
                if self.firm_region[a] == region]
        return sum(h.total for h in held), sum(h.pledged for h in held)

    def _negotiate(self, year: int, index: int) -> None:
        need = {r: self.shortfall_mu(r, index) for r in self.regions}
        price = self.rules.indicator_price_yuan_per_mu
        for seller, buyer in itertools.permutations(self.regions, 2):
            surplus = min(-need[seller], self.registry.available(self.government(seller),
                                                                 self.symbol(seller)))
            mu = transfer_mu(need[buyer], surplus, price,
                             self.regions[buyer].planting_cost_yuan_per_mu)
            if mu <= 0:
                continue
            self._transfer(year, seller, buyer, mu, price)
            need[seller] += mu
            need[buyer] -= mu

    def _transfer(self, year: int, seller: str, buyer: str, mu: int, price: float) -> None:
        """A negotiated transfer: cash to the seller, the seller's units retired and the
        buyer's zone's units issued one for one."""
        reg = self.registry
        fen = int(round(mu * price * 100))
        memo = f"forest indicator transfer {seller}->{buyer} {year}"
        appropriate(self.registry, self.government(buyer), fen, "forest")
        reg.transfer(self.government(buyer), self.government(seller), CASH, fen, memo=memo)
        reg.retire(self.government(seller), retirement_account(seller), self.symbol(seller), mu,
                   memo=memo)
        reg.issue(issuer_account(buyer), self.government(buyer), self.symbol(buyer), mu,
                  memo=memo)
        self._administered.append((year, seller, buyer, mu, fen / 100))

    def _plant(self, row: ForestYear, short: int) -> None:
        """Plant what is still short, within capacity; it counts from the next year."""
        forest = self.regions[row.region]
        mu = max(0, min(short, forest.planting_capacity_mu))
        if not mu:
            return
        gov = self.government(row.region)
        fen = int(round(mu * forest.planting_cost_yuan_per_mu * 100))
        appropriate(self.registry, gov, fen, "forest")
        self.registry.transfer(gov, OUTSIDE, CASH, fen, memo=f"afforestation {row.year}")
        self.registry.issue(issuer_account(row.region), gov, self.symbol(row.region), mu,
                            memo=f"afforestation {row.year}")
        self.forest_mu[row.region] += mu
        self.afforested_mu[row.region] += mu
        row.planted_mu, row.planting_cost_yuan = mu, fen / 100

    def _record_deals(self, year: int, rows: dict[str, ForestYear]) -> None:
        deals = [(s, b, mu, yuan) for y, s, b, mu, yuan in self._administered if y == year]
        cal = self.venue.calendar
        for market in self.markets.values():
            deals += [(t.seller_region, t.buyer_region, t.delivered_units, t.value_fen / 100)
                      for t in market.trades if cal.year_of(t.day) == year]
        for seller, buyer, mu, yuan in deals:
            rows[seller].sold_mu += mu
            rows[seller].received_yuan += yuan
            rows[buyer].bought_mu += mu
            rows[buyer].paid_yuan += yuan

    def _sell_sinks(self, row: ForestYear, afforested_mu: int) -> None:
        """The year's sinks of the region's physical forest, sold outside the model; the
        revenue goes to the holders pro rata to the physical area they hold."""
        forest, rules = self.regions[row.region], self.rules
        tco2e = sinks_tco2e(forest.forest_mu * forest.managed_share, afforested_mu,
                            rules.sink_rate_management, rules.sink_rate_afforestation)
        total_fen = int(round(tco2e * rules.sink_price_yuan_per_t * 100))
        physical = self.forest_mu[row.region] - row.planted_mu  # this year's planting excluded
        paid = 0
        for account, mu in sorted(self.firm_mu.items()):
            if self.firm_region[account] == row.region and mu:
                fen = total_fen * mu // physical
                self.registry.issue(OUTSIDE, account, CASH, fen, memo="forest carbon sink sale")
                paid += fen
        self.registry.issue(OUTSIDE, self.government(row.region), CASH, total_fen - paid,
                            memo="forest carbon sink sale")
        row.sinks_tco2e, row.sink_revenue_yuan = tco2e, total_fen / 100
