"""Mutation testing for the exchange and the agents, with no dependency beyond pytest.

Each target module is parsed with :mod:`ast`; a fixed set of operators makes one small change
per mutant (see ``OPERATORS`` and docs/testing.md). Every mutant is written into a private
copy of the repository, the module's mapped test files run with ``pytest -x``, and the
original is written back. A mutant the tests notice is *killed*; one that runs past its time
limit is killed by *timeout*; one the tests accept has *survived*. Mutants listed in
``tools/equivalent_mutants.txt`` cannot change behaviour and are left out of the kill rate.

Usage::

    python tools/mutation.py [--modules exchange/book.py ...] [--workers N] [--limit N]
                             [--out FILE]

Slow by design (minutes per module): not part of the test suite or CI.
"""

from __future__ import annotations

import argparse
import ast
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT_FILE = ROOT / "tools" / "equivalent_mutants.txt"

_EXCHANGE_TESTS = ["tests/exchange/test_book.py", "tests/exchange/test_book_priority.py",
                   "tests/exchange/test_auction.py", "tests/exchange/test_market.py",
                   "tests/exchange/test_market_rules.py", "tests/exchange/test_designs.py",
                   "tests/exchange/test_registry.py", "tests/exchange/test_registry_moves.py"]

# Module -> test files that exercise it, fastest and most targeted first (``-x`` stops at the
# first failure, so a targeted file kills most mutants before the slow property tests run).
# Files that do not exist (yet) are skipped.
TEST_MAP: dict[str, list[str]] = {
    "exchange/__init__.py": ["exchange/__init__.py", "tests/exchange/test_book.py"],
    "exchange/book.py": ["tests/exchange/test_book_priority.py", "tests/exchange/test_book.py",
                         "tests/exchange/test_auction.py", "tests/exchange/test_market.py"],
    "exchange/calendar.py": ["tests/exchange/test_calendar.py",
                             "tests/exchange/test_venue_cycle.py", "tests/agents/test_forest.py",
                             "tests/scenarios/test_world.py"],
    "exchange/designs.py": ["tests/exchange/test_instruments.py", "tests/exchange/test_designs.py",
                            "tests/exchange/test_market_rules.py",
                            "tests/exchange/test_market.py"],
    "exchange/instruments.py": ["tests/exchange/test_instruments.py",
                                "tests/exchange/test_designs.py",
                                "tests/exchange/test_market.py"],
    "exchange/market.py": ["tests/exchange/test_market_rules.py",
                           "tests/exchange/test_market.py", "tests/exchange/test_designs.py",
                           "tests/exchange/test_auction.py"],
    "exchange/orders.py": ["tests/exchange/test_orders.py", *_EXCHANGE_TESTS],
    "exchange/registry.py": ["tests/exchange/test_registry_moves.py",
                             "tests/exchange/test_registry.py", "tests/exchange/test_market.py",
                             "tests/exchange/test_designs.py"],
    "exchange/venue.py": ["tests/exchange/test_venue_cycle.py", "tests/agents/test_forest.py",
                          "tests/scenarios/test_world.py"],
    "agents/cycle.py": ["tests/agents/test_cycle.py", "tests/scenarios/test_world.py"],
    "agents/credit.py": ["tests/agents/test_credit.py", "tests/agents/test_committee.py",
                         "tests/agents/test_platform.py"],
    "agents/regulator.py": ["tests/agents/test_regulator.py",
                            "tests/agents/test_compensation.py", "tests/scenarios/test_world.py"],
}

# Subtrees that hold no behaviour worth mutating: annotations, messages and log text.
_ANNOTATION_FIELDS = {"annotation", "returns"}
_LOGGER_NAMES = {"log", "logger", "logging", "warnings"}

_CMP_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
# ``/`` has two mutants: ``*`` and ``//``.
_ARITH_SWAPS: dict[type[ast.operator], list[type[ast.operator]]] = {
    ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div], ast.Div: [ast.Mult, ast.FloorDiv],
    ast.FloorDiv: [ast.Div], ast.Mod: [ast.FloorDiv],
}
_AUG_SWAPS: dict[type[ast.operator], type[ast.operator]] = {ast.Add: ast.Sub, ast.Sub: ast.Add}
_BOOL_SWAPS: dict[type[ast.boolop], type[ast.boolop]] = {ast.And: ast.Or, ast.Or: ast.And}
_SYMBOLS: dict[type, str] = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not", ast.Add: "+",
    ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
    ast.And: "and", ast.Or: "or",
}
OPERATORS = ("cmp", "arith", "augassign", "bool", "not", "int", "bool-const", "return-none",
             "call-stmt")


@dataclass(frozen=True, slots=True)
class Site:
    """One possible mutation, found by walking a freshly parsed tree.

    Attributes:
        line: source line of the mutated node.
        operator: ``family:from->to``, the key used by the equivalent-mutants list.
        description: what the mutant changes, for the report.
        apply: mutates the tree the site was found in, in place.
    """

    line: int
    operator: str
    description: str
    apply: Callable[[], None]


@dataclass(frozen=True, slots=True)
class Mutant:
    """A mutant of one module: the ``index``-th site of its tree, and the mutated source."""

    module: str
    index: int
    line: int
    operator: str
    description: str
    source: str

    @property
    def key(self) -> str:
        return f"{self.module}:{self.line}:{self.operator}"


Status = Literal["killed", "survived", "timeout", "equivalent"]


@dataclass(slots=True)
class Outcome:
    """What became of one mutant; ``seconds`` is its test run (0 if it was not run)."""

    mutant: Mutant
    status: Status
    seconds: float = 0.0


@dataclass(slots=True)
class ModuleReport:
    """The outcomes of one module's mutants, or why the module could not be mutated."""

    module: str
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def kill_rate(self) -> float | None:
        """Killed (including timeouts) over non-equivalent mutants; None with none."""
        scored = len(self.outcomes) - self.count("equivalent")
        if not scored:
            return None
        return (self.count("killed") + self.count("timeout")) / scored


# ---- finding mutants ---------------------------------------------------------------------


class _SiteFinder(ast.NodeVisitor):
    """Collects mutation sites in tree order, skipping subtrees with no behaviour."""

    def __init__(self, tree: ast.Module) -> None:
        self.sites: list[Site] = []
        self._returns_value: list[bool] = []
        self._parents = _parent_slots(tree)

    def generic_visit(self, node: ast.AST) -> None:
        for name, value in ast.iter_fields(node):
            if name in _ANNOTATION_FIELDS:
                continue
            children = value if isinstance(value, list) else [value]
            for child in children:
                if isinstance(child, ast.AST):
                    self.visit(child)

    # -- skipped subtrees --

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        """f-strings are messages and log text."""

    def visit_Raise(self, node: ast.Raise) -> None:
        """The exception raised is behaviour, its message is not: nothing to mutate here."""

    def visit_Assign(self, node: ast.Assign) -> None:
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return  # a docstring
        if isinstance(node.value, ast.Call):
            if _is_logging_call(node.value):
                return
            self._add(node, "call-stmt:call->pass", "replace the call statement with pass",
                      self._swap(node, ast.Pass()))
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._returns_value.append(_returns_a_value(node))
        # Decorators are left alone; default values are behaviour.
        for child in [*node.args.defaults, *node.args.kw_defaults, *node.body]:
            if child is not None:
                self.visit(child)
        self._returns_value.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        # Class decorators (``dataclass(frozen=True)``) and bases configure, not compute.
        for child in node.body:
            self.visit(child)

    # -- mutated nodes --

    def visit_Compare(self, node: ast.Compare) -> None:
        for i, op in enumerate(node.ops):
            new = _CMP_SWAPS[type(op)]
            # Keys hold no spaces (``not-in``): the allow-list splits a line at its first.
            key = f"{_SYMBOLS[type(op)]}->{_SYMBOLS[new]}".replace(" ", "-")
            self._add(node, f"cmp:{key}",
                      f"{_SYMBOLS[type(op)]} -> {_SYMBOLS[new]}", _list_setter(node.ops, i, new()))
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        for new in _ARITH_SWAPS.get(type(node.op), []):
            name = f"{_SYMBOLS[type(node.op)]}->{_SYMBOLS[new]}"
            self._add(node, f"arith:{name}", name.replace("->", " -> "),
                      _replacer(node, "op", new()))
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        new = _AUG_SWAPS.get(type(node.op))
        if new is not None:
            name = f"{_SYMBOLS[type(node.op)]}=->{_SYMBOLS[new]}="
            self._add(node, f"augassign:{name}", name.replace("->", " -> "),
                      _replacer(node, "op", new()))
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        new = _BOOL_SWAPS[type(node.op)]
        name = f"{_SYMBOLS[type(node.op)]}->{_SYMBOLS[new]}"
        self._add(node, f"bool:{name}", name.replace("->", " -> "), _replacer(node, "op", new()))
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            self._add(node, "not:remove", "remove `not`", self._swap(node, node.operand))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool):
            self._add(node, f"bool-const:{value}->{not value}", f"{value} -> {not value}",
                      _replacer(node, "value", not value))
        elif isinstance(value, int):
            new = 0 if value == 1 else value + 1
            self._add(node, f"int:{value}->{new}", f"{value} -> {new}",
                      _replacer(node, "value", new))

    def visit_Return(self, node: ast.Return) -> None:
        value = node.value
        returns_none = value is None or (isinstance(value, ast.Constant) and value.value is None)
        if not returns_none and self._returns_value and self._returns_value[-1]:
            self._add(node, "return-none:X->None", "return None instead",
                      _replacer(node, "value", ast.Constant(value=None)))
        self.generic_visit(node)

    # -- helpers --

    def _swap(self, node: ast.AST, new: ast.AST) -> Callable[[], None]:
        """Replace ``node`` by ``new`` in its parent (a node cannot turn into another)."""
        parent, name, index = self._parents[id(node)]

        def apply() -> None:
            if index is None:
                setattr(parent, name, new)
            else:
                getattr(parent, name)[index] = new
        return apply

    def _add(self, node: ast.AST, operator: str, description: str,
             apply: Callable[[], None]) -> None:
        self.sites.append(Site(getattr(node, "lineno", 0), operator, description, apply))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _is_logging_call(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            and func.value.id in _LOGGER_NAMES)


def _returns_a_value(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """True if some ``return`` of this function (not of a nested one) carries a value."""
    stack: list[ast.AST] = list(func.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Return) and node.value is not None:
            return True
        stack.extend(ast.iter_child_nodes(node))
    return False


def _replacer(node: ast.AST, name: str, value: object) -> Callable[[], None]:
    return lambda: setattr(node, name, value)


def _list_setter(items: list[ast.cmpop], i: int, value: ast.cmpop) -> Callable[[], None]:
    return lambda: items.__setitem__(i, value)


def _parent_slots(tree: ast.Module) -> dict[int, tuple[ast.AST, str, int | None]]:
    """``id(child) -> (parent, field, index in the field's list or None)`` for every node."""
    slots: dict[int, tuple[ast.AST, str, int | None]] = {}
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if isinstance(value, list):
                for i, child in enumerate(value):
                    slots[id(child)] = (parent, name, i)
            elif isinstance(value, ast.AST):
                slots[id(value)] = (parent, name, None)
    return slots


def find_sites(tree: ast.Module) -> list[Site]:
    """Every mutation site of a parsed module, in a stable order."""
    finder = _SiteFinder(tree)
    finder.visit(tree)
    return finder.sites


def mutants_of(module: str, root: Path = ROOT) -> list[Mutant]:
    """Every mutant of ``module`` (a path relative to ``root``)."""
    text = (root / module).read_text(encoding="utf-8")
    count = len(find_sites(ast.parse(text)))
    return [_mutant(module, text, i) for i in range(count)]


def _mutant(module: str, text: str, index: int) -> Mutant:
    tree = ast.parse(text)  # a fresh tree per mutant: sites mutate in place
    site = find_sites(tree)[index]
    site.apply()
    source = ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    return Mutant(module, index, site.line, site.operator, site.description, source)


def sample(mutants: list[Mutant], limit: int | None) -> list[Mutant]:
    """At most ``limit`` mutants, evenly spread over the module (no randomness)."""
    if limit is None or len(mutants) <= limit:
        return mutants
    step = len(mutants) / limit
    return [mutants[int(i * step)] for i in range(limit)]


# ---- the allow-list of equivalent mutants -------------------------------------------------


def read_equivalents(path: Path) -> dict[str, str]:
    """``module:line:operator -> reason`` from the allow-list; ``#`` starts a comment line.

    Raises:
        ValueError: an entry without a reason.
    """
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, reason = line.partition(" ")
        if not reason.strip():
            raise ValueError(f"{path}:{number}: equivalent mutant {key} needs a reason")
        out[key] = reason.strip()
    return out


# ---- running mutants ---------------------------------------------------------------------


def copy_repository(root: Path, into: Path) -> Path:
    """A private copy of the sources and tests, without git data or caches."""
    ignore = shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", ".hypothesis",
                                    ".pytest_cache", ".venv", "runs", "results", "build",
                                    "mutation-report*.txt")
    shutil.copytree(root, into, ignore=ignore)
    return into


def _pytest_env(copy: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The copy must shadow the editable install of the real checkout; and no bytecode is
    # written, because two mutants of equal size written within one second would otherwise
    # reuse a stale .pyc.
    env["PYTHONPATH"] = os.pathsep.join([str(copy), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_tests(copy: Path, tests: list[str], timeout: float | None) -> tuple[str, float]:
    """Run ``tests`` in ``copy``; return ``(passed|failed|timeout, seconds)``.

    The run gets its own process group so a timeout kills pytest and anything it started.
    """
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
               "--hypothesis-seed=0", *tests]
    start = time.monotonic()
    proc = subprocess.Popen(command, cwd=copy, env=_pytest_env(copy), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return "timeout", time.monotonic() - start
    finally:
        # Examples saved by one mutant's failures must not steer the next mutant's run.
        shutil.rmtree(copy / ".hypothesis", ignore_errors=True)
    return ("passed" if code == 0 else "failed"), time.monotonic() - start


def check_copy_imports_itself(copy: Path) -> None:
    """Fail early if the copy's tests would import the real checkout instead of the copy.

    Raises:
        RuntimeError: ``exchange`` resolves outside the copy.
    """
    out = subprocess.run([sys.executable, "-c", "import exchange; print(exchange.__file__)"],
                         cwd=copy, env=_pytest_env(copy), capture_output=True, text=True,
                         check=True).stdout.strip()
    if not Path(out).resolve().is_relative_to(copy.resolve()):
        raise RuntimeError(f"the copy imports exchange from {out}, not from {copy}")


def tests_for(module: str, root: Path = ROOT) -> list[str]:
    """The mapped test files of ``module`` that exist.

    Raises:
        ValueError: the module has no mapping or none of its test files exist.
    """
    if module not in TEST_MAP:
        raise ValueError(f"{module} has no entry in TEST_MAP")
    tests = [t for t in TEST_MAP[module] if (root / t).exists()]
    if not tests:
        raise ValueError(f"none of the test files mapped to {module} exist")
    return tests


class WorkerPool:
    """``workers`` copies of the repository, each used by one mutant at a time."""

    def __init__(self, root: Path, workers: int) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="mutation-")
        self._free: queue.Queue[Path] = queue.Queue()
        self.workers = workers
        copies = [copy_repository(root, Path(self._tmp.name) / f"worker-{i}")
                  for i in range(workers)]
        # The copies are what the tests run in: test files written after they were made
        # do not exist there, so test selection looks at a copy, not at the checkout.
        self.root = copies[0]
        for copy in copies:
            check_copy_imports_itself(copy)
            self._free.put(copy)

    def close(self) -> None:
        self._tmp.cleanup()

    def baseline(self, module: str, tests: list[str]) -> tuple[str, float]:
        """Run the unmutated test subset once."""
        copy = self._free.get()
        try:
            return run_tests(copy, tests, timeout=None)
        finally:
            self._free.put(copy)

    def run(self, mutant: Mutant, tests: list[str], timeout: float) -> Outcome:
        """Write the mutant into a free copy, run its tests, write the original back."""
        copy = self._free.get()
        target = copy / mutant.module
        original = target.read_bytes()
        try:
            target.write_text(mutant.source, encoding="utf-8")
            result, seconds = run_tests(copy, tests, timeout)
        finally:
            target.write_bytes(original)
            self._free.put(copy)
        statuses: dict[str, Status] = {"passed": "survived", "failed": "killed",
                                       "timeout": "timeout"}
        return Outcome(mutant, statuses[result], seconds)


def timeout_for(baseline_seconds: float) -> float:
    """Three times the unmutated run, and never under ten seconds (start-up noise)."""
    return max(10.0, 3.0 * baseline_seconds)


def mutate_module(pool: WorkerPool, module: str, limit: int | None,
                  equivalents: dict[str, str]) -> ModuleReport:
    """Run every (or a sample of) mutant of one module; never raises for a test failure."""
    report = ModuleReport(module)
    try:
        tests = tests_for(module, pool.root)
    except ValueError as e:
        report.error = str(e)
        return report
    result, seconds = pool.baseline(module, tests)
    if result != "passed":
        report.error = f"the unmutated tests {tests} did not pass ({result})"
        return report
    mutants = sample(mutants_of(module, pool.root), limit)
    todo = [m for m in mutants if m.key not in equivalents]
    report.outcomes = [Outcome(m, "equivalent") for m in mutants if m.key in equivalents]
    print(f"{module}: {len(mutants)} mutants, tests {seconds:.1f} s unmutated", flush=True)
    timeout = timeout_for(seconds)
    with ThreadPoolExecutor(max_workers=pool.workers) as executor:
        for done, outcome in enumerate(
                executor.map(lambda m: pool.run(m, tests, timeout), todo), 1):
            report.outcomes.append(outcome)
            if outcome.status == "survived":
                print(f"  survived {outcome.mutant.key} #{outcome.mutant.index}: "
                      f"{outcome.mutant.description}", flush=True)
            if done % 25 == 0:
                print(f"  {done}/{len(todo)}", flush=True)
    report.outcomes.sort(key=lambda o: o.mutant.index)
    return report


# ---- reporting ---------------------------------------------------------------------------


def format_report(reports: list[ModuleReport], seconds: float,
                  equivalents: dict[str, str]) -> str:
    """Per-module counts, the survivors and the equivalent mutants, as plain text."""
    header = (f"{'module':<26}{'total':>7}{'killed':>8}{'survived':>10}{'timeout':>9}"
              f"{'equiv':>7}{'kill rate':>11}")
    lines = [f"mutation run: {seconds:.0f} s", "", header]
    for r in reports:
        rate = r.kill_rate
        lines.append(f"{r.module:<26}{len(r.outcomes):>7}{r.count('killed'):>8}"
                     f"{r.count('survived'):>10}{r.count('timeout'):>9}"
                     f"{r.count('equivalent'):>7}"
                     f"{'-' if rate is None else f'{rate:.1%}':>11}"
                     + (f"  ERROR: {r.error}" if r.error else ""))
    for r in reports:
        survivors = [o.mutant for o in r.outcomes if o.status == "survived"]
        if survivors:
            lines += ["", f"survivors in {r.module}:"]
            lines += [f"  line {m.line:>4}  {m.operator:<28} {m.description}  (#{m.index})"
                      for m in survivors]
    listed = sorted({o.mutant.key for r in reports for o in r.outcomes
                     if o.status == "equivalent"})
    if listed:
        lines += ["", "equivalent (not scored):"]
        lines += [f"  {key}  {equivalents[key]}" for key in listed]
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it over: never half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent,
                                     prefix=f".{path.name}.", delete=False) as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)


def stale_equivalents(modules: list[str], equivalents: dict[str, str]) -> list[str]:
    """Allow-list keys of the given modules that name no mutant: a line moved or a typo."""
    known = {m.key for module in modules for m in mutants_of(module)}
    return sorted(k for k in equivalents if k.split(":")[0] in modules and k not in known)


# ---- command line ------------------------------------------------------------------------


def normalise_module(name: str) -> str:
    """``exchange.book``, ``exchange/book.py`` or ``exchange/book`` -> ``exchange/book.py``."""
    if name.endswith(".py"):
        return name
    return name.replace(".", "/") + ".py"


def default_modules() -> list[str]:
    return list(TEST_MAP)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", nargs="+", default=None,
                        help="modules to mutate (default: every module in TEST_MAP)")
    parser.add_argument("--workers", type=int, default=1, help="parallel test runs")
    parser.add_argument("--limit", type=int, default=None,
                        help="at most this many mutants per module, evenly spread")
    parser.add_argument("--out", type=Path, default=Path("mutation-report.txt"))
    parser.add_argument("--list", action="store_true",
                        help="print the mutants without running any tests")
    return parser.parse_args(argv)


def list_mutants(modules: list[str], limit: int | None) -> None:
    for module in modules:
        for m in sample(mutants_of(module), limit):
            print(f"{m.key}  #{m.index}  {m.description}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    modules = [normalise_module(m) for m in args.modules] if args.modules else default_modules()
    if args.list:
        list_mutants(modules, args.limit)
        return 0
    equivalents = read_equivalents(EQUIVALENT_FILE)
    start = time.monotonic()
    pool = WorkerPool(ROOT, max(1, args.workers))
    try:
        reports = [mutate_module(pool, m, args.limit, equivalents) for m in modules]
    finally:
        pool.close()
    text = format_report(reports, time.monotonic() - start, equivalents)
    stale = stale_equivalents(modules, equivalents)
    if stale:
        text += "\nlisted as equivalent but matching no mutant (stale?):\n"
        text += "".join(f"  {key}\n" for key in stale)
    write_atomically(args.out, text)
    print(text, end="")
    return 1 if any(r.error for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
