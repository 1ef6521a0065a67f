"""From an experiment spec to its runs: design points, resolved scenarios and seeds.

A plan is the list of design points, each with its factor values and its fully resolved
scenario (canonical JSON), times the replications. Runs are keyed ``p<point>-r<replication>``
(zero-padded), so a run's key, scenario and seed do not depend on the order runs execute in.
Latin hypercube and Sobol samples are drawn from the root seed too.

Seeds. Replication ``r`` of every point runs with the seed::

    np.random.SeedSequence(root_seed, spawn_key=(r,)).generate_state(1)[0]

so the seed depends on the root seed and the replication only: the same on every machine,
worker count and order, and shared across design points (common random numbers), which
makes differences between points paired comparisons.

    >>> replication_seed(1, 0) == replication_seed(1, 0) != replication_seed(1, 1)
    True
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from experiments.spec import (ExperimentError, ExperimentSpec, Factorial, LatinHypercube,
                              ScenarioEntry, ScenarioList, Sobol)

__all__ = ["Plan", "Point", "RunTask", "design_matrix", "plan_experiment",
           "replication_seed", "sobol_problem"]

PLAN_FORMAT = 1


@dataclass(frozen=True)
class Point:
    """One design point: its factor values and the scenario they resolve to."""

    index: int
    name: str
    factors: dict[str, Any]
    scenario: str
    scenario_hash: str
    scenario_json: str


@dataclass(frozen=True)
class RunTask:
    """What a worker needs to do one run and store it; small enough to send anywhere."""

    run_key: str
    point: int
    replication: int
    seed: int
    scenario_json: str
    tables: tuple[str, ...]
    folder: str


@dataclass(frozen=True)
class Plan:
    """Every run of an experiment: points times replications, with their seeds."""

    spec: ExperimentSpec
    definition: str
    points: tuple[Point, ...]
    code_version: str

    @property
    def replications(self) -> int:
        return self.spec.replications

    @property
    def total(self) -> int:
        return len(self.points) * self.replications

    def run_key(self, point: int, replication: int) -> str:
        """``p<point>-r<replication>``, zero-padded to the plan's sizes."""
        width_p = max(4, len(str(len(self.points) - 1)))
        width_r = max(3, len(str(self.replications - 1)))
        return f"p{point:0{width_p}d}-r{replication:0{width_r}d}"

    def seed(self, replication: int) -> int:
        return replication_seed(self.spec.seed, replication)

    def tasks(self, folder: Path | str, skip: frozenset[str] = frozenset()
              ) -> Iterator[RunTask]:
        """The runs not in ``skip``, replication-major so early results cover every point."""
        tables = self.spec.keep.stored_tables()
        for replication in range(self.replications):
            for point in self.points:
                key = self.run_key(point.index, replication)
                if key not in skip:
                    yield RunTask(key, point.index, replication, self.seed(replication),
                                  point.scenario_json, tables, str(folder))

    def keys(self) -> dict[str, tuple[int, int]]:
        """Every run key with its point and replication."""
        return {self.run_key(p.index, r): (p.index, r)
                for r in range(self.replications) for p in self.points}

    def to_json(self) -> str:
        return json.dumps({
            "format": PLAN_FORMAT, "code_version": self.code_version,
            "definition": self.definition, "spec": self.spec.model_dump(mode="json"),
            "points": [vars(p) for p in self.points],
        }, indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data = json.loads(text)
        if data.get("format") != PLAN_FORMAT:
            raise ExperimentError(f"plan format {data.get('format')} is not {PLAN_FORMAT}")
        return cls(ExperimentSpec.model_validate(data["spec"]), data["definition"],
                   tuple(Point(**p) for p in data["points"]), data["code_version"])


def replication_seed(root: int, replication: int) -> int:
    """The seed of replication ``replication`` at every design point (a uint32)."""
    state = np.random.SeedSequence(root, spawn_key=(replication,)).generate_state(1)
    return int(state[0])


def plan_experiment(spec: ExperimentSpec, definition: str = "",
                    base_dir: Path | str = ".") -> Plan:
    """Expand the design and resolve every point's scenario, before anything runs.

    Args:
        spec: the experiment.
        definition: the experiment file's text, kept with the results.
        base_dir: folder that relative scenario paths are resolved against.

    Raises:
        ExperimentError: a point's scenario cannot be loaded or refuses a factor value;
            the message names the point and the scenario's field.
    """
    from scenarios import ScenarioError, code_version, load_scenario, scenario_hash
    from scenarios.collect import canonical_json

    points = []
    for index, (name, ref, overrides, values) in enumerate(_expand(spec)):
        try:
            scenario = load_scenario(_scenario_ref(ref, Path(base_dir)), overrides)
        except ScenarioError as e:
            raise ExperimentError(f"point {index} ({name}): {e}") from None
        points.append(Point(index, name, values, scenario.name, scenario_hash(scenario),
                            canonical_json(scenario)))
    return Plan(spec, definition, tuple(points), code_version())


def design_matrix(spec: ExperimentSpec) -> np.ndarray:
    """The sampled factor values, one row per point, for the sampling designs.

    Raises:
        ExperimentError: the design is not a Latin hypercube or Sobol design.
    """
    match spec.design:
        case LatinHypercube(samples=samples):
            rng = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(2**31,)))
            unit = np.column_stack([(rng.permutation(samples) + rng.random(samples)) / samples
                                    for _ in spec.factors])
            low, high = np.array([f.range for f in spec.factors], dtype=float).T
            matrix: np.ndarray = low + unit * (high - low)
            return matrix
        case Sobol(n=n, second_order=second_order):
            from SALib.sample import sobol

            sample: np.ndarray = np.asarray(sobol.sample(
                sobol_problem(spec), n, calc_second_order=second_order,
                seed=spec.seed % 2**32), dtype=float)
            return sample
    raise ExperimentError(f"a {spec.design.kind} design has no sampled matrix")


def sobol_problem(spec: ExperimentSpec) -> dict[str, Any]:
    """The SALib problem of a sampling design: factor names and ranges."""
    return {"num_vars": len(spec.factors), "names": [f.name for f in spec.factors],
            "bounds": [list(f.range or ()) for f in spec.factors]}


Expanded = tuple[str, str, list[str], dict[str, Any]]


def _expand(spec: ExperimentSpec) -> Iterator[Expanded]:
    """Each point as (name, scenario reference, override strings, factor values)."""
    common = _overrides(spec.set)
    match spec.design:
        case ScenarioList(scenarios=entries):
            for entry in entries:
                yield _entry(spec, entry, common)
        case Factorial():
            levels = [f.levels or [] for f in spec.factors]
            for combination in itertools.product(*levels):
                values = dict(zip([f.name for f in spec.factors], combination))
                yield (_label(values), str(spec.scenario),
                       common + _factor_overrides(spec, combination), values)
        case LatinHypercube() | Sobol():
            matrix = design_matrix(spec)
            width = max(4, len(str(len(matrix) - 1)))
            for index, row in enumerate(matrix):
                sampled = [round(float(x)) if f.integer else float(x)
                           for f, x in zip(spec.factors, row)]
                values = dict(zip([f.name for f in spec.factors], sampled))
                yield (f"p{index:0{width}d}", str(spec.scenario),
                       common + _factor_overrides(spec, sampled), values)


def _entry(spec: ExperimentSpec, entry: ScenarioEntry, common: list[str]) -> Expanded:
    return (entry.name, str(entry.scenario or spec.scenario),
            common + _overrides(entry.set), {})


def _factor_overrides(spec: ExperimentSpec, values: Sequence[Any]) -> list[str]:
    return _overrides({f.path: v for f, v in zip(spec.factors, values)})


def _overrides(values: dict[str, Any]) -> list[str]:
    """``path=value`` strings for ``load_scenario``: JSON values are YAML flow values."""
    return [f"{path}={json.dumps(value)}" for path, value in values.items()]


def _label(values: dict[str, Any]) -> str:
    return " ".join(f"{name}={_short(value)}" for name, value in values.items())


def _short(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _scenario_ref(ref: str, base_dir: Path) -> str:
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") and not path.is_absolute():
        return str(base_dir / path)
    return ref
