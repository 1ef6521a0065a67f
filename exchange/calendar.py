"""The trading calendar: years of trading days, and the sessions within a day.

The SimPy clock runs in trading days; day ``d`` spans ``[d, d + 1)`` and a time of day is the
fraction of 24 hours, so 09:30 on day 3 is ``3 + 9.5 / 24``.
"""

from __future__ import annotations

from dataclasses import dataclass


def clock_fraction(hhmm: str) -> float:
    """``"09:30"`` -> 0.3958...; raises ValueError on anything else."""
    hours, minutes = hhmm.split(":")
    h, m = int(hours), int(minutes)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"not a time of day: {hhmm!r}")
    return (h + m / 60) / 24


@dataclass(frozen=True, slots=True)
class Calendar:
    """Compliance years of ``days_per_year`` trading days, each with the same sessions.

    Attributes:
        start_year: calendar year of the first compliance year.
        years: number of compliance years simulated.
        days_per_year: trading days in a year.
        sessions: continuous-trading windows as day fractions, in order, not overlapping.
        call_open: when the opening call auction starts accepting orders (None: no auction;
            continuous trading starts with the first session).
    """

    start_year: int
    years: int
    days_per_year: int
    sessions: tuple[tuple[float, float], ...]
    call_open: float | None = None

    def __post_init__(self) -> None:
        bounds = [t for window in self.sessions for t in window]
        if not self.sessions or bounds != sorted(bounds) or any(a >= b for a, b in self.sessions):
            raise ValueError("sessions must be non-empty, ordered and not overlapping")
        if self.call_open is not None and self.call_open >= self.sessions[0][0]:
            raise ValueError("the call auction must open before the first session")

    @property
    def entry_windows(self) -> tuple[tuple[float, float], ...]:
        """When orders are accepted each day, in order: the opening call (from its start
        to the first session), then the continuous sessions."""
        if self.call_open is None:
            return self.sessions
        return ((self.call_open, self.sessions[0][0]), *self.sessions)

    @property
    def horizon_days(self) -> int:
        return self.years * self.days_per_year

    def year_index(self, day: int) -> int:
        """0 for the first compliance year."""
        return day // self.days_per_year

    def year_of(self, day: int) -> int:
        """Calendar year of a trading day."""
        return self.start_year + self.year_index(day)

    def first_day(self, year: int) -> int:
        """First trading day of calendar ``year``."""
        return (year - self.start_year) * self.days_per_year

    def month_of(self, day: int) -> int:
        """0-based month within the year, trading days split evenly into twelve."""
        return (day % self.days_per_year) * 12 // self.days_per_year

    def month_index(self, day: int) -> int | None:
        """The month of the run (from 0) whose first trading day is ``day``; None when
        ``day`` starts no month."""
        if not 0 <= day < self.horizon_days:
            return None
        month = self.month_of(day)
        if day % self.days_per_year != -(-month * self.days_per_year // 12):
            return None
        return self.year_index(day) * 12 + month

    def year_starting(self, day: int) -> int | None:
        """The calendar year whose first trading day is ``day``; None otherwise."""
        if day % self.days_per_year or not 0 <= day < self.horizon_days:
            return None
        return self.year_of(day)

    def year_ending(self, day: int) -> int | None:
        """The calendar year that ends at the midnight starting ``day`` (the day after its
        last trading day, ``horizon_days`` for the last year); None otherwise."""
        if day % self.days_per_year or not 0 < day <= self.horizon_days:
            return None
        return self.year_of(day - 1)

    @property
    def years_list(self) -> list[int]:
        return [self.start_year + i for i in range(self.years)]
