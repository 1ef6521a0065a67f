"""The day schedule: one clock process walks the trading days and, within each, the phases.

What happens when is this one table, :data:`PHASES`, in order. Components register what
they do in a phase; the clock calls them in the table's order, at the phase's time of day,
so the order of events never rests on small time offsets or on the order in which the
world was put together. A phase has at most one registrant unless its actions commute.

*Instant* phases call ``action(day)``; they decide themselves whether the day concerns
them (a month's first day, a year's last). *Window* phases (order entry) run
``process(day, start, end)``, a generator that may yield timeouts within ``[start, end)``
so that each arrival acts at its own time on the SimPy clock.

The clock also walks the midnight that ends the horizon (day ``horizon_days``), for its
midnight phases only: the last year's close.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Literal

import simpy

from exchange.calendar import Calendar

ProcessGenerator = Generator[simpy.Event, object, None]
Action = Callable[[int], None]
Window = Callable[[int, float, float], ProcessGenerator]


@dataclass(frozen=True, slots=True)
class Phase:
    """One step of the trading day."""

    name: str
    at: str
    kind: Literal["instant", "window"]
    does: str


PHASES: tuple[Phase, ...] = (
    Phase("year_close", "midnight", "instant",
          "a compliance year ends (after its last day): its vintage is delisted, firms "
          "true up, ratings are updated, expired rights retired"),
    Phase("water_close", "midnight", "instant",
          "the water year ends: withdrawals, surrender of what was used, saving costs and "
          "resource tax, expiry"),
    Phase("forest_close", "midnight", "instant",
          "the forest year ends: coverage counted, indicators transferred or forest planted, "
          "sinks sold"),
    Phase("river_close", "midnight", "instant",
          "the river year ends: monitoring at the sections, the compensation scheme pays "
          "(it needs the water year's withdrawals)"),
    Phase("year_open", "midnight", "instant",
          "a compliance year starts: output shocks, allocation and primary auctions, the "
          "vintage listed"),
    Phase("water_open", "midnight", "instant",
          "the water year starts: permits, regional rights and leases issued, books listed"),
    Phase("cash", "midnight", "instant",
          "first day of a month: dividends (at the year's start), then operating cash flow"),
    Phase("credit", "midnight", "instant",
          "first day of a month: defaults, debt service, margin calls, new loans"),
    Phase("market_open", "pre-open", "instant",
          "markets start the day: price bands from the previous close"),
    Phase("call", "call auction opens", "instant",
          "order entry for the opening call auction starts"),
    Phase("auction_orders", "call auction opens (else first session opens)", "instant",
          "the governments' and firms' orders of the water auctions (monthly) and the "
          "forest auction (the year's last day)"),
    Phase("call_entry", "call window", "window",
          "firms arrive at random times and send orders into the call"),
    Phase("continuous", "each session opens", "instant",
          "continuous trading; the first session first uncrosses the call"),
    Phase("fire_sales", "first session opens", "instant",
          "banks offer foreclosed rights at the bottom of the band"),
    Phase("shocks", "first session opens", "instant",
          "stress-test shocks of the day"),
    Phase("session", "each session", "window",
          "firms arrive at random times and trade continuously"),
    Phase("break", "each session but the last ends", "instant",
          "trading pauses (lunch)"),
    Phase("close", "last session ends", "instant",
          "day orders expire, trades settle, the day's bars and reference prices"),
)

_BY_NAME = {p.name: p for p in PHASES}
_MIDNIGHT = tuple(p.name for p in PHASES if p.at == "midnight")


class Clock:
    """Walks days and phases on a SimPy environment and calls what is registered."""

    def __init__(self, env: simpy.Environment, calendar: Calendar) -> None:
        self.env = env
        self.calendar = calendar
        self._actions: dict[str, list[Action]] = {p.name: [] for p in PHASES if
                                                  p.kind == "instant"}
        self._windows: dict[str, list[Window]] = {p.name: [] for p in PHASES if
                                                  p.kind == "window"}
        self.phase = ""
        self._day = 0  # one int object a day: every journal entry of the day shares it
        # Without a call auction the auctions' orders come when the first session opens.
        self._first_open = (("fire_sales", "shocks") if calendar.call_open is not None
                            else ("auction_orders", "fire_sales", "shocks"))
        env.process(self._walk())

    @property
    def day(self) -> int:
        """The business day: the trading day under way, or starting at midnight."""
        return self._day

    def at(self, phase: str, action: Action) -> None:
        """Call ``action(day)`` in ``phase`` of every day."""
        self._check(phase, "instant")
        self._actions[phase].append(action)

    def at_year_start(self, phase: str, action: Action) -> None:
        """Call ``action(year)`` in ``phase`` of the first day of each compliance year."""
        self.at(phase, lambda day: _call(action, self.calendar.year_starting(day)))

    def at_year_end(self, phase: str, action: Action) -> None:
        """Call ``action(year)`` in ``phase`` at the midnight that ends each compliance year."""
        self.at(phase, lambda day: _call(action, self.calendar.year_ending(day)))

    def at_month_start(self, phase: str, action: Action) -> None:
        """Call ``action(month)`` (counted from 0 over the run) in ``phase`` of each month's
        first trading day."""
        self.at(phase, lambda day: _call(action, self.calendar.month_index(day)))

    def during(self, phase: str, process: Window) -> None:
        """Run ``process(day, start, end)`` through the window ``phase`` of every day."""
        self._check(phase, "window")
        self._windows[phase].append(process)

    def _check(self, phase: str, kind: str) -> None:
        spec = _BY_NAME.get(phase)
        if spec is None:
            raise ValueError(f"no phase {phase!r}; phases: {', '.join(_BY_NAME)}")
        if spec.kind != kind:
            raise ValueError(f"phase {phase!r} is of kind {spec.kind}, not {kind}")

    def _walk(self) -> ProcessGenerator:
        cal = self.calendar
        for day in range(cal.horizon_days + 1):
            yield from self._wait(day)
            self._day = day
            self._run(day, *_MIDNIGHT)
            if day == cal.horizon_days:
                return
            yield from self._trading_day(day)

    def _trading_day(self, day: int) -> ProcessGenerator:
        cal = self.calendar
        first_open = cal.sessions[0][0]
        yield from self._wait(day + (first_open if cal.call_open is None else cal.call_open))
        self._run(day, "market_open")
        if cal.call_open is not None:
            yield from self._wait(day + cal.call_open)
            self._run(day, "call", "auction_orders")
            yield from self._window(day, "call_entry", cal.call_open, first_open)
        for k, (start, end) in enumerate(cal.sessions):
            yield from self._wait(day + start)
            self._run(day, "continuous", *(self._first_open if k == 0 else ()))
            yield from self._window(day, "session", start, end)
            yield from self._wait(day + end)
            self._run(day, "break" if k < len(cal.sessions) - 1 else "close")

    def _run(self, day: int, *phases: str) -> None:
        for phase in phases:
            self.phase = phase
            for action in self._actions[phase]:
                action(day)

    def _window(self, day: int, phase: str, start: float, end: float) -> ProcessGenerator:
        self.phase = phase
        for process in self._windows[phase]:
            yield from process(day, start, end)

    def _wait(self, time: float) -> Iterator[simpy.Event]:
        if time > self.env.now:
            yield self.env.timeout(time - self.env.now)


def _call(action: Action, when: int | None) -> None:
    if when is not None:
        action(when)


def phase_table() -> str:
    """The schedule as a Markdown table (for the docs)."""
    rows = [f"| {k + 1} | `{p.name}` | {p.at} | {p.does} |" for k, p in enumerate(PHASES)]
    return "\n".join(["| # | phase | when | what happens |", "|---|---|---|---|", *rows])


__all__ = ["Action", "Clock", "PHASES", "Phase", "ProcessGenerator", "Window", "phase_table"]
