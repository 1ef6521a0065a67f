"""Trading time: how a round's wall-clock time maps onto the SimPy clock.

A round is a run of trading days. While it is open the clock moves only through the parts of
each day when orders are accepted (the opening call and the continuous sessions), so people
always meet an open market; the nights and the lunch break are jumped over. A *position* in
a round counts trading days of open time: 1.5 is half-way through the open time of the
round's second day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from exchange import Calendar

REST = 1e-3
"""Where the clock rests between rounds: just after midnight, once the compliance year's
true-up and the next year's allocation (both at midnight) are done and before any market
opens."""

_INSIDE = 1e-7  # keeps a position strictly inside a window, never on a phase change


@dataclass(frozen=True, slots=True)
class TradingClock:
    """Open windows of a trading day and the split of the horizon into rounds.

    Attributes:
        windows: day fractions ``(start, end)`` when orders are accepted, in order.
        horizon_days: trading days of the whole scenario.
        days_per_round: trading days in a round (the last round may be shorter).
    """

    windows: tuple[tuple[float, float], ...]
    horizon_days: int
    days_per_round: int

    @classmethod
    def of(cls, calendar: Calendar, days_per_round: int) -> TradingClock:
        """The clock of a calendar; the call auction, when there is one, is open time."""
        return cls(calendar.entry_windows, calendar.horizon_days, days_per_round)

    @property
    def open_per_day(self) -> float:
        """Open time of one day, as a fraction of 24 hours."""
        return sum(end - start for start, end in self.windows)

    @property
    def rounds(self) -> int:
        return math.ceil(self.horizon_days / self.days_per_round)

    def round_days(self, round_no: int) -> tuple[int, int]:
        """First trading day of round ``round_no`` (from 1) and the day after its last."""
        first = (round_no - 1) * self.days_per_round
        return first, min(first + self.days_per_round, self.horizon_days)

    def length(self, round_no: int) -> float:
        """Open time of a round, in trading days."""
        first, end = self.round_days(round_no)
        return float(end - first)

    def rest_after(self, round_no: int) -> float:
        """SimPy time where the clock rests once the round is over."""
        return self.round_days(round_no)[1] + REST

    def time_at(self, round_no: int, position: float) -> float:
        """SimPy time of a position in a round, strictly inside an open window."""
        first, end = self.round_days(round_no)
        position = min(max(position, 0.0), end - first - _INSIDE)
        day = math.floor(position)
        left = (position - day) * self.open_per_day
        for start, stop in self.windows:
            if left < stop - start:
                offset = min(max(left, _INSIDE), stop - start - _INSIDE)
                return first + day + start + offset
            left -= stop - start
        start, stop = self.windows[-1]
        return first + day + stop - _INSIDE

    def position_of(self, round_no: int, time: float) -> float:
        """Position in a round of a SimPy time (the inverse of :meth:`time_at`)."""
        first, end = self.round_days(round_no)
        day = math.floor(time)
        fraction = time - day
        done = 0.0
        for start, stop in self.windows:
            if fraction >= stop:
                done += stop - start
            elif fraction > start:
                done += fraction - start
        position = (day - first) + done / self.open_per_day
        return min(max(position, 0.0), float(end - first))

    def round_of_day(self, day: int) -> int:
        """The round a trading day belongs to (from 1)."""
        return min(day // self.days_per_round + 1, self.rounds)


def time_of_day(time: float) -> str:
    """``"09:45"`` for a SimPy time."""
    minutes = int(round((time - math.floor(time)) * 24 * 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


__all__ = ["REST", "TradingClock", "time_of_day"]
