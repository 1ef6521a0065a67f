"""The compliance year: list each vintage's markets, allocate, and true up at the end.

At the midnight that starts a compliance year the day schedule (:mod:`exchange.clock`) runs
the closing year's true-up (phase ``year_close``), then the new year's allocation and
listing (``year_open``); operating cash flow arrives on each month's first day (``cash``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agents.firms import Firms
from agents.ratings import update_scores
from agents.regulator import Regulator, TrueUp
from agents.streams import Streams
from agents.trading import Traders
from exchange import (BASIN, CASH, OUTSIDE, Clock, Market, MarketDesign, Product, Registry,
                      TradingRules, Venue, build_markets, issuer_account, retirement_account)
from exchange.market import Access


@dataclass
class YearRecord:
    """What happened in one compliance year for one pollutant and zone."""

    year: int
    pollutant: str
    zone: str
    cap_t: float
    allocated_t: float
    offered_t: float
    auctioned_t: float
    auction_price_yuan: float | None
    last_price_yuan: float


@dataclass
class ComplianceYears:
    """Runs the yearly cycle and keeps its records for the result tables."""

    clock: Clock
    venue: Venue
    registry: Registry
    firms: Firms
    regulators: dict[str, Regulator]
    design: MarketDesign
    products: dict[str, Product]
    rules: dict[str, TradingRules]
    """Trading rules of each product, in that product's lots."""
    reference_ticks: dict[tuple[str, str], int]
    traders: Traders
    streams: Streams
    allocations: dict[tuple[int, str], np.ndarray] = field(default_factory=dict)
    true_ups: list[tuple[int, TrueUp]] = field(default_factory=list)
    years: list[YearRecord] = field(default_factory=list)
    current_t: dict[int, np.ndarray] = field(default_factory=dict)
    slope: dict[int, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._listed: list[Market] = []
        self._year_rows: dict[tuple[str, str], YearRecord] = {}
        self.clock.at_year_end("year_close", self.close_year)
        self.clock.at_year_start("year_open", self.open_year)
        self.clock.at_month_start("cash", self.cash_flow)

    def cash_flow(self, month: int) -> None:
        """Operating cash flow arrives monthly; at each year's open, firms pay their owners
        what they hold beyond three months of it (a retention rule [L]), so cash does not
        pile up and the lumpy true-up has to be planned for."""
        if month % 12 == 0:
            self._pay_dividends()
        monthly = self.firms.current_profit_yuan / 12
        for account, yuan in zip(self.firms.ids, monthly.tolist()):
            self.registry.issue(OUTSIDE, account, CASH, int(round(yuan * 100)),
                                memo="operating cash flow")

    def _pay_dividends(self) -> None:
        keep = self.firms.current_profit_yuan * 3 / 12 * 100
        for account, retained in zip(self.firms.ids, keep.tolist()):
            surplus = self.registry.cash(account) - int(retained)
            self.registry.transfer(account, OUTSIDE, CASH, max(0, surplus), memo="dividend")

    # ---- opening -------------------------------------------------------------------------

    @property
    def regions(self) -> list[str]:
        return list(self.regulators)

    def open_year(self, year: int) -> None:
        """Draw output shocks, create the vintage's markets, allocate, list."""
        index = year - self.venue.calendar.start_year
        self.firms.draw_year(self.streams("firms", "output", year))
        self.current_t[year] = self.firms.current_t.copy()
        allocation = np.zeros((len(self.firms), len(self.firms.pollutants)))
        for j, (name, product) in enumerate(self.products.items()):
            refs = {z: self.reference_ticks[name, z] for z in self.design.zones(self.regions)}
            markets = build_markets(self.design, product, year, self.regions, self.registry,
                                    self.rules[name], refs, self.venue.order_ids)
            for market in markets:
                allocation[:, j] += self._allocate(market, name, index)
                self.venue.list_market(market)
                self._listed.append(market)
        for j, name in enumerate(self.products):
            self.allocations[year, name] = allocation[:, j]

    def _allocate(self, market: Market, pollutant: str, index: int) -> np.ndarray:
        """Free or benchmark allocation, or a primary auction, by each regulator of the zone."""
        zone, year = market.instrument.zone, market.instrument.vintage
        issuer = issuer_account(zone)
        given = np.zeros(len(self.firms))
        regulators = [r for r in self.regulators.values() if zone in (BASIN, r.rules.region)]
        auctioned = [r for r in regulators if r.rules.allocation == "auction"]
        cap = sum(r.cap_t(pollutant, index) for r in regulators)
        for regulator in regulators:
            if regulator.rules.allocation != "auction":
                given[regulator.members] = regulator.allocate(market, pollutant, index, issuer)
        price, offered, sold = None, 0.0, 0.0
        if auctioned:
            price, offered, sold = self._auction(market, pollutant, index, auctioned, issuer)
        self.years.append(YearRecord(year, pollutant, zone, cap, float(given.sum()), offered,
                                     sold, price, 0.0))
        self._year_rows[pollutant, zone] = self.years[-1]
        return given

    def _auction(self, market: Market, pollutant: str, index: int,
                 regulators: list[Regulator], issuer: str
                 ) -> tuple[float | None, float, float]:
        """Run the primary auction; return its price (yuan/t) and the tonnes offered and sold."""
        instrument = market.instrument
        access = {region: Access(may_sell=False) for region in instrument.holders}
        for regulator in regulators:
            access[regulator.rules.region] = Access()
        primary = Market(f"{market.market_id}:primary", instrument, self.registry,
                         rules=TradingRules(band=None, fee_bps=self.rules[pollutant].fee_bps),
                         access=access, reference_ticks=market.reference_ticks,
                         order_ids=self.venue.order_ids)
        primary.open_call()
        reserve = min(primary.instrument.ticks_for_yuan(
            r.rules.reserve_yuan_per_t[pollutant] * instrument.lot_quantity) for r in regulators)
        offered = sum(r.offer_at_auction(primary, pollutant, index, issuer)
                      for r in regulators) * instrument.lot_quantity
        self.traders.bid_at_auction(primary, self.firms.pollutant(pollutant))
        price, trades = primary.run_primary_auction(reserve, day=self.venue.day)
        for regulator in regulators:  # unsold units are cancelled, not carried
            left = self.registry.available(regulator.rules.account, instrument.symbol)
            self.registry.retire(regulator.rules.account, retirement_account(instrument.zone),
                                 instrument.symbol, left, memo="unsold at auction")
        self.venue.archive(primary)
        sold = sum(t.lots for t in trades) * instrument.lot_quantity
        price_yuan = instrument.yuan(price) / instrument.lot_quantity if price else None
        return price_yuan, offered, sold

    # ---- closing -------------------------------------------------------------------------

    def close_year(self, year: int) -> None:
        """Delist the vintage, true up every region, retire what expires."""
        self.slope[year] = self.firms.slope.copy()  # investments during the year count
        closing = [m for m in self._listed if m.instrument.vintage == year]
        prices: dict[tuple[str, str], float] = {}
        for market in closing:
            self.venue.delist(market.market_id)
            instrument = market.instrument
            price = instrument.yuan(market.reference_ticks) / instrument.lot_quantity
            prices[instrument.product, instrument.zone] = price
            self.reference_ticks[instrument.product, instrument.zone] = market.reference_ticks
            self._year_rows[instrument.product, instrument.zone].last_price_yuan = price
        self._listed = [m for m in self._listed if m not in closing]
        for region, regulator in self.regulators.items():
            zone = self.design.compliance_zone(region)
            for name, product in self.products.items():
                symbols = [f"{name}:{zone}:{v}" for v in
                           range(year - product.validity_years + 1, year + 1)]
                result = regulator.true_up(name, symbols, product.scale, prices[name, zone])
                self.true_ups.append((year, result))
        self._rate_firms(year)
        self._retire_expired(year)

    def emissions_t(self, year: int) -> np.ndarray:
        """Each firm's realised emissions in a closed year, t, shape (firms, pollutants)."""
        out = np.zeros((len(self.firms), len(self.firms.pollutants)))
        for y, t in self.true_ups:
            if y == year:
                out[t.firms, self.firms.pollutant(t.pollutant)] = t.emissions_t
        return out

    def _rate_firms(self, year: int) -> None:
        """The regulators' yearly environmental credit rating, from the year's record."""
        f = self.firms
        shortfall = np.zeros(len(f), dtype=bool)
        unpaid = np.zeros(len(f), dtype=bool)
        for y, t in self.true_ups:
            if y == year:
                shortfall[t.firms] |= t.shortfall_t > 1e-9
                unpaid[t.firms] |= t.unpaid_yuan > 0.005
        f.rate(update_scores(f.env_score, shortfall, unpaid, f.defaulted))

    def _retire_expired(self, year: int) -> None:
        for name, product in self.products.items():
            vintage = year - product.validity_years + 1
            for zone in self.design.zones(self.regions):
                self.registry.retire_outstanding(f"{name}:{zone}:{vintage}",
                                                 retirement_account(zone), memo="expired")
