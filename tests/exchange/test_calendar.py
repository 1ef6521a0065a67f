"""The trading calendar: times of day, session checks and day arithmetic, by hand."""

from __future__ import annotations

import pytest

from exchange import Calendar, clock_fraction

SESSIONS = ((0.5, 0.625), (0.75, 0.875))  # 12:00-15:00 and 18:00-21:00


@pytest.mark.parametrize(("hhmm", "fraction"), [
    ("00:00", 0.0), ("09:30", 9.5 / 24), ("12:00", 0.5), ("23:59", (23 + 59 / 60) / 24),
])
def test_clock_fraction(hhmm: str, fraction: float) -> None:
    assert clock_fraction(hhmm) == pytest.approx(fraction)


@pytest.mark.parametrize("hhmm", ["24:00", "12:60", "-1:30", "9"])
def test_clock_fraction_rejects_what_is_not_a_time_of_day(hhmm: str) -> None:
    with pytest.raises(ValueError):
        clock_fraction(hhmm)


def test_sessions_may_touch_but_not_overlap_or_be_empty() -> None:
    Calendar(2025, 1, 10, ((0.5, 0.625), (0.625, 0.75)))  # back to back is fine
    for sessions in ((), ((0.5, 0.625), (0.6, 0.7)), ((0.5, 0.5),), ((0.6, 0.5),)):
        with pytest.raises(ValueError):
            Calendar(2025, 1, 10, sessions)


def test_the_call_auction_opens_before_the_first_session() -> None:
    assert Calendar(2025, 1, 10, SESSIONS, call_open=0.375).call_open == 0.375
    for call_open in (0.5, 0.6):
        with pytest.raises(ValueError):
            Calendar(2025, 1, 10, SESSIONS, call_open=call_open)


def test_day_arithmetic() -> None:
    cal = Calendar(2025, 3, 240, SESSIONS)
    assert cal.horizon_days == 720  # 3 * 240
    assert [cal.year_index(d) for d in (0, 239, 240, 719)] == [0, 0, 1, 2]
    assert [cal.year_of(d) for d in (0, 239, 240, 719)] == [2025, 2025, 2026, 2027]
    assert [cal.first_day(y) for y in (2025, 2026, 2027)] == [0, 240, 480]
    assert cal.years_list == [2025, 2026, 2027]


def test_months_split_the_trading_year_evenly() -> None:
    cal = Calendar(2025, 2, 240, SESSIONS)
    # 240 days / 12 = 20 days a month: day 19 is January, 20 February, 239 December; the
    # next year starts again in January.
    assert [cal.month_of(d) for d in (0, 19, 20, 239, 240, 260)] == [0, 0, 1, 11, 0, 1]
