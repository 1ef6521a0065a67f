"""The day schedule: phases in the table's order, at their times, windows on their clock."""

from __future__ import annotations

from pathlib import Path

import pytest
import simpy

from exchange import PHASES, Calendar, Clock, ProcessGenerator
from exchange.clock import phase_table

CAL = Calendar(2025, 2, 2, ((0.40, 0.48), (0.54, 0.62)), call_open=0.38)


def recorded(calendar: Calendar) -> list[tuple[float, int, str]]:
    env = simpy.Environment()
    clock = Clock(env, calendar)
    log: list[tuple[float, int, str]] = []
    for phase in PHASES:
        if phase.kind == "instant":
            clock.at(phase.name, lambda day, name=phase.name: log.append((env.now, day, name)))
        else:
            clock.during(phase.name, lambda day, start, end, name=phase.name:
                         _window(env, log, day, start, name))
    env.run()
    return log


def _window(env: simpy.Environment, log: list[tuple[float, int, str]], day: int,
            start: float, name: str) -> ProcessGenerator:
    log.append((env.now, day, name))
    yield env.timeout(0)


MIDNIGHT = ["year_close", "water_close", "forest_close", "river_close", "year_open",
            "water_open", "cash", "credit"]
TRADING = ["market_open", "call", "auction_orders", "call_entry", "continuous", "fire_sales",
           "shocks", "session", "break", "continuous", "session", "close"]


def test_every_day_walks_the_phases_in_the_table_order_at_their_times() -> None:
    log = recorded(CAL)
    days = [[name for _, d, name in log if d == day] for day in range(CAL.horizon_days + 1)]
    assert days[0] == MIDNIGHT + TRADING
    assert days[3] == MIDNIGHT + TRADING
    assert days[4] == MIDNIGHT  # the midnight after the last day: only the year's close
    times = {name: t - 1 for t, d, name in log if d == 1}
    assert times["year_close"] == 0.0 and times["credit"] == 0.0
    assert times["market_open"] == pytest.approx(0.38)  # the earliest window: the call
    assert times["call_entry"] == pytest.approx(0.38)
    assert times["fire_sales"] == times["shocks"] == pytest.approx(0.40)
    assert times["break"] == pytest.approx(0.48)
    assert times["close"] == pytest.approx(0.62)
    order = [p.name for p in PHASES]
    assert [n for n in order if n in MIDNIGHT] == MIDNIGHT  # the table and the walk agree


def test_without_a_call_the_auction_orders_come_when_the_first_session_opens() -> None:
    log = recorded(Calendar(2025, 1, 1, ((0.40, 0.60),)))
    assert [name for _, d, name in log if d == 0] == MIDNIGHT + [
        "market_open", "continuous", "auction_orders", "fire_sales", "shocks", "session",
        "close"]


def test_calendar_days_that_start_and_end_years_and_months() -> None:
    cal = Calendar(2025, 2, 250, ((0.4, 0.6),))
    assert [cal.year_starting(d) for d in (0, 1, 250, 500)] == [2025, None, 2026, None]
    assert [cal.year_ending(d) for d in (0, 249, 250, 500)] == [None, None, 2025, 2026]
    starts = [d for d in range(500) if cal.month_index(d) is not None]
    assert len(starts) == 24 and starts[:3] == [0, 21, 42]  # ceil(250 k / 12)
    assert all(cal.month_of(d) == cal.month_index(d) % 12 for d in starts)


def test_a_window_process_acts_at_its_own_times() -> None:
    env = simpy.Environment()
    clock = Clock(env, Calendar(2025, 1, 1, ((0.40, 0.60),)))
    seen: list[tuple[str, float]] = []

    def arrivals(day: int, start: float, end: float) -> ProcessGenerator:
        for at in (0.45, 0.5):
            yield env.timeout(day + at - env.now)
            seen.append(("arrival", env.now))

    clock.during("session", arrivals)
    clock.at("close", lambda day: seen.append(("close", env.now)))
    env.run()
    assert seen == [("arrival", 0.45), ("arrival", 0.5), ("close", 0.6)]


def test_registering_on_an_unknown_phase_or_the_wrong_kind_is_refused() -> None:
    clock = Clock(simpy.Environment(), CAL)
    with pytest.raises(ValueError, match="no phase 'lunch'"):
        clock.at("lunch", lambda day: None)
    with pytest.raises(ValueError, match="'session' is of kind window"):
        clock.at("session", lambda day: None)


def test_the_docs_show_the_schedule_as_the_code_has_it() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "schedule.md").read_text(encoding="utf-8")
    shown = docs.split("-->\n", 1)[1].split("\n<!-- /phases -->", 1)[0]
    assert shown.strip() == phase_table()
