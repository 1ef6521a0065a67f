"""Bad input to `cgx query` and damaged stores: a one-line error, nothing written or lost.

`cgx query` is read-only over the catalogue: no statement but one SELECT, no file but the
run files behind the views, no network, no extension. A run whose files no longer match the
checksums of its manifest is named, left out of the results and done again on resume.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest

from experiments.catalog import open_store
from cgx.cli import main
from experiments.runner import experiment_status, resume_experiment, run_experiment
from experiments.spec import ExperimentError

EXPERIMENT = """
name: bad_inputs
scenario: tiny
set: {calendar.years: 1, calendar.days_per_year: 10}
factors:
  - {name: band, path: exchange.band, levels: [0.1]}
design: {kind: factorial}
replications: 2
seed: 3
keep: {tables: [kpis]}
"""


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad_query")
    (folder / "e.yaml").write_text(EXPERIMENT, encoding="utf-8")
    run_experiment(folder / "e.yaml", folder / "out", backend="serial", progress=False)
    return folder / "out"


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its sha256."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("cgx: error")]
    assert len(lines) == 1 and len(err.splitlines()) == 1, err
    return lines[0]


def outside(experiment: Path) -> Path:
    return experiment.parent / "outside"


QUERIES = {
    "copy_to_file": "COPY (SELECT * FROM runs) TO '{outside}/stolen.csv'",
    "copy_over_run_file": "COPY (SELECT 1 AS x) TO '{kpis}' (FORMAT parquet)",
    "attach_catalogue": "ATTACH '{catalog}' AS c",
    "attach_new_file": "ATTACH '{outside}/new.duckdb' AS n",
    "install_httpfs": "INSTALL httpfs",
    "load_httpfs": "LOAD httpfs",
    "read_passwd": "SELECT * FROM read_csv('/etc/passwd')",
    "read_text_outside": "SELECT * FROM read_text('{outside}/secret.txt')",
    "glob_root": "SELECT * FROM glob('/*')",
    "two_statements": "SELECT 1; SELECT 2",
    "select_then_copy": "SELECT 1; COPY (SELECT 1) TO '{outside}/x.csv'",
    "delete_runs": "DELETE FROM runs",
    "drop_view": "DROP VIEW kpis",
    "create_table": "CREATE TABLE t AS SELECT 1",
    "set_external_access": "SET enable_external_access = true",
    "pragma": "PRAGMA database_list",
    "empty": "",
    "blank": "   ",
    "only_semicolon": ";",
    "syntax_error": "SELEC 1",
}


@pytest.mark.parametrize("name", QUERIES)
def test_query_refuses(name: str, experiment: Path, capsys: pytest.CaptureFixture[str]
                       ) -> None:
    out = outside(experiment)
    out.mkdir(exist_ok=True)
    (out / "secret.txt").write_text("TOPSECRETCONTENT", encoding="utf-8")
    kpis = next((experiment / "runs").glob("*/tables/kpis.parquet"))
    sql = QUERIES[name].format(outside=out, kpis=kpis, catalog=experiment / "catalog.duckdb")
    before, before_outside = tree(experiment), tree(out)

    assert main(["query", str(experiment), sql]) == 2

    line = one_error_line(capsys)
    assert "TOPSECRETCONTENT" not in line and "root:" not in line
    assert tree(experiment) == before
    assert tree(out) == before_outside


def test_query_still_answers_a_select(experiment: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    assert main(["query", str(experiment), "SELECT count(*) AS n FROM kpis"]) == 0
    assert capsys.readouterr().out.split()[-1] == "2"


def test_store_query_is_read_only_from_python(experiment: Path) -> None:
    with open_store(experiment) as store, pytest.raises(ExperimentError, match="only SELECT"):
        store.query("DELETE FROM runs")


@pytest.fixture
def damaged(experiment: Path, tmp_path: Path) -> tuple[Path, str]:
    """A copy of the experiment whose first run's kpis file was overwritten."""
    copy = tmp_path / "copy"
    shutil.copytree(experiment, copy)
    key = sorted(p.name for p in (copy / "runs").iterdir())[0]
    (copy / "runs" / key / "tables" / "kpis.parquet").write_bytes(b"not parquet")
    return copy, key


def test_status_names_a_corrupt_run(damaged: tuple[Path, str],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder, key = damaged
    assert experiment_status(folder).ok == 1
    assert main(["experiment", "status", str(folder)]) == 1
    out = capsys.readouterr().out
    assert f"corrupt: {key}" in out and "kpis.parquet" in out


def test_query_leaves_a_corrupt_run_out(damaged: tuple[Path, str],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    folder, key = damaged
    assert main(["query", str(folder), "SELECT run_key FROM kpis"]) == 0
    captured = capsys.readouterr()
    assert key not in captured.out and f"run {key} is corrupt" in captured.err


def test_report_skips_a_corrupt_run(damaged: tuple[Path, str],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder, key = damaged
    assert main(["experiment", "report", str(folder)]) == 0
    assert (folder / "report.html").is_file()
    assert key in (folder / "report.html").read_text(encoding="utf-8")


def test_resume_recomputes_a_corrupt_run(damaged: tuple[Path, str]) -> None:
    folder, key = damaged
    kept = resume_experiment(folder, backend="serial", progress=False)
    assert (kept.ok, kept.failed) == (1, 1)
    assert (folder / "corrupt" / f"{key}-0" / "tables" / "kpis.parquet").is_file()
    redone = resume_experiment(folder, backend="serial", retry_failed=True, progress=False)
    assert (redone.ok, redone.failed) == (2, 0)
    with open_store(folder) as store:
        assert len(store.table("kpis")) == 2 and not store.corrupt


SLOW_EXPERIMENT = """
name: slow
scenario: tiny
set: {calendar.years: 50, calendar.days_per_year: 366}
factors:
  - {name: band, path: exchange.band, levels: [0.1]}
design: {kind: factorial}
replications: 1
seed: 3
keep: {tables: [kpis]}
"""

RUNNER = """
import sys
from experiments.runner import run_experiment
if __name__ == "__main__":
    run_experiment(sys.argv[1], sys.argv[2], workers=1, progress=False)
"""


def running(processes: list[Any]) -> list[Any]:
    """The processes still running (a zombie has ended; nobody has reaped it yet)."""
    import psutil

    alive = []
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def test_pool_workers_end_when_the_runner_is_killed(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    psutil = pytest.importorskip("psutil")
    (tmp_path / "slow.yaml").write_text(SLOW_EXPERIMENT, encoding="utf-8")
    (tmp_path / "runner.py").write_text(RUNNER, encoding="utf-8")
    children: list[Any] = []
    parent = subprocess.Popen([sys.executable, str(tmp_path / "runner.py"),
                               str(tmp_path / "slow.yaml"), str(tmp_path / "out")])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(children) < 2:  # forkserver and worker
            time.sleep(0.2)
            children = psutil.Process(parent.pid).children(recursive=True)
        assert len(children) >= 2
        time.sleep(3)  # the worker is in the middle of its run
        children = psutil.Process(parent.pid).children(recursive=True)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and running(children):
            time.sleep(0.1)
        assert not running(children)
    finally:
        parent.kill()
        for child in running(children):  # the processes this test started, by id
            child.kill()


def test_a_new_run_deletes_partials_left_by_killed_runs(tmp_path: Path) -> None:
    from experiments.store import write_run
    from scenarios import load_scenario, run_scenario

    out = tmp_path / "run"
    stale = [tmp_path / ".run.partial-1a2b3c4d", tmp_path / ".run.partial-999999999-00ff00ff"]
    for folder in stale:
        (folder / "tables").mkdir(parents=True)
    other = tmp_path / ".other.partial-1a2b3c4d"
    other.mkdir()
    scenario = load_scenario("tiny", ["calendar.years=1", "calendar.days_per_year=5"])
    write_run(run_scenario(scenario, 1), out, plots=False)
    assert not any(folder.exists() for folder in stale)
    assert other.exists() and (out / "manifest.json").is_file()
