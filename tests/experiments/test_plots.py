from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from experiments import abatement_curve, cross_border_flows, price_paths, save_all
from scenarios.results import RunResult, frame


def bar(day: int, market: str, close: float | None) -> dict[str, object]:
    product, zone = market.split("@")
    return {"run_id": "r", "day": day, "year": 2025, "market": market, "product": product,
            "zone": zone, "close_yuan": close, "volume": 1.0, "block_volume": 0.0}


def trade(year: int, seller: str, buyer: str, quantity: float,
          cross_border: bool = True) -> dict[str, object]:
    return {"run_id": "r", "year": year, "product": "COD", "unit": "t", "quantity": quantity,
            "seller_region": seller, "buyer_region": buyer, "cross_border": cross_border}


def labels(ax: object) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]  # type: ignore[attr-defined]


def test_price_paths_has_a_panel_per_product_and_a_line_per_market() -> None:
    daily = frame("market_daily", [
        bar(0, "COD@changshou", 8000.0), bar(1, "COD@changshou", None),
        bar(2, "COD@changshou", 8100.0), bar(0, "COD@guangan", 7000.0),
        bar(0, "SO2@changshou", 900.0), bar(1, "SO2@changshou", 950.0),
    ])

    fig = price_paths(daily)

    assert isinstance(fig, Figure)
    cod, so2 = fig.axes
    assert (cod.get_title(), so2.get_title()) == ("COD", "SO2")
    assert labels(cod) == ["COD@changshou", "COD@guangan"]
    assert len(so2.get_lines()) == 1
    changshou = cod.get_lines()[0]
    assert list(changshou.get_xdata()) == [0, 2]  # the day without a close is skipped
    assert list(changshou.get_ydata()) == [8000.0, 8100.0]
    assert "yuan" in cod.get_ylabel()


def test_price_paths_without_data_is_one_empty_panel() -> None:
    fig = price_paths(frame("market_daily", []))

    assert len(fig.axes) == 1
    assert fig.axes[0].get_lines() == []


def test_abatement_curve_steps_through_firms_by_marginal_cost(small_result: RunResult) -> None:
    fig = abatement_curve(small_result["firm_years"], small_result["market_years"])

    (ax,) = fig.axes
    curve, *prices = ax.get_lines()
    # MAC = 2 C / a less the 3,000 yuan/t tax: f3 500 * 7, f2 1000 * 5, f1 2000 * 4
    assert list(curve.get_xdata()) == [0.0, 7.0, 12.0, 16.0]
    assert list(curve.get_ydata()) == [500.0, 2000.0, 5000.0, 5000.0]
    assert len(prices) == 4  # mean and equilibrium price of each zone
    assert "equilibrium price, changshou" in labels(ax)
    assert "2026" in fig.get_suptitle()
    assert ax.get_xlabel() == "cumulative abatement (t)"


def test_abatement_curve_draws_the_year_asked_for(small_result: RunResult) -> None:
    firm_years = small_result["firm_years"]
    later = firm_years["year"] == 2026
    firm_years.loc[later, "abatement_cost_yuan"] = firm_years.loc[later, "abatement_cost_yuan"] * 2

    fig = abatement_curve(firm_years, small_result["market_years"], year=2025)

    assert list(fig.axes[0].get_lines()[0].get_ydata()) == [500.0, 2000.0, 5000.0, 5000.0]
    assert "2025" in fig.get_suptitle()


def test_abatement_curve_has_a_panel_per_pollutant(small_result: RunResult) -> None:
    so2 = small_result["firm_years"].assign(pollutant="SO2")
    firm_years = pd.concat([small_result["firm_years"], so2], ignore_index=True)

    fig = abatement_curve(firm_years, small_result["market_years"])

    assert [ax.get_title() for ax in fig.axes] == ["COD", "SO2"]
    assert len(fig.axes[1].get_lines()) == 1  # no SO2 market: no price lines


def test_cross_border_flows_has_bars_by_direction_and_year() -> None:
    trades = frame("trades", [
        trade(2025, "guangan", "changshou", 3.0), trade(2025, "guangan", "changshou", 2.0),
        trade(2026, "changshou", "guangan", 4.0), trade(2026, "changshou", "changshou", 9.0,
                                                        cross_border=False),
    ])

    fig = cross_border_flows(trades)

    (ax,) = fig.axes
    assert len(ax.containers) == 2  # one group of bars per direction
    heights = {label: [bar.get_height() for bar in container]
               for label, container in zip(labels(ax), ax.containers)}
    assert heights == {"changshou → guangan": [0.0, 4.0], "guangan → changshou": [5.0, 0.0]}
    assert ax.get_ylabel() == "volume (t)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2025", "2026"]


def test_cross_border_flows_without_cross_border_trades_is_one_empty_panel() -> None:
    trades = frame("trades", [trade(2025, "guangan", "guangan", 1.0, cross_border=False)])

    fig = cross_border_flows(trades)

    assert len(fig.axes) == 1
    assert fig.axes[0].containers == []


def test_save_all_writes_one_png_per_plot(tmp_path: Path, small_result: RunResult) -> None:
    paths = save_all(small_result.tables, tmp_path / "plots")

    assert [p.name for p in paths] == [
        "price_paths.png", "abatement_curve.png", "cross_border_flows.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)


def test_water_quality_plots_each_section_and_each_payment_direction() -> None:
    from experiments.plots import water_quality

    environment = frame("environment", [
        ("r", 2025, k, 1, day, section, "reach", "guangan", border, "simulated", "COD", 20.0,
         10.0, 20.0, index)
        for k, day in ((1, 5), (2, 15))
        for section, border, index in (("dahong_border", True, 1.1), ("shantuo", False, 0.5))])
    compensation = frame("compensation", [
        ("r", 2025, 0, "dahong_border", "gov:guangan", "gov:changshou", 12e6, "bet",
         "missed", 1.1)])

    fig = water_quality(environment, compensation)

    index, paid = fig.axes
    assert labels(index) == ["dahong_border (cross-border)", "shantuo", "target"]
    assert labels(paid) == ["gov:guangan → gov:changshou"]
    assert [b.get_height() for b in paid.patches] == [12.0]


def test_water_quality_without_a_river_is_one_empty_panel() -> None:
    from experiments.plots import water_quality

    fig = water_quality(frame("environment", []), frame("compensation", []))

    assert len(fig.axes) == 1
