"""The experiment store: DuckDB views across runs, complete runs only, `cgx query`."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from experiments.catalog import CATALOG, open_store
from cgx.cli import main
from experiments.runner import resume_experiment, run_experiment
from experiments.spec import ExperimentError

EXPERIMENT = """
name: store
scenario: tiny
set: {calendar.years: 1, calendar.days_per_year: 10}
factors:
  - {name: band, path: exchange.band, levels: [0.1, 0.2]}
design: {kind: factorial}
replications: 2
seed: 3
keep: {tables: [kpis, market_daily, market_years]}
"""


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("store")
    (folder / "store.yaml").write_text(EXPERIMENT, encoding="utf-8")
    run_experiment(folder / "store.yaml", folder / "out", backend="serial", progress=False)
    return folder / "out"


def test_views_hold_every_complete_run_with_its_point(experiment: Path) -> None:
    with open_store(experiment) as store:
        daily = store.table("market_daily")
        counts = store.query("SELECT point, count(DISTINCT run_key) AS runs, "
                             "count(*) AS days FROM market_daily GROUP BY point ORDER BY point")
        joined = store.query("SELECT k.run_key, r.band, k.mean_price_yuan FROM kpis k "
                             "JOIN runs r USING (run_key) ORDER BY k.run_key")
        tables = store.tables

    assert list(daily.columns[:4]) == ["run_key", "point", "point_name", "replication"]
    assert counts["runs"].tolist() == [2, 2] and (counts["days"] == 20).all()
    assert joined["band"].tolist() == [0.1, 0.1, 0.2, 0.2]
    assert tables == ("market_daily", "market_years", "kpis", "run")


def test_catalogue_file_is_readable_by_duckdb_itself(experiment: Path) -> None:
    con = duckdb.connect(str(experiment / CATALOG), read_only=True)
    try:
        runs = con.execute("SELECT count(*) FROM runs WHERE status = 'ok'").fetchone()
        rows = con.execute("SELECT count(DISTINCT run_key) FROM kpis").fetchone()
        names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables"
                                           ).fetchall()}
    finally:
        con.close()

    assert runs == rows == (4,)
    assert {"experiment", "points", "runs", "kpis", "market_daily", "market_years",
            "run"} <= names


def test_only_complete_catalogued_runs_are_visible(experiment: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(experiment, copy)
    half = copy / "runs" / ".p0000-r000.partial-dead" / "tables"
    half.mkdir(parents=True)
    (half / "kpis.parquet").write_bytes(b"PAR1 half written")
    shutil.rmtree(copy / "runs" / "p0001-r001")

    with open_store(copy) as store:
        before = store.table("kpis")
    resume_experiment(copy, backend="serial", progress=False)
    with open_store(copy) as store:
        after = store.table("kpis")

    assert len(before) == 3 and "p0001-r001" not in set(before["run_key"])
    assert len(after) == 4 and not half.exists()


def test_a_moved_experiment_directory_still_reads(experiment: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    shutil.copytree(experiment, moved)

    with open_store(moved) as store:
        files = store.query("SELECT count(*) AS n FROM kpis")

    assert files["n"].iloc[0] == 4


def test_table_errors_name_the_kept_tables(experiment: Path) -> None:
    with open_store(experiment) as store, pytest.raises(ExperimentError, match="not kept"):
        store.table("trades")
    with pytest.raises(ExperimentError, match="not an experiment directory"):
        open_store(experiment / "runs")


def test_cgx_query_prints_a_table_or_csv(experiment: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    sql = "SELECT point_name, count(*) AS runs FROM kpis GROUP BY ALL ORDER BY 1"

    assert main(["query", str(experiment), sql]) == 0
    table = capsys.readouterr().out
    assert main(["query", str(experiment), sql, "--csv"]) == 0
    csv = pd.read_csv(io.StringIO(capsys.readouterr().out))

    assert table.split() == ["point_name", "runs", "band=0.1", "2", "band=0.2", "2"]
    assert csv.to_dict("list") == {"point_name": ["band=0.1", "band=0.2"], "runs": [2, 2]}


def test_cgx_query_reports_bad_sql_in_one_line(experiment: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", str(experiment), "SELECT * FROM nowhere"]) == 2

    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("cgx: error: query: ")
