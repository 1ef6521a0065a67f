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


# ---- shared ----------------------------------------------------------------------------


_COMMANDS: tuple[Callable[[Commands], None], ...] = (
    _add_run, _add_scenarios, _add_validate, _add_schema,
)


def _add_overrides(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                        help="override a scenario field, e.g. exchange.band=0.3 (repeatable)")


def _seed(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"the seed must be a whole number >= 0, not {text!r}")
    return int(text)


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Errors caused by the user's input, reported in one line rather than a traceback."""
    import yaml

    from scenarios import ScenarioError

    return (ScenarioError, OutputExists, FileNotFoundError, IsADirectoryError,
            NotADirectoryError, PermissionError, yaml.YAMLError)


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f"{error.filename}: {error.strerror}"
    return " ".join(line.strip() for line in str(error).splitlines() if line.strip())


if __name__ == "__main__":
    sys.exit(main())
