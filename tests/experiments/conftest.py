"""A small run built by hand: two COD markets linked across the border, two years."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scenarios.results import COLUMNS, RunResult, frame


def make_result(run_id: str = "tiny-1") -> RunResult:
    """Every table of a two-year run with three firms and two linked COD markets."""
    trades = frame("trades", [
        (run_id, 1, 0, 2025, "COD@changshou", "COD:changshou:2025", "COD", "continuous",
         "f1", "f2", "changshou", "changshou", 2, 2.0, "t", 8000.0, 16000.0, 80.0, False, 2.0),
        (run_id, 1, 1, 2025, "COD@guangan", "COD:guangan:2025", "COD", "continuous",
         "f1", "f3", "changshou", "guangan", 3, 3.0, "t", 7000.0, 21000.0, 105.0, True, 2.4),
        (run_id, 2, 2, 2026, "COD@changshou", "COD:changshou:2026", "COD", "block",
         "f2", "f1", "changshou", "changshou", 5, 5.0, "t", 8200.0, 41000.0, 205.0, False, 5.0),
    ])
    daily = [
        (run_id, 0, 2025, "COD@changshou", "COD:changshou:2025", "COD", "changshou", 8000.0,
         8000.0, 8000.0, 8000.0, 8000.0, 2.0, 16000.0, 1, 0.0, 0.0, 7900.0, 8100.0),
        (run_id, 1, 2025, "COD@changshou", "COD:changshou:2025", "COD", "changshou", None,
         None, None, None, 8000.0, 0.0, 0.0, 0, 0.0, 0.0, 7900.0, None),
        (run_id, 2, 2026, "COD@changshou", "COD:changshou:2026", "COD", "changshou", None,
         None, None, None, 8000.0, 5.0, 41000.0, 1, 5.0, 0.0, None, None),
        (run_id, 0, 2025, "COD@guangan", "COD:guangan:2025", "COD", "guangan", None, None,
         None, None, 7000.0, 0.0, 0.0, 0, 0.0, 0.0, None, 7100.0),
        (run_id, 1, 2025, "COD@guangan", "COD:guangan:2025", "COD", "guangan", 7000.0,
         7000.0, 7000.0, 7000.0, 7000.0, 3.0, 21000.0, 1, 0.0, 3.0, None, None),
        (run_id, 2, 2026, "COD@guangan", "COD:guangan:2026", "COD", "guangan", None, None,
         None, None, 7000.0, 0.0, 0.0, 0, 0.0, 0.0, None, None),
    ]
    firm_years = frame("firm_years", [
        (run_id, year, firm, region, "chemicals", "truthful", "COD", 10.0, 6.0, bought,
         sold, 6.0, 10.0 - abated, abated, slope * abated**2 / 2, 3000.0 * (10.0 - abated),
         0.0, 0.0, 0.0, 1e6, 0.0, True)
        for year in (2025, 2026)
        for firm, region, slope, abated, bought, sold in (
            ("f1", "changshou", 2000.0, 4.0, 5.0, 0.0),
            ("f2", "changshou", 1000.0, 5.0, 0.0, 2.0),
            ("f3", "guangan", 500.0, 7.0, 0.0, 3.0))
    ])
    market_years = frame("market_years", [
        (run_id, year, "COD", zone, 12.0, 12.0, 0.0, None, equilibrium, mean, mean, volume,
         inflow)
        for year in (2025, 2026)
        for zone, equilibrium, mean, volume, inflow in (
            ("changshou", 8100.0, 8000.0, 2.0, 2.4), ("guangan", 6900.0, 7000.0, 3.0, 0.0))
    ])
    kpis = frame("kpis", [(
        run_id, "tiny", 1, "linked", 3, 2, 3, 10.0, 78000.0, 3.0, 21000.0, 32.0,
        2 * (16000.0 + 12500.0 + 12250.0), 75000.0, 1.087, 80000.0, 1.019, 110000.0, 0.259,
        7800.0, 0.031, -0.012, 1.0, 0.0, 0.0, 168000.0, 390.0, 4,
        *[float("nan")] * (len(COLUMNS["kpis"]) - 28))])  # the rest need banks, a river ...
    run = frame("run", [(run_id, "tiny", "ab12", 1, "0.1.0", "3.11.7",
                         "2025-01-01T00:00:00Z", 0.5, '{"name": "tiny"}')])
    tables = {
        "trades": trades, "market_daily": frame("market_daily", daily),
        "firm_years": firm_years, "market_years": market_years, "kpis": kpis, "run": run}
    return RunResult(run_id, "tiny", 1, {name: tables.get(name, frame(name, []))
                                         for name in COLUMNS})


@pytest.fixture
def small_result() -> RunResult:
    return make_result()


@pytest.fixture
def result_factory() -> Callable[[str], RunResult]:
    """Build the small run with a given run id."""
    return make_result
