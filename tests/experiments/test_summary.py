from __future__ import annotations

from experiments import summary_table
from scenarios.results import RunResult, frame


def test_summary_has_a_row_per_market(small_result: RunResult) -> None:
    text = summary_table(small_result.tables)

    changshou = next(line for line in text.splitlines() if "COD@changshou" in line)
    # mean and last close, mean equilibrium, volume, cross-border volume
    assert changshou.split() == ["COD@changshou", "8,000", "8,000", "8,100", "7", "0"]
    guangan = next(line for line in text.splitlines() if "COD@guangan" in line)
    assert guangan.split()[-1] == "3"


def test_summary_formats_the_kpis(small_result: RunResult) -> None:
    text = summary_table(small_result.tables)

    assert "81,500 yuan" in text  # abatement cost
    assert "75,000 yuan" in text  # least-cost benchmark
    assert "1.087" in text  # cost efficiency
    assert "25.9%" in text  # savings vs command and control
    assert "100.0%" in text  # compliance rate


def test_summary_shows_missing_values_as_a_dash(small_result: RunResult) -> None:
    tables = dict(small_result.tables)
    tables["market_daily"] = tables["market_daily"].assign(close_yuan=None)
    tables["kpis"] = tables["kpis"].assign(least_cost_yuan=float("nan"))

    text = summary_table(tables)

    changshou = next(line for line in text.splitlines() if "COD@changshou" in line)
    assert changshou.split()[1:3] == ["–", "–"]
    assert "least-cost benchmark" in text
    assert next(line for line in text.splitlines()
                if "least-cost benchmark" in line).split()[-1] == "–"


def test_summary_of_an_empty_run() -> None:
    tables = {name: frame(name, []) for name in ("market_daily", "market_years", "kpis")}

    text = summary_table(tables)

    assert "no market data" in text
    assert "no KPIs" in text


def test_summary_shows_the_water_block_only_for_runs_with_water(
        small_result: RunResult) -> None:
    tables = dict(small_result.tables)
    tables["kpis"] = tables["kpis"].assign(water_used_m3=1_250_000.0,
                                           water_mean_price_yuan=0.87,
                                           water_lowest_flow_share=0.95)

    plain, with_water = summary_table(small_result.tables), summary_table(tables)

    assert "Water rights" not in plain and "River and compensation" not in plain
    assert "Forest rights" not in plain and "Forest rights" not in with_water
    assert "Water rights" in with_water
    assert "1,250,000 m3" in with_water
    assert "0.87 yuan/m3" in with_water
    assert "95.0%" in with_water
