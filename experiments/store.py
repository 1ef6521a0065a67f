"""Result storage: one directory per run, written atomically.

A run directory holds::

    manifest.json           run id, scenario, seed, row count of each table, sha256 of each file
    tables/<name>.parquet   one file per table named in scenarios.results.COLUMNS
    plots/<name>.png        the standard plots of experiments.plots (unless switched off)
    exposure_network.graphml  the bank-firm exposure network, when the run has banks

The directory is built in a hidden sibling ``.<name>.partial-<random>`` and renamed into place
only once every file is written and synced, so a directory at the target path is always a
whole run: an interrupted or failed write leaves the earlier result (or nothing) behind.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import networkx
import pandas as pd

from experiments.network import exposure_graph
from experiments.plots import save_all
from scenarios.results import COLUMNS, RunResult

__all__ = ["MANIFEST", "OutputExists", "check_output", "read_manifest", "read_run",
           "verify_run", "write_run"]

MANIFEST = "manifest.json"


class OutputExists(ValueError):
    """The output path is taken and may not be replaced."""


def check_output(out: Path | str, *, overwrite: bool = False) -> None:
    """Check that a run may be written at ``out`` before any work is done.

    Without ``overwrite`` nothing may exist at ``out``. With it, ``out`` may also be an
    earlier run directory (one with a manifest) or an empty directory; anything else is
    refused, so that overwriting never deletes a directory that is not a run.

    Raises:
        OutputExists: ``out`` is taken, or cannot be created (under a file or in a folder
            that is not writable); the message names the path.
    """
    out = Path(out)
    if not out.exists() and not out.is_symlink():
        _check_creatable(out)
        return
    if not overwrite:
        raise OutputExists(f"{out} exists already; choose another output directory "
                           "or overwrite it")
    replaceable = out.is_dir() and not out.is_symlink() and (
        (out / MANIFEST).is_file() or not any(out.iterdir()))
    if not replaceable:
        raise OutputExists(f"{out} is not a run directory (no {MANIFEST}); "
                           "refusing to replace it")


def _check_creatable(out: Path) -> None:
    """Check that ``out`` can be made: its nearest existing ancestor is a writable folder.

    Raises:
        OutputExists: an ancestor is a file, or the folder is not writable.
    """
    parent = out.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputExists(f"{out}: cannot be created, {parent} is a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputExists(f"{out}: cannot be created, {parent} is not writable")


def write_run(result: RunResult, out: Path | str, *, overwrite: bool = False,
              plots: bool = True) -> Path:
    """Store a run's tables, plots and manifest in the directory ``out``, atomically.

    Missing parent directories are created. With ``overwrite`` an earlier run at ``out`` is
    replaced only after the new one is complete.

    Returns:
        ``out``.

    Raises:
        OutputExists: see :func:`check_output`.
        ValueError: a table is not named in ``COLUMNS`` or its columns differ from it.
    """
    out = Path(out)
    check_output(out, overwrite=overwrite)
    _check_tables(result.tables)
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale_partials(out)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
    partial.mkdir()
    try:
        _write_contents(result, partial, plots)
        check_output(out, overwrite=overwrite)  # again: the path may have changed meanwhile
        _publish(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return out


def read_manifest(path: Path | str) -> dict[str, Any]:
    """The manifest of the run directory ``path``.

    Raises:
        FileNotFoundError: ``path`` is not a run directory (it has no manifest).
    """
    manifest = Path(path) / MANIFEST
    if not manifest.is_file():
        raise FileNotFoundError(f"{path} is not a run directory: it has no {MANIFEST}")
    data: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
    return data


def read_run(path: Path | str) -> dict[str, pd.DataFrame]:
    """Every table of a stored run, by name, in the order of the manifest.

    Raises:
        FileNotFoundError: ``path`` has no manifest, or a table file is missing.
    """
    tables = read_manifest(path)["tables"]
    return {name: pd.read_parquet(Path(path) / "tables" / f"{name}.parquet")
            for name in tables}


def verify_run(path: Path | str) -> str | None:
    """Check a run directory against the sha256 of every file in its manifest.

    Returns:
        None if the run is whole; otherwise one line naming the file and what is wrong
        with it (missing, changed since the run was written, or an unreadable manifest).
    """
    path = Path(path)
    try:
        manifest = read_manifest(path)
        files = manifest["files"]
        tables = manifest["tables"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return f"{path / MANIFEST}: unreadable manifest ({type(error).__name__})"
    if not isinstance(files, dict) or not isinstance(tables, dict):
        return f"{path / MANIFEST}: unreadable manifest (no checksums)"
    unlisted = [t for t in tables if f"tables/{t}.parquet" not in files]
    if unlisted:
        return f"{path / 'tables' / unlisted[0]}.parquet: not in the manifest's checksums"
    for name, digest in files.items():
        file = path / name
        try:
            actual = _hash(file)
        except OSError:
            return f"{file}: missing"
        if actual != digest:
            return f"{file}: checksum mismatch (changed after the run was written)"
    return None


def _check_tables(tables: dict[str, pd.DataFrame]) -> None:
    for name, table in tables.items():
        if name not in COLUMNS:
            raise ValueError(f"table {name!r} is not named in scenarios.results.COLUMNS")
        expected = list(COLUMNS[name])
        if list(table.columns) != expected:
            missing = [c for c in expected if c not in table.columns]
            extra = [c for c in table.columns if c not in expected]
            raise ValueError(f"table {name!r} does not have the columns of COLUMNS "
                             f"(missing {missing}, extra {extra}, or out of order)")


def _write_contents(result: RunResult, folder: Path, plots: bool) -> None:
    (folder / "tables").mkdir()
    files = []
    for name, table in result.tables.items():
        path = folder / "tables" / f"{name}.parquet"
        table.to_parquet(path, index=False)
        files.append(path)
    if plots:
        files += save_all(result.tables, folder / "plots")
    exposures = result.tables.get("exposures")
    if exposures is not None and len(exposures):
        path = folder / "exposure_network.graphml"
        networkx.write_graphml(exposure_graph(exposures), path)
        files.append(path)
    manifest = {
        "run_id": result.run_id,
        "scenario": result.scenario_name,
        "seed": result.seed,
        "tables": {name: len(table) for name, table in result.tables.items()},
        "files": {path.relative_to(folder).as_posix(): _sync_and_hash(path)
                  for path in files},
    }
    manifest_path = folder / MANIFEST
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    _sync_and_hash(manifest_path)
    for directory in {path.parent for path in files} | {folder}:
        _sync_directory(directory)


def _clean_stale_partials(out: Path) -> None:
    """Delete half-written copies of ``out`` left by writers that are no longer running.

    A partial directory is named ``.<name>.partial-<pid>-<random>``; one whose process has
    ended (or of the older form without a pid) was left by a killed run.
    """
    for entry in out.parent.glob(f"{glob.escape('.' + out.name)}.partial-*"):
        pid = entry.name.rsplit(".partial-", 1)[1].split("-")[0]
        if not (pid.isdigit() and _process_alive(int(pid))) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (POSIX; assume so elsewhere)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _publish(partial: Path, out: Path) -> None:
    """Rename the complete ``partial`` to ``out``, setting an earlier run aside until then."""
    aside = None
    if out.exists():
        aside = out.parent / f".{out.name}.old-{secrets.token_hex(4)}"
        os.rename(out, aside)
        try:
            os.rename(partial, out)
        except BaseException:
            os.rename(aside, out)
            raise
    else:
        os.rename(partial, out)
    _sync_directory(out.parent)
    if aside is not None:
        # The new run is in place; failing to delete the old copy must not fail the write.
        shutil.rmtree(aside, ignore_errors=True)


def _sync_and_hash(path: Path) -> str:
    """Flush a written file to disk and return its sha256 (hex)."""
    with open(path, "rb") as file:
        os.fsync(file.fileno())
    return _hash(path)


def _hash(path: Path) -> str:
    """The sha256 (hex) of a file's contents."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sync_directory(path: Path) -> None:
    """Make renames and new entries in ``path`` durable (POSIX; a no-op on Windows)."""
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
