"""The experiment runner: every point times replication, in parallel, resumable.

Each run is done by :func:`execute_run` in a worker, which stores the run's tables itself
(atomically, see ``experiments.store.write_run``) and hands back only a small
:class:`~experiments.catalog.RunRecord`; a run that raises is stored as a failure with its
traceback and the others go on. The parent only schedules, records the catalogue and draws
the progress bar, so its memory does not grow with the number of runs.

Backends, all running the same worker function:

``local``   worker processes on this machine (``concurrent.futures`` with the forkserver or
            spawn start method, so it works from Jupyter as from the command line);
``dask``    a Dask cluster: an existing one at ``scheduler`` (SLURM, Kubernetes, ... through
            Dask's own launchers; workers must see the experiment directory), or a
            ``LocalCluster`` started here;
``serial``  one run after another in this process, for debugging.

A stopped or killed experiment resumes with :func:`resume_experiment`: complete runs are
skipped, half-written ones (hidden directories) are deleted and done again.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import socket
import threading
import time
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing, contextmanager
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from experiments.catalog import (RUNS, CatalogWriter, RunRecord, complete_runs, read_failures,
                                 write_failure)
from experiments.design import Plan, RunTask, plan_experiment
from experiments.progress import ProgressBar
from experiments.spec import ExperimentError, ExperimentSpec, load_experiment
from experiments.store import (MANIFEST, OutputExists, _process_alive, check_output,
                               verify_run, write_run)

__all__ = ["Backend", "ExperimentResult", "execute_run", "experiment_status", "read_plan",
           "resume_experiment", "run_experiment"]

Backend = Literal["local", "dask", "serial"]
PLAN = "plan.json"
DEFINITION = "experiment.yaml"
_LOCK = ".lock"
_PARENT_POLL_SECONDS = 0.5
_WORKER_DIED = "the worker process ended abruptly (killed, or out of memory)"


@dataclass(frozen=True)
class ExperimentResult:
    """Where an experiment stands after a run or resume."""

    folder: Path
    total: int
    ok: int
    failed: int
    ran: int
    seconds: float
    corrupt: tuple[str, ...] = ()  # one line per corrupt run, naming the file

    @property
    def missing(self) -> int:
        return self.total - self.ok - self.failed


def run_experiment(experiment: str | Path | ExperimentSpec, out: Path | str, *,
                   workers: int | None = None, backend: Backend = "local",
                   scheduler: str | None = None, progress: bool | None = None,
                   monitor: Callable[[RunRecord], None] | None = None) -> ExperimentResult:
    """Plan an experiment, then do every run and store it under ``out``.

    Args:
        experiment: a built-in experiment name, an experiment file, or a spec.
        out: the experiment directory; it must not exist or be empty.
        workers: worker processes (default: every core); a LocalCluster's size for dask.
        backend: ``local``, ``dask`` or ``serial`` (see the module).
        scheduler: address of a running Dask scheduler (``tcp://host:8786``).
        progress: draw the progress bar on stderr: True always, None when stderr is a
            terminal (otherwise one final line), False never.
        monitor: called in this process with each run's record as it arrives.

    Raises:
        ExperimentError: bad experiment, a point whose scenario is invalid, or ``out``
            taken; raised before any run starts.
    """
    if isinstance(experiment, ExperimentSpec):
        import yaml

        spec, text, base = experiment, yaml.safe_dump(
            experiment.model_dump(mode="json", exclude_defaults=True), sort_keys=False), \
            Path(".")
    else:
        spec, text, base = load_experiment(experiment)
    options = _options(workers, backend, scheduler, progress, monitor)
    plan = plan_experiment(spec, text, base)
    folder = Path(out)
    _create_folder(folder, plan)
    return _execute(folder, plan, options)


def resume_experiment(out: Path | str, *, workers: int | None = None,
                      backend: Backend = "local", scheduler: str | None = None,
                      retry_failed: bool = False, progress: bool | None = None,
                      monitor: Callable[[RunRecord], None] | None = None) -> ExperimentResult:
    """Do the runs of the experiment in ``out`` that are not stored yet.

    Failed runs are kept as failed unless ``retry_failed``. Other arguments as in
    :func:`run_experiment`.

    Raises:
        ExperimentError: ``out`` is not an experiment directory, or another process is
            running it.
    """
    options = _options(workers, backend, scheduler, progress, monitor)
    folder = Path(out)
    plan = read_plan(folder)
    return _execute(folder, plan, options, retry_failed=retry_failed)


def experiment_status(out: Path | str) -> ExperimentResult:
    """Runs complete, failed and missing in the experiment directory ``out``.

    Every complete run is checked against the checksums of its manifest; a corrupt run
    counts as failed and is named in ``corrupt``.
    """
    folder = Path(out)
    plan = read_plan(folder)
    ok = complete_runs(folder) & set(plan.keys())
    corrupt = {key: reason for key in sorted(ok)
               if (reason := verify_run(folder / RUNS / key)) is not None}
    ok -= set(corrupt)
    failed = (set(read_failures(folder)) | set(corrupt)) - ok
    return ExperimentResult(folder, plan.total, len(ok), len(failed), 0, 0.0,
                            tuple(f"{key}: {reason}" for key, reason in corrupt.items()))


def read_plan(folder: Path | str) -> Plan:
    """The plan stored in an experiment directory.

    Raises:
        ExperimentError: ``folder`` holds no plan.
    """
    path = Path(folder) / PLAN
    if not path.is_file():
        raise ExperimentError(f"{folder}: not an experiment directory (no {PLAN})")
    return Plan.from_json(path.read_text(encoding="utf-8"))


def execute_run(task: RunTask) -> RunRecord:
    """Do one run and store its tables under ``<folder>/runs/<run_key>``.

    Runs in a worker. It never raises for a failing run: the error is stored as
    ``<folder>/failed/<run_key>.json`` and returned as a failed record.
    """
    from scenarios import RunResult, Scenario, code_version, run_scenario

    started = pd.Timestamp.now(tz="UTC").isoformat()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    target = Path(task.folder) / RUNS / task.run_key
    try:
        scenario = Scenario.model_validate_json(task.scenario_json)
        clock = time.perf_counter()
        result = run_scenario(scenario, task.seed)
        seconds = time.perf_counter() - clock
        kept = RunResult(result.run_id, result.scenario_name, result.seed,
                         {name: result.tables[name] for name in task.tables})
        clock = time.perf_counter()
        try:
            write_run(kept, target, plots=False)
        except OutputExists:
            if not (target / MANIFEST).is_file():
                raise  # something else sits where the run belongs
        return RunRecord(task.run_key, task.point, task.replication, task.seed, "ok",
                         seconds=seconds, store_seconds=time.perf_counter() - clock,
                         started_utc=started, finished_utc=_now(), worker=worker,
                         run_id=result.run_id, code_version=code_version())
    except Exception as error:  # noqa: BLE001 - any error of a run is that run's failure
        record = _failure(task, error, traceback.format_exc(), started, worker)
        write_failure(task.folder, record)
        return record


# ---- orchestration ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    workers: int
    backend: Backend
    scheduler: str | None
    progress: bool | None
    monitor: Callable[[RunRecord], None] | None


def _options(workers: int | None, backend: Backend, scheduler: str | None,
             progress: bool | None, monitor: Callable[[RunRecord], None] | None) -> _Options:
    """Checked before anything is written."""
    if workers is not None and workers < 1:
        raise ExperimentError(f"workers must be at least 1, not {workers}")
    if backend not in ("local", "dask", "serial"):
        raise ExperimentError(f"unknown backend {backend!r} (local, dask or serial)")
    if scheduler is not None and backend != "dask":
        raise ExperimentError("a scheduler address needs the dask backend")
    return _Options(workers or os.cpu_count() or 1, backend, scheduler, progress, monitor)


def _execute(folder: Path, plan: Plan, options: _Options,
             retry_failed: bool = False) -> ExperimentResult:
    started = time.monotonic()
    with _locked(folder):
        _clean_partials(folder)
        _set_aside_corrupt(folder, plan)
        if retry_failed:
            shutil.rmtree(folder / "failed", ignore_errors=True)
        writer = CatalogWriter(folder, plan)
        writer.initialise()
        writer.reconcile()
        complete, failures = complete_runs(folder), set(read_failures(folder))
        tasks = plan.tasks(folder.resolve(), frozenset(complete | failures))
        bar = None if options.progress is False else ProgressBar(
            plan.total, len(complete | failures), len(failures - complete),
            live=options.progress)
        ran = 0
        try:
            with closing(_results(tasks, options)) as results:
                for record in results:
                    writer.add(record)
                    ran += 1
                    if bar is not None:
                        bar.update(record.ok)
                    if options.monitor is not None:
                        options.monitor(record)
        finally:
            writer.flush()
            if bar is not None:
                bar.close()
        status = experiment_status(folder)
    return ExperimentResult(folder, plan.total, status.ok, status.failed, ran,
                            time.monotonic() - started)


def _results(tasks: Iterable[RunTask], options: _Options) -> Generator[RunRecord]:
    match options.backend:
        case "local":
            return _local(tasks, options.workers)
        case "dask":
            return _dask(tasks, options.workers, options.scheduler)
    return (execute_run(task) for task in tasks)


def _local(tasks: Iterable[RunTask], workers: int) -> Generator[RunRecord]:
    """Records of the tasks run in a pool of worker processes, as they finish.

    At most two tasks per worker are submitted ahead, so a long experiment holds a few
    futures at a time. A worker that dies (killed, out of memory) fails the runs in flight
    and the pool is started again.
    """
    pending = iter(tasks)
    pool = _pool(workers)
    in_flight: dict[Future[RunRecord], RunTask] = {}
    finished = False
    try:
        while True:
            while len(in_flight) < 2 * workers and (task := next(pending, None)) is not None:
                in_flight[pool.submit(execute_run, task)] = task
            if not in_flight:
                break
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = None
            for future in done:
                task = in_flight.pop(future)
                try:
                    yield future.result()
                except BrokenProcessPool as error:
                    broken = error
                    yield _parent_failure(task, error, _WORKER_DIED)
                except Exception as error:  # noqa: BLE001 - as in execute_run
                    yield _parent_failure(task, error)
            if broken is not None:  # every run in flight is lost with the pool
                for task in in_flight.values():
                    yield _parent_failure(task, broken, _WORKER_DIED)
                in_flight.clear()
                pool.shutdown(wait=False)
                pool = _pool(workers)
        finished = True
    finally:
        pool.shutdown(wait=finished, cancel_futures=True)


def _pool(workers: int) -> ProcessPoolExecutor:
    context: BaseContext
    if "forkserver" in multiprocessing.get_all_start_methods():
        # Workers fork from a server that has imported the simulator once; nothing of the
        # parent (a notebook kernel, say) is inherited.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["experiments.runner"])
    else:
        context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_watch_parent,
                               initargs=(os.getpid(),))


def _watch_parent(parent: int) -> None:
    """In a worker: end this process soon after ``parent`` (the runner) has died.

    A pool's workers otherwise finish the run in hand, minutes perhaps, after the runner
    was killed; the partial directory they leave is deleted on resume.
    """
    if os.name == "nt":  # os.kill(pid, 0) would end the parent there
        return

    def watch() -> None:
        while _process_alive(parent) and os.getppid() != 1:
            time.sleep(_PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="cgx-parent-watch", daemon=True).start()


def _dask(tasks: Iterable[RunTask], workers: int, scheduler: str | None
          ) -> Generator[RunRecord]:
    """Records of the tasks run on a Dask cluster, as they finish."""
    try:
        import distributed
    except ImportError:
        raise ExperimentError("the dask backend needs dask[distributed]: "
                              "pip install 'dask[distributed]'") from None
    dask: Any = distributed  # untyped
    cluster = None if scheduler else dask.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = dask.Client(scheduler or cluster)
    try:
        if cluster is not None:
            client.wait_for_workers(workers)
        slots = 2 * max(1, sum(client.nthreads().values()))
        pending = iter(tasks)
        in_flight = {}
        queue = dask.as_completed()
        for task in pending:
            future = client.submit(execute_run, task, pure=False, key=f"cgx-{task.run_key}"
                                   f"-{os.urandom(4).hex()}")
            in_flight[future.key] = task
            queue.add(future)
            if len(in_flight) >= slots:
                break
        for future in queue:
            task = in_flight.pop(future.key)
            try:
                yield future.result()
            except Exception as error:  # noqa: BLE001 - a lost worker, say
                yield _parent_failure(task, error)
            next_task = next(pending, None)
            if next_task is not None:
                future = client.submit(execute_run, next_task, pure=False,
                                       key=f"cgx-{next_task.run_key}-{os.urandom(4).hex()}")
                in_flight[future.key] = next_task
                queue.add(future)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# ---- folder ----------------------------------------------------------------------------


def _create_folder(folder: Path, plan: Plan) -> None:
    if (folder / PLAN).is_file():
        raise ExperimentError(f"{folder} holds an experiment already: resume it with "
                              f"`cgx experiment resume {folder}`, or choose another directory")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ExperimentError(f"{folder} exists and is not empty; choose another directory")
    if not folder.exists():
        try:
            check_output(folder)  # under a file, or in a folder that is not writable
        except OutputExists as error:
            raise ExperimentError(str(error)) from None
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomically(folder / DEFINITION, plan.definition)
    _write_atomically(folder / PLAN, plan.to_json())  # last: it marks the directory


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _clean_partials(folder: Path) -> None:
    """Delete runs left half-written by a killed experiment (hidden directories)."""
    runs = folder / RUNS
    if runs.is_dir():
        for entry in runs.iterdir():
            if entry.name.startswith(".") and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)


def _set_aside_corrupt(folder: Path, plan: Plan) -> None:
    """Turn each complete run that fails its checksums into a failed run.

    The run's directory moves to ``corrupt/<run_key>-<n>`` (kept for inspection, out of
    the results) and a failure record names the damaged file, so the run is reported as
    failed and done again with ``retry_failed``.
    """
    keys = plan.keys()
    for key in sorted(complete_runs(folder) & set(keys)):
        reason = verify_run(folder / RUNS / key)
        if reason is None:
            continue
        aside = folder / "corrupt"
        aside.mkdir(exist_ok=True)
        n = sum(1 for _ in aside.glob(f"{key}-*"))
        os.rename(folder / RUNS / key, aside / f"{key}-{n}")
        point, replication = keys[key]
        write_failure(folder, RunRecord(key, point, replication, plan.seed(replication),
                                        "failed",
                                        error_type="CorruptRun", error_message=reason,
                                        finished_utc=_now()))


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold the experiment directory against a second runner (POSIX advisory lock)."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        yield
        return
    with open(folder / _LOCK, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExperimentError(f"{folder} is being run by another process") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---- records ---------------------------------------------------------------------------


def _now() -> str:
    return pd.Timestamp.now(tz="UTC").isoformat()


def _failure(task: RunTask, error: BaseException, trace: str, started: str | None,
             worker: str | None) -> RunRecord:
    return RunRecord(task.run_key, task.point, task.replication, task.seed, "failed",
                     error_type=type(error).__name__, error_message=str(error)[:2000],
                     traceback=trace[-20_000:], started_utc=started, finished_utc=_now(),
                     worker=worker)


def _parent_failure(task: RunTask, error: BaseException, message: str | None = None
                    ) -> RunRecord:
    """A run that failed outside the worker function (the worker died, say)."""
    if message is not None:
        error = type(error)(message)
    trace = "".join(traceback.format_exception(error))
    record = _failure(task, error, trace, None, None)
    write_failure(task.folder, record)
    return record
