from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from experiments import MANIFEST, OutputExists, read_manifest, read_run, write_run
from scenarios.results import COLUMNS, RunResult, frame

Factory = Callable[[str], RunResult]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "results.md"


class UnwritableTable(pd.DataFrame):
    """A table whose Parquet write fails, as on a full disk."""

    def to_parquet(self, *args: object, **kwargs: object) -> None:
        raise OSError("No space left on device")


def broken(result: RunResult) -> RunResult:
    """The same run with its third table failing to write, after two were written."""
    tables = dict(result.tables)
    tables["firm_years"] = UnwritableTable(tables["firm_years"])
    return RunResult(result.run_id, result.scenario_name, result.seed, tables)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_write_run_stores_tables_plots_and_manifest(tmp_path: Path,
                                                     small_result: RunResult) -> None:
    out = write_run(small_result, tmp_path / "runs" / "tiny-seed1")

    assert out == tmp_path / "runs" / "tiny-seed1"
    assert sorted(p.name for p in (out / "tables").iterdir()) == sorted(
        f"{name}.parquet" for name in small_result.tables)
    assert sorted(p.name for p in (out / "plots").iterdir()) == [
        "abatement_curve.png", "cross_border_flows.png", "price_paths.png"]
    manifest = read_manifest(out)
    assert (manifest["run_id"], manifest["scenario"], manifest["seed"]) == ("tiny-1", "tiny", 1)
    assert manifest["tables"] == {name: len(table)
                                  for name, table in small_result.tables.items()}
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["tiny-seed1"]


def test_manifest_sha256_matches_every_file(tmp_path: Path, small_result: RunResult) -> None:
    out = write_run(small_result, tmp_path / "run")

    files = read_manifest(out)["files"]
    stored = {p.relative_to(out).as_posix() for p in out.rglob("*")
              if p.is_file() and p.name != MANIFEST}
    assert set(files) == stored
    for name, digest in files.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest


def test_read_run_round_trips_the_tables(tmp_path: Path, small_result: RunResult) -> None:
    tables = read_run(write_run(small_result, tmp_path / "run"))

    assert list(tables) == list(small_result.tables)
    for name, table in small_result.tables.items():
        pd.testing.assert_frame_equal(tables[name], table)


def test_read_run_refuses_a_directory_without_manifest(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()

    with pytest.raises(FileNotFoundError, match="not a run directory"):
        read_run(tmp_path)


def test_without_plots_only_tables_are_written(tmp_path: Path,
                                               small_result: RunResult) -> None:
    out = write_run(small_result, tmp_path / "run", plots=False)

    assert not (out / "plots").exists()
    assert all(name.startswith("tables/") for name in read_manifest(out)["files"])


def test_existing_output_is_refused(tmp_path: Path, small_result: RunResult,
                                    result_factory: Factory) -> None:
    out = write_run(small_result, tmp_path / "run")
    before = snapshot(out)

    with pytest.raises(OutputExists, match=re.escape(str(out))):
        write_run(result_factory("tiny-2"), out)

    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_overwrite_replaces_an_earlier_run(tmp_path: Path, small_result: RunResult,
                                           result_factory: Factory) -> None:
    out = write_run(small_result, tmp_path / "run")

    write_run(result_factory("tiny-2"), out, overwrite=True, plots=False)

    assert read_manifest(out)["run_id"] == "tiny-2"
    assert read_run(out)["kpis"]["run_id"].tolist() == ["tiny-2"]
    assert not (out / "plots").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_overwrite_refuses_a_directory_that_is_not_a_run(tmp_path: Path,
                                                         small_result: RunResult) -> None:
    (tmp_path / "notes.txt").write_text("keep me")

    with pytest.raises(OutputExists, match="not a run directory"):
        write_run(small_result, tmp_path, overwrite=True)

    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_failure_midway_leaves_no_directory_behind(tmp_path: Path,
                                                   small_result: RunResult) -> None:
    with pytest.raises(OSError, match="No space left"):
        write_run(broken(small_result), tmp_path / "run")

    assert list(tmp_path.iterdir()) == []


def test_failure_midway_keeps_the_earlier_result(tmp_path: Path, small_result: RunResult,
                                                 result_factory: Factory) -> None:
    out = write_run(small_result, tmp_path / "run")
    before = snapshot(out)

    with pytest.raises(OSError, match="No space left"):
        write_run(broken(result_factory("tiny-2")), out, overwrite=True)

    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_a_table_with_other_columns_is_refused(tmp_path: Path,
                                               small_result: RunResult) -> None:
    tables = dict(small_result.tables, kpis=small_result["kpis"].drop(columns="seed"))

    with pytest.raises(ValueError, match="kpis"):
        write_run(RunResult("tiny-1", "tiny", 1, tables), tmp_path / "run")

    assert list(tmp_path.iterdir()) == []


def test_empty_tables_round_trip(tmp_path: Path) -> None:
    result = RunResult("empty-1", "empty", 3, {name: frame(name, []) for name in COLUMNS})

    tables = read_run(write_run(result, tmp_path / "run"))

    assert {name: len(table) for name, table in tables.items()} == dict.fromkeys(COLUMNS, 0)
    assert all(list(tables[name].columns) == list(COLUMNS[name]) for name in COLUMNS)


def documented_columns() -> dict[str, set[str]]:
    """Backticked names in the first cell of each table row, under ``## `table` `` headings."""
    documented: dict[str, set[str]] = {}
    table = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            heading = re.fullmatch(r"## `(\w+)`", line.strip())
            table = heading.group(1) if heading else None
            if table is not None:
                documented.setdefault(table, set())
        elif table is not None and (cell := re.match(r"\| `(\w+)` \|", line)):
            documented[table].add(cell.group(1))
    return documented


def test_every_column_is_documented_and_every_documented_column_exists() -> None:
    documented = documented_columns()

    assert set(documented) == set(COLUMNS)
    for table, columns in COLUMNS.items():
        assert documented[table] == set(columns), table
