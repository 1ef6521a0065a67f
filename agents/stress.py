"""Stress tests: shocks applied at a date, whose effects run through the whole model.

Market and fundamentals:

- ``price_collapse``: the regulators release a reserve of a pollutant's rights (``size``
  times the year's cap) and offer what is unsold at the bottom of each day's band, day
  after day, until it is sold, but never below half the price on the release day [L]: each
  day's trades at the floor lower the next day's band, so the price is pushed down and
  pledged collateral loses value.
- ``tightened_cap``: caps of every pollutant are cut by ``size`` from the next allocation
  (a tighter cap or discharge standard).
- ``output_shock``: a sector's output, and so its emissions and operating cash flow, fall by
  ``size`` for the rest of the year, and its default probability rises by ``1 / (1 - size)``
  (a production halt when ``size`` is near 1).

Transition risk:

- ``carbon_price``: a carbon price on a sector that rises along a path: it takes ``size``
  of the sector's operating cash flow from the shock on, ``2 * size`` from the next year,
  and so on (capped at 95 %), as a price rising linearly on steady emissions would [L].
  Lower cash flow raises leverage, hence PD, and lowers the debt ceiling.

Physical risk:

- ``drought``: a dry year: every firm's output (of ``region``, or all) falls by ``size``
  for the rest of the year, river flows fall by ``size`` until the year's river close
  (less dilution at the monitoring sections), and the next year's PD draw is raised by
  ``1 / (1 - size)``.
- ``flood``: firms of ``region`` (or all) lose ``size`` of a year's operating cash flow in
  damage at once, and the next year's PD draw is raised by ``1 / (1 - size)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import networkx as nx
import numpy as np

from exchange import (CASH, OUTSIDE, Clock, Market, OrderRejected, Registry, Side, Venue,
                      issuer_account)


if TYPE_CHECKING:
    from agents.credit import Credit
    from agents.cycle import ComplianceYears

__all__ = ["SHOCK_KINDS", "Shock", "ShockKind", "StressTest"]

ShockKind = Literal["price_collapse", "tightened_cap", "output_shock", "carbon_price",
                    "drought", "flood"]
SHOCK_KINDS: tuple[ShockKind, ...] = ("price_collapse", "tightened_cap", "output_shock",
                                      "carbon_price", "drought", "flood")
CARBON_CAP = 0.95
RELEASE_FLOOR = 0.5
"""A reserve is not sold below this share of the reference price on its release day [L]:
the regulators push the price down, not to nothing."""


@dataclass(frozen=True, slots=True)
class Shock:
    """One shock: its trading day, kind, size (a share) and whom it hits."""

    day: int
    kind: ShockKind
    size: float
    pollutant: str | None = None
    sector: str | None = None
    region: str | None = None


@dataclass(slots=True)
class _Release:
    """A reserve still on offer: the market, the selling regulator, the lots left, the
    lowest price it is offered at, ticks, and how many of the market's trades were seen."""

    market: Market
    seller: str
    lots: int
    floor_ticks: int
    seen: int


class StressTest:
    """Applies the scenario's shocks on their days; ``applied`` logs ``(day, kind)``.

    ``reserve_sold_lots`` counts what the reserve releases have sold, by market id;
    ``flood_damage_yuan`` what floods cost each firm.
    """

    def __init__(self, clock: Clock, venue: Venue, registry: Registry,
                 years: ComplianceYears, credit: Credit | None, shocks: list[Shock],
                 river: nx.DiGraph[str] | None = None) -> None:
        self.venue, self.registry = venue, registry
        self.years, self.credit, self.river = years, credit, river
        self.shocks = sorted(shocks, key=lambda s: s.day)  # stable: same-day shocks as listed
        self.applied: list[tuple[int, str]] = []
        self.reserve_sold_lots: dict[str, int] = {}
        self.flood_damage_yuan: dict[str, float] = {}
        self._releases: list[_Release] = []
        self._later: list[tuple[int, Shock]] = []  # (day, shock): a step of a path or an undo
        clock.at("shocks", self._on_day)

    def _on_day(self, day: int) -> None:
        for due, shock in [x for x in self._later if x[0] == day]:
            self._later.remove((due, shock))
            self._follow_up(day, shock)
        for shock in self.shocks:
            if shock.day == day:
                {"price_collapse": self._price_collapse, "tightened_cap": self._tighten,
                 "output_shock": self._output_shock, "carbon_price": self._carbon_price,
                 "drought": self._drought, "flood": self._flood}[shock.kind](shock)
                self.applied.append((shock.day, shock.kind))
        self._releases = [r for r in self._releases if self._offer(day, r)]

    def _next_year_day(self, day: int) -> int:
        cal = self.venue.calendar
        return (cal.year_index(day) + 1) * cal.days_per_year

    def _hit(self, shock: Shock) -> np.ndarray:
        f = self.years.firms
        hit = np.ones(len(f), dtype=bool)
        if shock.sector is not None:
            hit &= f.sector == shock.sector
        if shock.region is not None:
            hit &= f.region == shock.region
        return hit

    # ---- market and fundamentals ----------------------------------------------------------

    def _price_collapse(self, shock: Shock) -> None:
        for market in self.venue.markets.values():
            if market.instrument.product != shock.pollutant or market.band() is None:
                continue
            zone = market.instrument.zone
            regulators = [r for r in self.years.regulators.values()
                          if zone in ("basin", r.rules.region)]
            seller = regulators[0].rules.account
            index = self.venue.calendar.year_index(self.venue.day)
            cap = sum(r.cap_t(shock.pollutant, index) for r in regulators)
            lots = int(shock.size * cap / market.instrument.lot_quantity)
            if lots <= 0:
                continue
            self.registry.issue(issuer_account(zone), seller, market.instrument.symbol,
                                lots * market.instrument.lot_units, memo="reserve release")
            floor = max(1, int(RELEASE_FLOOR * market.reference_ticks))
            self._releases.append(_Release(market, seller, lots, floor, len(market.trades)))

    def _offer(self, day: int, release: _Release) -> bool:
        """Count what sold since the last offer, then offer what is left at today's band
        floor (not below the release's floor), in orders no larger than the market allows;
        day orders, re-offered tomorrow. False once it is sold or its market is gone."""
        market = release.market
        self._count_sold(release)
        band = market.band()
        if release.lots <= 0 or band is None or market not in self.venue.markets.values():
            return False
        price = max(band[0], release.floor_ticks)
        largest = market.rules.max_order_lots or release.lots
        left = release.lots
        while left > 0:
            lots = min(left, largest)
            try:
                market.submit(release.seller, Side.SELL, lots, price, day=day)
            except OrderRejected:
                break
            left -= lots
        return True

    def _count_sold(self, release: _Release) -> None:
        trades = release.market.trades
        sold = sum(t.lots for t in trades[release.seen:] if t.seller == release.seller)
        release.seen = len(trades)
        release.lots -= sold
        key = release.market.market_id
        self.reserve_sold_lots[key] = self.reserve_sold_lots.get(key, 0) + sold

    def _tighten(self, shock: Shock) -> None:
        for regulator in self.years.regulators.values():
            regulator.cap_scale *= 1 - shock.size

    def _output_shock(self, shock: Shock) -> None:
        hit = self._hit(shock)
        self.years.firms.cut_output(hit, shock.size)
        if self.credit is not None:
            self.credit.pd_multiplier[hit] /= 1 - shock.size

    # ---- transition and physical risk -----------------------------------------------------

    def _carbon_price(self, shock: Shock) -> None:
        self.years.firms.scale_profit(self._hit(shock), 1 - shock.size)
        self._later.append((self._next_year_day(self.venue.day), shock))

    def _drought(self, shock: Shock) -> None:
        hit = self._hit(shock)
        self.years.firms.cut_output(hit, shock.size)
        self._scale_flows(1 - shock.size)
        self._raise_pd(hit, shock)
        self._later.append((self._next_year_day(self.venue.day), shock))

    def _flood(self, shock: Shock) -> None:
        f = self.years.firms
        hit = self._hit(shock)
        for firm in np.flatnonzero(hit & ~f.defaulted).tolist():
            damage = int(shock.size * f.current_profit_yuan[firm] * 100)
            paid = min(damage, max(0, self.registry.cash(f.ids[firm])))
            self.registry.transfer(f.ids[firm], OUTSIDE, CASH, paid, memo="flood damage")
            self.flood_damage_yuan[f.ids[firm]] = paid / 100
        self._raise_pd(hit, shock)
        self._later.append((self._next_year_day(self.venue.day), shock))

    def _raise_pd(self, hit: np.ndarray, shock: Shock) -> None:
        if self.credit is not None:
            self.credit.pd_multiplier[hit] /= 1 - shock.size

    def _scale_flows(self, factor: float) -> None:
        if self.river is not None:
            for name in self.river:
                self.river.nodes[name]["flow_m3s"] *= factor

    def _follow_up(self, day: int, shock: Shock) -> None:
        """The next step of a shock on the first day of a year: the carbon price rises a
        step; a drought's flows come back (its year's river close is done) and a drought's
        or flood's PD rise ends (the year's draw is done)."""
        hit = self._hit(shock)
        if shock.kind == "carbon_price":
            steps = self._carbon_steps(shock, day)
            old = min(CARBON_CAP, shock.size * (steps - 1))
            new = min(CARBON_CAP, shock.size * steps)
            self.years.firms.scale_profit(hit, (1 - new) / (1 - old))
            self._later.append((self._next_year_day(day), shock))
            return
        if shock.kind == "drought":
            self._scale_flows(1 / (1 - shock.size))
        if self.credit is not None:
            self.credit.pd_multiplier[hit] *= 1 - shock.size

    def _carbon_steps(self, shock: Shock, day: int) -> int:
        """The carbon price's step on ``day``: 1 in the shock's year, 2 the next, ..."""
        cal = self.venue.calendar
        return cal.year_index(day) - cal.year_index(shock.day) + 1
