"""Reports and figures of stored experiments, and the `cgx experiment` commands."""

from __future__ import annotations

import base64
import html
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from experiments import figures
from experiments.catalog import open_store
from cgx.cli import main
from experiments.report import summary_text, write_report
from experiments.runner import run_experiment

SWEEP = """
name: sweep
description: Three caps for Changshou, on common seeds.
scenario: tiny
set: {calendar.years: 1, calendar.days_per_year: 10}
factors:
  - {name: cap, path: regions.changshou.regulator.cap_share.COD, levels: [0.75, 0.85, 0.95]}
design: {kind: factorial}
replications: 2
seed: 9
keep: {tables: [kpis, market_daily, market_years],
       kpis: [mean_price_yuan, cost_efficiency, price_cod_basin_yuan]}
"""
COMPARISON = """
name: schemes
set: {calendar.years: 1, calendar.days_per_year: 10}
design:
  kind: scenarios
  scenarios:
    - {name: plain, scenario: tiny}
    - {name: broken, scenario: tiny, set: {trading.manual_firms: [nobody]}}
replications: 2
keep: {tables: [kpis]}
"""
SOBOL = """
name: sobol
scenario: tiny
set: {calendar.years: 1, calendar.days_per_year: 10}
factors:
  - {name: cap, path: regions.changshou.regulator.cap_share.COD, range: [0.75, 0.95]}
design: {kind: sobol, n: 2}
keep: {tables: [kpis], kpis: [mean_price_yuan]}
"""


class Page(HTMLParser):
    """The images and external references of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "src" and tag == "img":
                self.images.append(value or "")
            elif name in ("src", "href") and value and not value.startswith("data:"):
                self.external.append(value)


def run(tmp_path_factory: pytest.TempPathFactory, text: str) -> Path:
    folder = tmp_path_factory.mktemp("report")
    (folder / "e.yaml").write_text(text, encoding="utf-8")
    run_experiment(folder / "e.yaml", folder / "out", backend="serial", progress=False)
    return folder / "out"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run(tmp_path_factory, SWEEP)


def test_report_is_one_self_contained_file_with_tables_and_figures(sweep: Path) -> None:
    path = write_report(sweep)
    text = path.read_text(encoding="utf-8")
    page = Page()
    page.feed(text)

    assert path == sweep / "report.html"
    assert not page.external
    assert len(page.images) >= 4
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:4] == b"\x89PNG"
    assert html.escape("regions.changshou.regulator.cap_share.COD") in text  # definition
    assert "Three caps for Changshou" in text
    assert "cap=0.75" in text and "Δ" in text and "95%" in text
    assert "6 complete, 0 failed, 0 missing" in text


def test_report_numbers_are_the_stores(sweep: Path) -> None:
    with open_store(sweep) as store:
        means = store.query("SELECT point_name, avg(cost_efficiency) AS m FROM kpis "
                            "GROUP BY ALL ORDER BY point_name")
        text = summary_text(store)

    for name, mean in means.itertuples(index=False):
        line = next(line for line in text.splitlines() if line.startswith(name))
        assert f"{mean:.2f}" in line or f"{mean:.3g}" in line


def test_report_lists_failed_runs_and_compares_the_rest(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = run(tmp_path_factory, COMPARISON)

    text = write_report(folder, folder / "elsewhere.html").read_text(encoding="utf-8")

    assert "2 complete, 2 failed, 0 missing" in text
    assert "ValueError" in text and "nobody" in text
    assert "plain" in text


def test_report_of_a_sobol_design_has_its_indices(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = run(tmp_path_factory, SOBOL)

    text = write_report(folder).read_text(encoding="utf-8")

    assert "Sobol indices" in text and "S1" in text and "ST" in text


def test_figures_draw_empty_inputs_without_failing() -> None:
    empty = pd.DataFrame(columns=["point_name", "market", "day", "q05", "q25", "q50", "q75",
                                  "q95", "metric", "factor", "S1", "S1_conf", "ST",
                                  "ST_conf", "coefficient", "r2", "point", "mean",
                                  "ci_low", "ci_high"])

    for fig in (figures.fan_chart(empty, "t", "y"), figures.sobol_chart(empty, ["m"]),
                figures.tornado(empty, ["m"]), figures.comparison_bars(empty, []),
                figures.factor_scatter(empty, [], [])):
        assert fig.axes


def test_cgx_experiment_commands_end_to_end(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "e.yaml").write_text(SWEEP.replace("replications: 2", "replications: 1"),
                                     encoding="utf-8")
    out = tmp_path / "out"

    assert main(["experiment", "list"]) == 0
    listing = capsys.readouterr().out
    assert main(["experiment", "validate", str(tmp_path / "e.yaml")]) == 0
    assert capsys.readouterr().out == "ok: sweep: 3 points x 1 replications = 3 runs\n"
    assert main(["experiment", "run", str(tmp_path / "e.yaml"), "--out", str(out),
                 "--backend", "serial"]) == 0
    ran = capsys.readouterr()
    assert main(["experiment", "resume", str(out), "--backend", "serial"]) == 0
    resumed = capsys.readouterr().out
    assert main(["experiment", "report", str(out)]) == 0

    assert "cross_border" in listing and "sensitivity" in listing
    assert "3 runs: 3 complete, 0 failed, 0 missing (3 run now" in ran.out
    assert "cap=0.95" in ran.out and "3/3 runs, 0 failed" in ran.err
    assert "(0 run now" in resumed
    assert (out / "report.html").is_file()
    assert main(["experiment", "run", str(tmp_path / "e.yaml"), "--out", str(out)]) == 2
    assert "resume it" in capsys.readouterr().err
