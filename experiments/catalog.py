"""The experiment store: Parquet files per run and a DuckDB catalogue beside them.

An experiment directory holds::

    experiment.yaml         the experiment file as given
    plan.json               every design point with its resolved scenario
    runs/<run_key>/         one complete run: manifest.json, tables/<table>.parquet
    failed/<run_key>.json   one failed run: error type, message and traceback
    catalog.duckdb          tables experiment, points and runs, and a view per result table

A run directory is written by the worker under a hidden name and renamed into place when
complete (``experiments.store.write_run``), so ``runs/p*`` holds whole runs only. The
catalogue is written by the parent process alone, in short batches; the files are the
truth and the catalogue is brought back in step with them whenever an experiment resumes.

Read it with :func:`open_store`, which takes a snapshot of the catalogue without locking
it, so a store can be read while the experiment is still running::

    with open_store("runs/cross_border") as store:
        store.query("SELECT point_name, avg(cost_efficiency) FROM kpis GROUP BY ALL")
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import pandas as pd

from experiments.spec import ExperimentError, ExperimentSpec

if TYPE_CHECKING:
    import duckdb

    from experiments.design import Plan

__all__ = ["CATALOG", "CatalogWriter", "RunRecord", "Store", "complete_runs", "open_store",
           "read_failures", "write_failure"]

CATALOG = "catalog.duckdb"
RUNS = "runs"
FAILED = "failed"
_LOCK_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class RunRecord:
    """What the parent learns about one run: a row of the catalogue's runs table."""

    run_key: str
    point: int
    replication: int
    seed: int
    status: str                      # "ok" or "failed"
    error_type: str | None = None
    error_message: str | None = None
    traceback: str | None = None
    seconds: float | None = None     # simulation wall time
    store_seconds: float | None = None
    started_utc: str | None = None
    finished_utc: str | None = None
    worker: str | None = None
    run_id: str | None = None
    code_version: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def complete_runs(folder: Path | str) -> set[str]:
    """Keys of the runs stored completely under ``folder/runs``."""
    runs = Path(folder) / RUNS
    if not runs.is_dir():
        return set()
    return {entry.name for entry in os.scandir(runs)
            if not entry.name.startswith(".") and os.path.isfile(
                os.path.join(entry.path, "manifest.json"))}


def write_failure(folder: Path | str, record: RunRecord) -> None:
    """Store a failed run's record as ``failed/<run_key>.json``, atomically."""
    failed = Path(folder) / FAILED
    failed.mkdir(parents=True, exist_ok=True)
    temporary = failed / f".{record.run_key}.{secrets.token_hex(4)}.tmp"
    temporary.write_text(json.dumps(asdict(record), indent=1), encoding="utf-8")
    os.replace(temporary, failed / f"{record.run_key}.json")


def read_failures(folder: Path | str) -> dict[str, RunRecord]:
    """The failed runs recorded under ``folder/failed``, by key."""
    failed = Path(folder) / FAILED
    if not failed.is_dir():
        return {}
    out = {}
    for path in sorted(failed.glob("[!.]*.json")):
        record = RunRecord(**json.loads(path.read_text(encoding="utf-8")))
        out[record.run_key] = record
    return out


class CatalogWriter:
    """The parent's handle on ``catalog.duckdb``: buffered upserts of run records.

    The database is opened only for the moment of a write, so readers are never locked
    out for long; a write that finds the file locked is retried at the next flush.
    """

    def __init__(self, folder: Path | str, plan: Plan, flush_seconds: float = 2.0) -> None:
        self.folder = Path(folder)
        self.plan = plan
        self.flush_seconds = flush_seconds
        self._buffer: dict[str, RunRecord] = {}
        self._last_flush = time.monotonic()
        self._views = False

    def initialise(self) -> None:
        """Create the tables if the catalogue is new."""
        with self._connect() as con:
            exists = con.execute("SELECT count(*) FROM information_schema.tables "
                                 "WHERE table_name = 'runs'").fetchone()
            if exists and exists[0]:
                return
            con.begin()  # all tables or none, should the process die here
            _create_tables(con, self.plan)
            con.commit()

    def reconcile(self) -> None:
        """Bring the runs table in step with the files: complete runs are ok, recorded
        failures failed, and runs with neither are missing (no row)."""
        keys = self.plan.keys()
        complete = complete_runs(self.folder) & set(keys)
        failures = {k: r for k, r in read_failures(self.folder).items() if k in keys}
        for key in set(failures) & complete:
            (self.folder / FAILED / f"{key}.json").unlink(missing_ok=True)
            del failures[key]
        with self._connect() as con:
            rows = con.execute("SELECT run_key, status FROM runs").fetchall()
            known = {key: status for key, status in rows}
            stale = [k for k, s in known.items()
                     if (s == "ok" and k not in complete) or (s != "ok" and k not in failures)]
            if stale:
                con.execute("DELETE FROM runs WHERE list_contains(?, run_key)", [stale])
            found = [self._recovered(k, *keys[k]) for k in complete if known.get(k) != "ok"]
            found += [r for k, r in failures.items() if known.get(k) != "failed"]
            self._insert(con, found)
            self._refresh_views(con)

    def add(self, record: RunRecord) -> None:
        """Buffer a record; write the buffer if it has waited long enough."""
        self._buffer[record.run_key] = record
        if record.ok:
            (self.folder / FAILED / f"{record.run_key}.json").unlink(missing_ok=True)
        if time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush(wait=False)

    def flush(self, wait: bool = True) -> None:
        """Write the buffered records; with ``wait``, wait for a lock held by a reader."""
        self._last_flush = time.monotonic()
        if not self._buffer and self._views:
            return
        try:
            with self._connect(wait=wait) as con:
                self._insert(con, list(self._buffer.values()))
                self._buffer.clear()
                self._refresh_views(con)
        except _LockedError:
            pass  # a reader holds the file for a moment; the records stay buffered

    def _insert(self, con: duckdb.DuckDBPyConnection, records: list[RunRecord]) -> None:
        if not records:
            return
        batch = pd.DataFrame([self._row(r) for r in records], columns=_run_columns(self.plan))
        con.register("batch", batch)
        try:
            con.execute("INSERT OR REPLACE INTO runs SELECT * FROM batch")
        finally:
            con.unregister("batch")

    def _row(self, record: RunRecord) -> list[Any]:
        point = self.plan.points[record.point]
        row = asdict(record)
        row |= {"point_name": point.name, "scenario": point.scenario,
                "scenario_hash": point.scenario_hash, "scenario_json": point.scenario_json}
        return [row[c] for c in _RECORD_COLUMNS] + [
            _factor_value(point.factors.get(f.name)) for f in self.plan.spec.factors]

    def _recovered(self, key: str, point: int, replication: int) -> RunRecord:
        """The record of a complete run that the catalogue missed (the parent died)."""
        run = pd.read_parquet(self.folder / RUNS / key / "tables" / "run.parquet").iloc[0]
        return RunRecord(key, point, replication, self.plan.seed(replication), "ok",
                         seconds=float(run["wall_seconds"]),
                         started_utc=str(run["started_utc"]), run_id=str(run["run_id"]),
                         code_version=str(run["code_version"]))

    def _refresh_views(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create the views once there is a run to show.

        Once per session: creating a view reads the footer of every matching file, which
        would make each flush slower and hungrier as runs accumulate.
        """
        import duckdb

        if self._views:
            return
        ok = con.execute("SELECT count(*) FROM runs WHERE status = 'ok'").fetchone()
        if ok and ok[0]:
            try:
                _create_views(con, self.folder.resolve(),
                              self.plan.spec.keep.stored_tables(), schema="main",
                              temporary=False)
            except duckdb.Error:
                return  # files moved meanwhile; the next flush tries again
            self._views = True

    def _connect(self, wait: bool = True) -> _Connection:
        return _Connection(self.folder / CATALOG, read_only=False, wait=wait)


class Store:
    """A read-only snapshot of an experiment's catalogue, with a view per result table.

    Each view (``kpis``, ``market_daily``, ...) holds the table's rows of every complete
    run, prefixed with ``run_key``, ``point``, ``point_name`` and ``replication``. The
    tables ``experiment``, ``points`` and ``runs`` are the catalogue's. Nothing is locked:
    the catalogue is copied into memory when the store opens.
    """

    def __init__(self, folder: Path | str) -> None:
        import duckdb

        self.folder = Path(folder)
        catalog = self.folder / CATALOG
        if not catalog.is_file():
            raise ExperimentError(f"{folder}: not an experiment directory (no {CATALOG})")
        self.connection = duckdb.connect()
        with _Connection(catalog, read_only=True) as source:
            for name in ("experiment", "points", "runs"):
                frame = source.execute(f"SELECT * FROM {name}").df()
                if name == "runs":
                    frame, self.corrupt = self._mark_corrupt(frame)
                self.connection.register("snapshot", frame)
                self.connection.execute(f"CREATE TABLE {name} AS SELECT * FROM snapshot")
                self.connection.unregister("snapshot")
        row = self.connection.execute("SELECT spec_json FROM experiment").fetchone()
        self.spec = ExperimentSpec.model_validate_json(row[0] if row else "{}")
        files = self._table_files()
        self.tables = tuple(t for t in self.spec.keep.stored_tables() if files.get(t))
        _create_file_views(self.connection, files)
        _lock_down(self.connection, [f for paths in files.values() for f in paths])

    def query(self, sql: str, parameters: Iterable[Any] | None = None) -> pd.DataFrame:
        """The result of one read-only SQL query over the views and catalogue tables.

        The connection can read the run files behind the views and nothing else: no other
        file, no network, no extensions, and its configuration is locked.

        Raises:
            ExperimentError: the SQL is empty, holds more than one statement or is not a
                ``SELECT`` (``COPY``, ``ATTACH``, ``INSTALL``, ``CREATE``, ``SET``, ...).
            duckdb.Error: the query itself fails (a syntax error, an unknown column, ...).
        """
        _check_read_only(sql)
        return self.connection.execute(sql, parameters).df()

    def _mark_corrupt(self, runs: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
        """Check every ok run against its manifest; mark corrupt ones failed.

        Returns:
            The runs table, and ``run_key -> reason`` (one line naming the file) of the
            corrupt runs.
        """
        from experiments.store import verify_run

        corrupt = {}
        for key in sorted(runs.loc[runs["status"] == "ok", "run_key"]):
            problem = verify_run(self.folder / RUNS / key)
            if problem is not None:
                corrupt[key] = problem
        if corrupt:
            runs = runs.astype({"status": object, "error_type": object,
                                "error_message": object})
            rows = runs["run_key"].isin(list(corrupt))
            runs.loc[rows, "status"] = "failed"
            runs.loc[rows, "error_type"] = "CorruptRun"
            runs.loc[rows, "error_message"] = runs.loc[rows, "run_key"].map(corrupt)
        return runs, corrupt

    def _table_files(self) -> dict[str, list[str]]:
        """The Parquet file of each kept table of every verified ok run, by table."""
        keys = [r[0] for r in self.connection.execute(
            "SELECT run_key FROM runs WHERE status = 'ok' ORDER BY run_key").fetchall()]
        runs = self.folder.resolve() / RUNS
        files: dict[str, list[str]] = {}
        for table in self.spec.keep.stored_tables():
            paths = (runs / key / "tables" / f"{table}.parquet" for key in keys)
            files[table] = [p.as_posix() for p in paths if p.is_file()]
        return files

    def table(self, name: str) -> pd.DataFrame:
        """One result table across every complete run, ordered by run key.

        Raises:
            ExperimentError: the experiment does not keep ``name``, or no run is complete.
        """
        if name not in self.tables:
            kept = ", ".join(self.spec.keep.stored_tables())
            why = f"no complete run yet (kept: {kept})" if kept and not self.tables else \
                f"not kept by the experiment (kept: {kept})"
            raise ExperimentError(f"{self.folder}: table {name!r}: {why}")
        return self.query(f"SELECT * FROM {name} ORDER BY run_key")

    def runs(self) -> pd.DataFrame:
        """The catalogue's runs table (ok and failed runs), ordered by run key."""
        return self.query("SELECT * FROM runs ORDER BY run_key")

    def points(self) -> pd.DataFrame:
        """The design points with their factor values, ordered by point."""
        return self.query("SELECT * FROM points ORDER BY point")

    def experiment(self) -> dict[str, Any]:
        """The experiment row: name, design, replications, seed, definition, ..."""
        frame = self.query("SELECT * FROM experiment")
        return {str(k): v for k, v in frame.iloc[0].items()} if len(frame) else {}

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(folder: Path | str) -> Store:
    """Open the experiment directory ``folder`` for reading; see :class:`Store`.

    Raises:
        ExperimentError: ``folder`` has no catalogue, or it stayed locked for 10 s.
    """
    return Store(folder)


# ---- tables and views ------------------------------------------------------------------

_RECORD_COLUMNS = ("run_key", "point", "point_name", "replication", "seed", "status",
                   "error_type", "error_message", "traceback", "seconds", "store_seconds",
                   "started_utc", "finished_utc", "worker", "run_id", "scenario",
                   "scenario_hash", "code_version", "scenario_json")
_TYPES = {"point": "INTEGER", "replication": "INTEGER", "seed": "BIGINT",
          "seconds": "DOUBLE", "store_seconds": "DOUBLE"}


def _run_columns(plan: Plan) -> list[str]:
    return [*_RECORD_COLUMNS, *(f.name for f in plan.spec.factors)]


def _factor_type(plan: Plan, name: str) -> str:
    values = [p.factors.get(name) for p in plan.points]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    return "DOUBLE" if numeric else "VARCHAR"


def _factor_value(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return json.dumps(value)


def _create_tables(con: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    factors = [(f.name, _factor_type(plan, f.name)) for f in plan.spec.factors]
    columns = [(c, _TYPES.get(c, "VARCHAR")) for c in _RECORD_COLUMNS] + factors
    ddl = ", ".join(f'"{name}" {kind}' for name, kind in columns)
    con.execute(f"CREATE TABLE runs ({ddl}, PRIMARY KEY (run_key))")
    point_ddl = ", ".join(f'"{name}" {kind}' for name, kind in factors)
    con.execute("CREATE TABLE points (point INTEGER PRIMARY KEY, point_name VARCHAR, "
                "scenario VARCHAR, scenario_hash VARCHAR, scenario_json VARCHAR"
                + (f", {point_ddl}" if point_ddl else "") + ")")
    points = pd.DataFrame(
        [[p.index, p.name, p.scenario, p.scenario_hash, p.scenario_json,
          *(_factor_value(p.factors.get(name)) for name, _ in factors)] for p in plan.points],
        columns=["point", "point_name", "scenario", "scenario_hash", "scenario_json",
                 *(name for name, _ in factors)])
    con.register("new_points", points)
    con.execute("INSERT INTO points SELECT * FROM new_points")
    con.unregister("new_points")
    spec = plan.spec
    con.execute("CREATE TABLE experiment (name VARCHAR, description VARCHAR, design VARCHAR, "
                "points INTEGER, replications INTEGER, runs INTEGER, root_seed BIGINT, "
                "tables VARCHAR, kpis VARCHAR, definition VARCHAR, spec_json VARCHAR, "
                "code_version VARCHAR, created_utc VARCHAR)")
    con.execute("INSERT INTO experiment VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        spec.name, spec.description, spec.design.kind, len(plan.points), spec.replications,
        plan.total, spec.seed, ",".join(spec.keep.stored_tables()), ",".join(spec.keep.kpis),
        plan.definition, spec.model_dump_json(), plan.code_version,
        pd.Timestamp.now(tz="UTC").isoformat()])


def _create_views(con: duckdb.DuckDBPyConnection, folder: Path, tables: Iterable[str],
                  schema: str, temporary: bool) -> None:
    """One view per table over ``runs/p*/tables/<table>.parquet``, joined with ok runs.

    Hidden directories (runs being written) do not match ``p*``, and the join keeps only
    runs the catalogue knows as complete.
    """
    for table in tables:
        pattern = (folder / RUNS / "p*" / "tables" / f"{table}.parquet").as_posix()
        pattern = pattern.replace("'", "''")
        con.execute(
            f"CREATE OR REPLACE {'TEMP ' if temporary else ''}VIEW {schema}.{table} AS "
            "SELECT r.run_key, r.point, r.point_name, r.replication, "
            "t.* EXCLUDE (filename) "
            f"FROM read_parquet('{pattern}', union_by_name = true, filename = true) t "
            "JOIN runs r ON r.run_key = regexp_extract(t.filename, "
            "'([^/\\\\]+)[/\\\\]tables[/\\\\][^/\\\\]+$', 1) "
            "WHERE r.status = 'ok'")


def _create_file_views(con: duckdb.DuckDBPyConnection, files: dict[str, list[str]]) -> None:
    """One view per table over the listed run files (verified ones), joined with ok runs."""
    for table, paths in files.items():
        if not paths:
            continue
        listed = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
        con.execute(
            f"CREATE OR REPLACE VIEW main.{table} AS "
            "SELECT r.run_key, r.point, r.point_name, r.replication, "
            "t.* EXCLUDE (filename) "
            f"FROM read_parquet([{listed}], union_by_name = true, filename = true) t "
            "JOIN runs r ON r.run_key = regexp_extract(t.filename, "
            "'([^/\\\\]+)[/\\\\]tables[/\\\\][^/\\\\]+$', 1) "
            "WHERE r.status = 'ok'")


def _lock_down(con: duckdb.DuckDBPyConnection, readable: list[str]) -> None:
    """Let ``con`` read the files ``readable`` and nothing else, for good.

    External access off (no other file, no network), no extension installed or loaded,
    and the configuration locked so that no query can turn any of it back on.
    """
    listed = ", ".join("'" + p.replace("'", "''") + "'" for p in readable)
    con.execute(f"SET allowed_paths = [{listed}]")
    for setting in ("SET enable_external_access = false",
                    "SET autoinstall_known_extensions = false",
                    "SET autoload_known_extensions = false",
                    "SET lock_configuration = true"):
        con.execute(setting)


def _check_read_only(sql: str) -> None:
    """Refuse SQL that is empty, holds several statements or is not one ``SELECT``.

    Raises:
        ExperimentError: one line saying which.
    """
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise ExperimentError("query: " + " ".join(str(error).split())) from None
    if not statements:
        raise ExperimentError("query: the SQL is empty; give one SELECT statement")
    if len(statements) > 1:
        raise ExperimentError(f"query: one statement at a time, got {len(statements)}")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise ExperimentError(f"query: only SELECT is allowed (the store is read-only), "
                              f"got {kind.name}")


class _LockedError(Exception):
    pass


class _Connection:
    """A DuckDB connection to the catalogue that waits while another process holds it."""

    def __init__(self, path: Path, read_only: bool, wait: bool = True) -> None:
        self.path = path
        self.read_only = read_only
        self.wait = wait
        self.con: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        import duckdb

        deadline = time.monotonic() + (_LOCK_WAIT_SECONDS if self.wait else 0)
        while True:
            try:
                self.con = duckdb.connect(str(self.path), read_only=self.read_only)
                return self.con
            except duckdb.IOException as e:
                if "lock" not in str(e).lower():
                    raise ExperimentError(f"{self.path}: {e}") from None
                if time.monotonic() >= deadline:
                    if not self.wait:
                        raise _LockedError() from None
                    raise ExperimentError(f"{self.path} stayed locked by another "
                                          "process") from None
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self.con is not None:
            self.con.close()
