"""The experiment runner: seeds, parallel backends, failures, resume after a kill, Dask."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.catalog import complete_runs, open_store
from experiments.design import plan_experiment
from experiments.runner import (execute_run, experiment_status, read_plan, resume_experiment,
                                run_experiment)
from experiments.spec import ExperimentError, load_experiment

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENT = """
name: small
scenario: tiny
set: {calendar.years: 1, calendar.days_per_year: DAYS}
factors:
  - {name: cap, path: regions.changshou.regulator.cap_share.COD, levels: [0.8, 0.9]}
design: {kind: factorial}
replications: REPS
seed: 5
keep: {tables: [kpis, market_daily], kpis: [mean_price_yuan, cost_efficiency]}
"""
# Columns that say when and how long, not what: they differ between identical runs.
CLOCK_COLUMNS = {"run": ["started_utc", "wall_seconds"]}


def experiment_file(folder: Path, days: int = 15, replications: int = 3,
                    extra: str = "") -> Path:
    path = folder / "small.yaml"
    text = EXPERIMENT.replace("DAYS", str(days)).replace("REPS", str(replications))
    path.write_text(text + extra, encoding="utf-8")
    return path


def stored_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Every stored table of an experiment, sorted, without the clock columns."""
    with open_store(folder) as store:
        out = {}
        for name in store.tables:
            table = store.table(name).drop(columns=CLOCK_COLUMNS.get(name, []))
            out[name] = table.sort_values(list(table.columns[:6])).reset_index(drop=True)
        return out


def assert_same_tables(a: Path, b: Path) -> None:
    left, right = stored_tables(a), stored_tables(b)
    assert sorted(left) == sorted(right) == ["kpis", "market_daily", "run"]
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], obj=name)


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small experiment run one run after another in this process: the reference."""
    folder = tmp_path_factory.mktemp("serial")
    run_experiment(experiment_file(folder), folder / "out", backend="serial", progress=False)
    return folder / "out"


def test_every_run_is_stored_once_with_its_settings(serial_run: Path) -> None:
    with open_store(serial_run) as store:
        runs = store.runs()
        kpis = store.table("kpis")

    assert len(runs) == 6 and set(runs["status"]) == {"ok"}
    assert sorted(complete_runs(serial_run)) == sorted(runs["run_key"])
    assert kpis["run_key"].is_unique and len(kpis) == 6
    scenario = json.loads(runs.loc[runs["point"] == 1, "scenario_json"].iloc[0])
    assert scenario["regions"]["changshou"]["regulator"]["cap_share"]["COD"] == 0.9
    assert runs["code_version"].notna().all() and (runs["seconds"] > 0).all()
    assert (runs.groupby("replication")["seed"].nunique() == 1).all()
    assert (kpis.set_index("run_key")["seed"] == runs.set_index("run_key")["seed"]).all()


def test_same_tables_whatever_the_worker_count(serial_run: Path, tmp_path: Path) -> None:
    result = run_experiment(experiment_file(tmp_path), tmp_path / "out", workers=2,
                            progress=False)

    assert (result.ok, result.failed, result.ran) == (6, 0, 6)
    assert_same_tables(serial_run, tmp_path / "out")


def test_same_tables_whatever_the_order(serial_run: Path, tmp_path: Path) -> None:
    """Runs done one by one, last first, in a copy of the plan give the same tables."""
    out = tmp_path / "out"
    run_experiment(experiment_file(tmp_path), out, backend="serial", progress=False)
    plan = read_plan(out)
    for task in reversed(list(plan.tasks(out))):
        os.rename(out / "runs" / task.run_key, out / "runs" / f".{task.run_key}.old")
        assert execute_run(task).ok
    resume_experiment(out, backend="serial", progress=False)  # catalogue in step

    assert_same_tables(serial_run, out)


def test_a_failing_run_is_recorded_and_the_others_are_kept(tmp_path: Path) -> None:
    """Point 1 names a manual firm the scenario does not have: it fails when the world is
    built, in the worker; point 0 runs normally."""
    path = experiment_file(tmp_path, replications=2).read_text(encoding="utf-8").replace(
        "- {name: cap", "- {name: manual, path: trading.manual_firms, levels: [[], [nobody]]}"
        "\n  - {name: cap").replace("levels: [0.8, 0.9]", "levels: [0.8]")
    (tmp_path / "failing.yaml").write_text(path, encoding="utf-8")

    result = run_experiment(tmp_path / "failing.yaml", tmp_path / "out", workers=2,
                            progress=False)

    assert (result.ok, result.failed) == (2, 2)
    with open_store(tmp_path / "out") as store:
        runs = store.runs().set_index("run_key")
        kpis = store.table("kpis")
    failed = runs[runs["status"] == "failed"]
    assert list(failed["point"]) == [1, 1]
    assert set(failed["error_type"]) == {"ValueError"}
    assert failed["error_message"].str.contains("nobody").all()
    assert failed["traceback"].str.contains("Traceback").all()
    assert sorted(kpis["point"]) == [0, 0]
    assert sorted(p.name for p in (tmp_path / "out" / "failed").iterdir()) == \
        ["p0001-r000.json", "p0001-r001.json"]

    again = resume_experiment(tmp_path / "out", backend="serial", progress=False)
    retried = resume_experiment(tmp_path / "out", backend="serial", retry_failed=True,
                                progress=False)
    assert (again.ran, retried.ran, retried.failed) == (0, 2, 2)


def test_killed_runner_resumes_and_redoes_only_the_missing_runs(serial_run: Path,
                                                                 tmp_path: Path) -> None:
    path = experiment_file(tmp_path, days=40, replications=8)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "cgx.cli", "experiment", "run", str(path),
               "--out", str(out), "--workers", "1", "--no-progress"]
    runner = subprocess.Popen(command, cwd=ROOT, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while len(complete_runs(out)) < 3:
            assert runner.poll() is None, runner.stderr.read() if runner.stderr else ""
            assert time.monotonic() < deadline, "no run finished in time"
            time.sleep(0.02)
    finally:
        os.killpg(runner.pid, signal.SIGKILL)  # the runner and its workers, mid-run
        runner.wait()
    before = complete_runs(out)
    assert 3 <= len(before) < 16, "killed mid-experiment"
    assert experiment_status(out).missing == 16 - len(before)

    result = resume_experiment(out, workers=2, progress=False)

    assert (result.ok, result.failed, result.ran) == (16, 0, 16 - len(before))
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]
    with open_store(out) as store:
        runs = store.runs()
        kpis = store.table("kpis")
    assert len(runs) == 16 and runs["run_key"].is_unique
    assert kpis["run_key"].is_unique and len(kpis) == 16
    reference = tmp_path / "reference"
    run_experiment(path, reference, backend="serial", progress=False)
    assert_same_tables(reference, out)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning")
def test_dask_backend_on_a_local_cluster_gives_the_local_tables(serial_run: Path,
                                                                 tmp_path: Path) -> None:
    pytest.importorskip("distributed")

    result = run_experiment(experiment_file(tmp_path), tmp_path / "out", backend="dask",
                            workers=2, progress=False)

    assert (result.ok, result.failed) == (6, 0)
    with open_store(tmp_path / "out") as store:
        assert store.runs()["worker"].nunique() == 2
    assert_same_tables(serial_run, tmp_path / "out")


def test_runs_from_a_main_module_without_a_file_as_in_a_notebook(tmp_path: Path) -> None:
    """``python -c`` has, like a Jupyter kernel, a main module with no file to re-import."""
    script = (f"from experiments.runner import run_experiment\n"
              f"r = run_experiment({str(experiment_file(tmp_path, replications=2))!r}, "
              f"{str(tmp_path / 'out')!r}, workers=2, progress=True)\n"
              "print(r.ok, r.failed)\n")

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300, check=True)

    assert done.stdout.split() == ["4", "0"]
    assert "4/4 runs, 0 failed" in done.stderr


def test_an_experiment_directory_is_never_reused_or_run_twice(serial_run: Path,
                                                              tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match="resume it"):
        run_experiment(experiment_file(tmp_path), serial_run, backend="serial")
    with open(serial_run / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(ExperimentError, match="being run by another process"):
            resume_experiment(serial_run, backend="serial")


def test_plan_is_checked_before_anything_is_written(tmp_path: Path) -> None:
    path = experiment_file(tmp_path, extra="").read_text(encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(path.replace("[0.8, 0.9]", "[0.8, -1]"),
                                       encoding="utf-8")

    with pytest.raises(ExperimentError, match="point 1"):
        run_experiment(tmp_path / "bad.yaml", tmp_path / "out")
    with pytest.raises(ExperimentError, match="at least 1"):
        run_experiment(experiment_file(tmp_path), tmp_path / "out", workers=0)
    with pytest.raises(ExperimentError, match="needs the dask backend"):
        run_experiment(experiment_file(tmp_path), tmp_path / "out", scheduler="tcp://x:1")
    assert not (tmp_path / "out").exists()
    spec, text, base = load_experiment(experiment_file(tmp_path))
    assert plan_experiment(spec, text, base).total == 6
