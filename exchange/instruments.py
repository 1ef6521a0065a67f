"""Instruments: what a right is, in which unit it trades and where it counts."""

from __future__ import annotations

from dataclasses import dataclass

BASIN = "basin"  # zone of instruments valid in both regions (the integrated design)


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable right.

    Attributes:
        symbol: ``KIND:ZONE:VINTAGE``, e.g. ``COD:changshou:2025``.
        product: what the right is for (``COD``, ``NH3N``, ``SO2``, ``NOx``, ``water``, ...).
        zone: the region whose cap issued it, or ``basin`` when both regions share one cap.
        vintage: compliance year the right belongs to.
        valid_until: last compliance year it may be surrendered for.
        unit: the quote unit (``t``, ``m3/yr``, ``mu``, ``tCO2e``); prices are per lot.
        lot_units: registry units in one lot (1 t of COD is 1,000 kg units).
        tick_fen: value of one price tick per lot, in fen.
        holders: regions whose accounts may hold and trade it.
        scale: registry units per quote unit (1,000 kg per t), so holdings stay integers.
    """

    symbol: str
    product: str
    zone: str
    vintage: int
    valid_until: int
    unit: str
    lot_units: int
    tick_fen: int
    holders: frozenset[str]
    scale: int = 1

    @property
    def lot_quantity(self) -> float:
        """One lot in quote units."""
        return self.lot_units / self.scale

    @staticmethod
    def symbol_for(product: str, zone: str, vintage: int) -> str:
        return f"{product}:{zone}:{vintage}"

    def value_fen(self, lots: int, price_ticks: int) -> int:
        return lots * price_ticks * self.tick_fen

    def ticks_for_yuan(self, yuan_per_lot: float) -> int:
        """Nearest whole tick for a price in yuan per lot (at least one tick)."""
        return max(1, round(yuan_per_lot * 100 / self.tick_fen))

    def yuan(self, price_ticks: int) -> float:
        """Price in yuan per lot."""
        return price_ticks * self.tick_fen / 100


def issuer_account(zone: str) -> str:
    """The account that issues a zone's rights; its negative balance is what was issued."""
    return f"issuer:{zone}"


def retirement_account(zone: str) -> str:
    """Where a zone's surrendered, expired and converted rights end up."""
    return f"retired:{zone}"
