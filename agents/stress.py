"""Stress tests: shocks applied at a date, whose effects run through the whole model.

- ``price_collapse``: the regulators release extra rights of a pollutant (``size`` times the
  year's cap) and sell them at the bottom of the band, so the price falls through the book
  and pledged collateral loses value.
- ``tightened_cap``: caps of every pollutant are cut by ``size`` from the next allocation.
- ``output_shock``: a sector's output, and so its emissions and operating cash flow, fall by
  ``size`` for the rest of the year, and its default probability rises by ``1 / (1 - size)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from exchange import Clock, OrderRejected, Registry, Side, Venue, issuer_account

if TYPE_CHECKING:
    from agents.credit import Credit
    from agents.cycle import ComplianceYears


@dataclass(frozen=True, slots=True)
class Shock:
    day: int
    kind: Literal["price_collapse", "tightened_cap", "output_shock"]
    size: float
    pollutant: str | None = None
    sector: str | None = None


class StressTest:
    """Applies the scenario's shocks on their days; ``applied`` logs ``(day, kind)``."""

    def __init__(self, clock: Clock, venue: Venue, registry: Registry,
                 years: ComplianceYears, credit: Credit | None, shocks: list[Shock]) -> None:
        self.venue, self.registry = venue, registry
        self.years, self.credit = years, credit
        self.shocks = sorted(shocks, key=lambda s: s.day)  # stable: same-day shocks as listed
        self.applied: list[tuple[int, str]] = []
        clock.at("shocks", self._on_day)

    def _on_day(self, day: int) -> None:
        for shock in self.shocks:
            if shock.day == day:
                {"price_collapse": self._price_collapse, "tightened_cap": self._tighten,
                 "output_shock": self._output_shock}[shock.kind](shock)
                self.applied.append((shock.day, shock.kind))

    def _price_collapse(self, shock: Shock) -> None:
        for market in self.venue.markets.values():
            band = market.band()
            if market.instrument.product != shock.pollutant or band is None:
                continue
            zone = market.instrument.zone
            regulators = [r for r in self.years.regulators.values()
                          if zone in ("basin", r.rules.region)]
            seller = regulators[0].rules.account
            index = self.venue.calendar.year_index(self.venue.day)
            cap = sum(r.cap_t(shock.pollutant, index) for r in regulators)
            lots = int(shock.size * cap / market.instrument.lot_quantity)
            self.registry.issue(issuer_account(zone), seller, market.instrument.symbol,
                                lots * market.instrument.lot_units, memo="reserve release")
            try:
                market.submit(seller, Side.SELL, lots, band[0], day=self.venue.day)
            except OrderRejected:
                continue

    def _tighten(self, shock: Shock) -> None:
        for regulator in self.years.regulators.values():
            regulator.cap_scale *= 1 - shock.size

    def _output_shock(self, shock: Shock) -> None:
        f = self.years.firms
        hit = f.sector == shock.sector
        f.cut_output(hit, shock.size)
        if self.credit is not None:
            self.credit.pd_multiplier[hit] /= 1 - shock.size
