"""The ``cgx`` command line.

Every subcommand is one ``_add_<name>`` function that registers its parser and handler;
adding a subcommand (or a group such as ``experiment``) means writing one such function and
listing it in ``_COMMANDS``. Handlers take the parsed arguments and return the exit code.

Expected errors (a bad scenario, a missing file, an output that exists) print one line
``cgx: error: <message>`` to stderr and exit with 2, before anything is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.store import OutputExists, check_output, write_run
from experiments.summary import summary_table

if TYPE_CHECKING:
    from experiments.runner import ExperimentResult

    Commands = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``cgx`` with ``argv`` (default: the process arguments); return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except _expected_errors() as error:
        print(f"cgx: error: {_one_line(error)}", file=sys.stderr)
        return 2
    return code


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="cgx", description="Simulate the Changshou-Guang'an environmental-rights "
        "exchange.")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for add in _COMMANDS:
        add(commands)
    return parser


# ---- run -------------------------------------------------------------------------------


def _add_run(commands: Commands) -> None:
    parser = commands.add_parser("run", help="run a scenario and store its results",
                                 description="Run a scenario once, store its tables and plots "
                                 "and print a summary.")
    parser.add_argument("scenario", metavar="SCENARIO",
                        help="a built-in scenario name (see `cgx scenarios`) or a YAML file")
    parser.add_argument("--seed", type=_seed, help="root seed (default: the scenario's)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="result directory (default: runs/<scenario>-seed<seed>)")
    _add_overrides(parser)
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier run stored at the result directory")
    parser.add_argument("--no-plots", action="store_true", help="do not draw the plots")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from scenarios import load_scenario, run_scenario

    scenario = load_scenario(args.scenario, args.set)
    seed = scenario.seed if args.seed is None else args.seed
    out = args.out or Path("runs") / f"{scenario.name}-seed{seed}"
    check_output(out, overwrite=args.overwrite)  # fail before the run, not after it
    result = run_scenario(scenario, seed)
    write_run(result, out, overwrite=args.overwrite, plots=not args.no_plots)
    print(summary_table(result.tables))
    print(f"\nresults written to {out}")
    return 0


# ---- scenarios -------------------------------------------------------------------------


def _add_scenarios(commands: Commands) -> None:
    parser = commands.add_parser("scenarios", help="list the built-in scenarios")
    parser.set_defaults(handler=_list_scenarios)


def _list_scenarios(args: argparse.Namespace) -> int:
    from scenarios import builtin_scenarios

    scenarios = builtin_scenarios()
    width = max((len(name) for name in scenarios), default=0)
    for name, description in sorted(scenarios.items()):
        print(f"{name.ljust(width)}  {description}")
    return 0


# ---- validate --------------------------------------------------------------------------


def _add_validate(commands: Commands) -> None:
    parser = commands.add_parser("validate", help="check a scenario file",
                                 description="Load and validate a scenario file, with "
                                 "overrides; print 'ok: <name>' or the first error.")
    parser.add_argument("file", metavar="FILE", help="a scenario YAML file or built-in name")
    _add_overrides(parser)
    parser.set_defaults(handler=_validate)


def _validate(args: argparse.Namespace) -> int:
    from scenarios import load_scenario

    print(f"ok: {load_scenario(args.file, args.set).name}")
    return 0


# ---- schema ----------------------------------------------------------------------------


def _add_schema(commands: Commands) -> None:
    parser = commands.add_parser("schema", help="print the JSON Schema of scenario files",
                                 description="Print the JSON Schema of scenario files, for "
                                 "editors that validate and complete YAML.")
    parser.add_argument("--out", type=Path, metavar="FILE",
                        help="write the schema to FILE instead of printing it")
    parser.set_defaults(handler=_schema)


def _schema(args: argparse.Namespace) -> int:
    from scenarios import scenario_json_schema

    text = json.dumps(scenario_json_schema(), indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"schema written to {args.out}")
    return 0


# ---- experiment ------------------------------------------------------------------------


def _add_experiment(commands: Commands) -> None:
    parser = commands.add_parser(
        "experiment", help="run, resume and report experiments (many runs)",
        description="Experiments: designs of many runs over factors and replications, "
        "run in parallel, stored in one directory and reported.")
    group = parser.add_subparsers(title="experiment commands", metavar="COMMAND",
                                  required=True)
    listing = group.add_parser("list", help="list the built-in experiments")
    listing.set_defaults(handler=_experiment_list)
    check = group.add_parser("validate", help="check an experiment file and plan its runs")
    check.add_argument("experiment", metavar="FILE_OR_NAME")
    check.set_defaults(handler=_experiment_validate)
    run = group.add_parser("run", help="run every point x replication of an experiment",
                           description="Run an experiment and store every run under DIR.")
    run.add_argument("experiment", metavar="FILE_OR_NAME",
                     help="a built-in experiment (see `cgx experiment list`) or a YAML file")
    run.add_argument("--out", type=Path, metavar="DIR",
                     help="experiment directory (default: runs/<experiment name>)")
    _add_execution(run)
    run.set_defaults(handler=_experiment_run)
    resume = group.add_parser("resume", help="do the runs of an experiment not stored yet")
    resume.add_argument("folder", type=Path, metavar="DIR")
    resume.add_argument("--retry-failed", action="store_true",
                        help="run the failed runs again too")
    _add_execution(resume)
    resume.set_defaults(handler=_experiment_resume)
    status = group.add_parser("status", help="runs complete, failed and missing")
    status.add_argument("folder", type=Path, metavar="DIR")
    status.set_defaults(handler=_experiment_status)
    report = group.add_parser("report", help="write the HTML report of an experiment")
    report.add_argument("folder", type=Path, metavar="DIR")
    report.add_argument("--out", type=Path, metavar="FILE",
                        help="report file (default: DIR/report.html)")
    report.set_defaults(handler=_experiment_report)


def _add_execution(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=_positive, metavar="N",
                        help="worker processes (default: every core)")
    parser.add_argument("--backend", choices=("local", "dask", "serial"), default="local",
                        help="local processes (default), a Dask cluster, or one by one here")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="Dask scheduler address (with --backend dask; default: start "
                        "a local cluster)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _experiment_list(args: argparse.Namespace) -> int:
    from experiments.spec import builtin_experiments

    experiments = builtin_experiments()
    width = max((len(name) for name in experiments), default=0)
    for name, description in sorted(experiments.items()):
        print(f"{name.ljust(width)}  {description}")
    return 0


def _experiment_validate(args: argparse.Namespace) -> int:
    from experiments.design import plan_experiment
    from experiments.spec import load_experiment

    spec, text, base = load_experiment(args.experiment)
    plan = plan_experiment(spec, text, base)
    print(f"ok: {spec.name}: {len(plan.points)} points x {spec.replications} replications "
          f"= {plan.total} runs")
    return 0


def _experiment_run(args: argparse.Namespace) -> int:
    from experiments.runner import run_experiment
    from experiments.spec import load_experiment

    out = args.out or Path("runs") / load_experiment(args.experiment)[0].name
    result = run_experiment(args.experiment, out, workers=args.workers,
                            backend=args.backend, scheduler=args.scheduler,
                            progress=_progress(args))
    return _finish(result)


def _experiment_resume(args: argparse.Namespace) -> int:
    from experiments.runner import resume_experiment

    result = resume_experiment(args.folder, retry_failed=args.retry_failed,
                               workers=args.workers, backend=args.backend,
                               scheduler=args.scheduler, progress=_progress(args))
    return _finish(result)


def _experiment_status(args: argparse.Namespace) -> int:
    from experiments.runner import experiment_status

    result = experiment_status(args.folder)
    for line in result.corrupt:
        print(f"corrupt: {line}")
    print(f"{result.total} runs: {result.ok} complete, {result.failed} failed, "
          f"{result.missing} missing")
    return 0 if result.ok == result.total else 1


def _experiment_report(args: argparse.Namespace) -> int:
    from experiments.report import write_report

    print(f"report written to {write_report(args.folder, args.out)}")
    return 0


def _progress(args: argparse.Namespace) -> bool | None:
    return False if args.no_progress else None


def _finish(result: ExperimentResult) -> int:
    from experiments.catalog import open_store
    from experiments.report import summary_text

    with open_store(result.folder) as store:
        print(summary_text(store))
    print(f"\n{result.total} runs: {result.ok} complete, {result.failed} failed, "
          f"{result.missing} missing ({result.ran} run now in {result.seconds:.0f} s); "
          f"results in {result.folder}")
    if result.failed:
        print(f"see the failures with: cgx query {result.folder} \"SELECT run_key, "
              "error_type, error_message FROM runs WHERE status = 'failed'\"")
    return 0 if result.ok == result.total else 1


# ---- compare ---------------------------------------------------------------------------


def _add_compare(commands: Commands) -> None:
    parser = commands.add_parser(
        "compare", help="compare scenarios side by side on the same seeds",
        description="Run each scenario on the same seeds and write DIR/report.html: a table "
        "of headline results (mean and 95 %% interval over the seeds) and plots of transfers, "
        "water quality at the border, abatement cost and prices, plus DIR/kpis.csv.")
    parser.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                        help="built-in scenario names or YAML files (at least two)")
    parser.add_argument("--seeds", type=_positive, default=5, metavar="N",
                        help="seeds per scenario (default: 5)")
    parser.add_argument("--seed", type=_seed, default=1, metavar="BASE",
                        help="first seed; the runs use BASE .. BASE+N-1 (default: 1)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="output directory (default: runs/compare-<scenario names>)")
    parser.add_argument("--workers", type=_positive, default=1, metavar="N",
                        help="worker processes (default: 1, one run after another)")
    _add_overrides(parser)
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier report in DIR")
    parser.add_argument("--reference", metavar="NAME",
                        help="scenario name the differences are taken against "
                        "(default: the first)")
    parser.set_defaults(handler=_compare)


def _compare(args: argparse.Namespace) -> int:
    from experiments.compare import compare
    from experiments.spec import ExperimentError

    if len(args.scenarios) < 2:
        raise ExperimentError("compare: name at least two scenarios")
    stems = [Path(s).stem for s in args.scenarios]
    out = args.out or Path("runs") / ("compare-" + "-".join(stems))
    seeds = list(range(args.seed, args.seed + args.seeds))
    report = compare(args.scenarios, seeds, out, args.set, args.workers, args.overwrite,
                     args.reference)
    print(f"report written to {report}")
    return 0


# ---- query -----------------------------------------------------------------------------


def _add_query(commands: Commands) -> None:
    parser = commands.add_parser(
        "query", help="run SQL over an experiment's results",
        description="Run a SQL query (DuckDB) over an experiment's runs table and one view "
        "per result table across all complete runs, e.g. "
        "\"SELECT point_name, avg(cost_efficiency) FROM kpis GROUP BY ALL\".")
    parser.add_argument("folder", type=Path, metavar="DIR", help="experiment directory")
    parser.add_argument("sql", metavar="SQL")
    parser.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    parser.set_defaults(handler=_query)


def _query(args: argparse.Namespace) -> int:
    import duckdb

    from experiments.catalog import open_store
    from experiments.spec import ExperimentError

    with open_store(args.folder) as store:
        _warn_corrupt(store.corrupt)
        try:
            frame = store.query(args.sql)
        except duckdb.Error as error:
            raise ExperimentError(f"query: {error}") from None
    if args.csv:
        frame.to_csv(sys.stdout, index=False)
    else:
        print(frame.to_string(index=False, max_rows=None) if len(frame) else
              "(no rows) columns: " + ", ".join(map(str, frame.columns)))
    return 0


def _warn_corrupt(corrupt: dict[str, str]) -> None:
    """Name each corrupt run on stderr, one line each; they are left out of the results."""
    for key, reason in sorted(corrupt.items()):
        print(f"cgx: warning: run {key} is corrupt and left out ({reason}); recompute it "
              "with `cgx experiment resume --retry-failed`", file=sys.stderr)


# ---- workshop --------------------------------------------------------------------------


def _add_workshop(commands: Commands) -> None:
    parser = commands.add_parser("workshop", help="the browser game for teaching workshops",
                                 description="Serve the workshop game: people play firms "
                                 "next to simulated agents (see docs/workshop.md).")
    actions = parser.add_subparsers(title="workshop commands", metavar="COMMAND",
                                    required=True)
    serve = actions.add_parser("serve", help="start the workshop web server",
                               description="Start the workshop web server; games are kept "
                               "in an SQLite file and survive restarts.")
    serve.add_argument("--port", type=int, default=8765, help="TCP port (default: 8765)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this computer only; "
                       "0.0.0.0 lets phones in the room join)")
    serve.add_argument("--db", type=Path, default=Path("workshop.db"), metavar="FILE",
                       help="SQLite file of the games (default: workshop.db)")
    serve.set_defaults(handler=_workshop_serve)
    rotate = actions.add_parser("rotate-secret", help="replace the token-signing secret",
                                description="Replace the secret that signs workshop tokens "
                                "(DB.secret); every join and console link stops working.")
    rotate.add_argument("--db", type=Path, default=Path("workshop.db"), metavar="FILE",
                        help="SQLite file of the games (default: workshop.db)")
    rotate.set_defaults(handler=_workshop_rotate)


def _workshop_serve(args: argparse.Namespace) -> int:
    from workshop import serve

    return serve(args.host, args.port, args.db)


def _workshop_rotate(args: argparse.Namespace) -> int:
    from workshop.store import Store

    if not args.db.is_file():
        raise FileNotFoundError(2, "No such file", str(args.db))
    store = Store(args.db)
    try:
        store.rotate_secret()
    finally:
        store.close()
    print(f"new token secret in {store.secret_path}; restart the server")
    return 0


# ---- shared ----------------------------------------------------------------------------


_COMMANDS: tuple[Callable[[Commands], None], ...] = (
    _add_run, _add_scenarios, _add_validate, _add_schema, _add_experiment, _add_compare,
    _add_query, _add_workshop,
)


def _add_overrides(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                        help="override a scenario field, e.g. exchange.band=0.3 (repeatable)")


_MAX_SEED = 2**63 - 1  # the largest seed the results store's BIGINT columns hold


def _positive(text: str) -> int:
    if not _ascii_digits(text) or not 1 <= int(text) <= 100_000:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 100000, "
                                         f"not {text!r}")
    return int(text)


def _seed(text: str) -> int:
    if not _ascii_digits(text) or int(text) > _MAX_SEED:
        raise argparse.ArgumentTypeError(f"the seed must be a whole number from 0 to "
                                         f"2**63 - 1, not {text[:40]!r}")
    return int(text)


def _ascii_digits(text: str) -> bool:
    """Only 0-9: ``str.isdigit`` also takes Arabic-Indic and other digits, and ``int``
    reads them."""
    return text.isascii() and text.isdigit() and len(text) <= 30


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Errors caused by the user's input, reported in one line rather than a traceback."""
    import yaml

    from experiments.spec import ExperimentError
    from scenarios import ScenarioError

    return (ScenarioError, ExperimentError, OutputExists, FileNotFoundError, IsADirectoryError,
            NotADirectoryError, PermissionError, yaml.YAMLError)


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f"{error.filename}: {error.strerror}"
    return " ".join(line.strip() for line in str(error).splitlines() if line.strip())


if __name__ == "__main__":
    sys.exit(main())
