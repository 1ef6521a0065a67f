"""Experiment files: the schema, the built-in library and loading.

An experiment file is YAML naming a base scenario, the factors to vary (dotted paths into
the scenario), a design, the number of replications, the root seed and what to keep::

    name: price_sweep
    scenario: tiny
    set: {calendar.years: 1}              # applied to every design point
    factors:
      - {name: cap, path: regions.changshou.regulator.cap_share.COD, levels: [0.8, 0.9]}
    design: {kind: factorial}
    replications: 5
    seed: 7
    keep: {tables: [kpis, market_daily], kpis: [mean_price_yuan, cost_efficiency]}

The schema is data only, strict like the scenario schema: unknown keys and bad values are
errors naming the field. ``experiments.design`` turns a spec into runs.
"""

from __future__ import annotations

import math
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, ConfigDict, Field, NonNegativeInt, ValidationError,
                      field_validator, model_validator)

from scenarios.files import describe, find_file, parse_mapping, read_text
from scenarios.results import COLUMNS
from scenarios.schema.base import Strict as ScenarioStrict

__all__ = [
    "DEFAULT_KPIS", "DEFAULT_TABLES", "ExperimentError", "ExperimentSpec", "Factor",
    "Factorial", "Keep", "LatinHypercube", "ScenarioEntry", "ScenarioList", "Sobol",
    "builtin_experiments", "load_experiment", "metric_names", "parse_experiment",
]

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
DottedPath = Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")]

DEFAULT_TABLES = ("kpis", "market_daily", "market_years")
DEFAULT_KPIS = ("abatement_cost_yuan", "cost_efficiency", "mean_price_yuan",
                "price_volatility", "cross_border_volume_t", "compliance_rate")

# Columns of the run catalogue; factor names may not take them.
RESERVED = frozenset({
    "run_key", "point", "point_name", "replication", "seed", "status", "error_type",
    "error_message", "traceback", "seconds", "store_seconds", "started_utc", "finished_utc",
    "worker", "run_id", "scenario", "scenario_hash", "code_version", "scenario_json",
})
_NOT_METRICS = frozenset({"run_id", "scenario", "seed", "design"})
_MARKET_PRICE = re.compile(r"^price_[a-z0-9]+_[a-z0-9]+_yuan$")


def metric_names() -> tuple[str, ...]:
    """The numeric KPI columns an experiment may summarise."""
    return tuple(c for c in COLUMNS["kpis"] if c not in _NOT_METRICS)


MAX_POINTS = 20_000
MAX_RUNS = 1_000_000


class ExperimentError(ValueError):
    """An experiment could not be read, planned, run or stored; the message says why."""


class Strict(ScenarioStrict):
    """Strict experiment data: as strict as scenario data (see ``scenarios.schema.base``)."""


class Factor(Strict):
    """One input varied by the design: a dotted path into the scenario.

    A factorial design takes ``levels`` (any YAML values); Latin hypercube and Sobol
    designs take a ``range`` ``[low, high]`` sampled uniformly, rounded when ``integer``.
    """

    name: Identifier
    path: DottedPath
    levels: Annotated[list[Any], Field(min_length=1)] | None = None
    range: tuple[float, float] | None = None
    integer: bool = False

    @model_validator(mode="after")
    def _levels_or_range(self) -> Factor:
        if (self.levels is None) == (self.range is None):
            raise ValueError("give either levels or range")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError("range: low must be below high")
        if self.name in RESERVED:
            raise ValueError(f"name: {self.name!r} is a column of the run catalogue")
        return self


class Factorial(Strict):
    """Every combination of the factors' levels; the last factor varies fastest."""

    kind: Literal["factorial"]


class LatinHypercube(Strict):
    """``samples`` points, one in each of ``samples`` equal slices of every factor's range."""

    kind: Literal["lhs"]
    samples: Annotated[int, Field(ge=2, le=100_000)]


class Sobol(Strict):
    """Saltelli's sampling for Sobol indices: ``n * (factors + 2)`` points
    (``n * (2 * factors + 2)`` with second-order indices); ``n`` is a power of two."""

    kind: Literal["sobol"]
    n: Annotated[int, Field(ge=2, le=65_536)]
    second_order: bool = False

    @field_validator("n")
    @classmethod
    def _power_of_two(cls, n: int) -> int:
        if n & (n - 1):
            raise ValueError(f"n must be a power of two (such as {1 << n.bit_length()})")
        return n


class ScenarioEntry(Strict):
    """One named scenario of a comparison: a scenario (or the experiment's base) with
    overrides on top of the experiment's ``set``."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]+$", max_length=60)]
    scenario: str | None = None
    set: dict[DottedPath, Any] = {}


class ScenarioList(Strict):
    """An explicit list of named scenarios to compare, all on the same seeds."""

    kind: Literal["scenarios"]
    scenarios: Annotated[list[ScenarioEntry], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_names(self) -> ScenarioList:
        names = [entry.name for entry in self.scenarios]
        if len(set(names)) != len(names):
            raise ValueError("scenarios: names must be unique")
        return self


class Keep(Strict):
    """What each run stores and what the analysis summarises.

    ``tables`` are result tables of ``scenarios.results.COLUMNS``; ``kpis`` and ``run``
    are always stored. ``kpis`` are metrics: numeric columns of the kpis table, or
    ``price_<pollutant>_<zone>_yuan`` (mean over the years of a market's mean price, from
    market_years).
    """

    tables: list[str] = list(DEFAULT_TABLES)
    kpis: Annotated[list[str], Field(min_length=1)] = list(DEFAULT_KPIS)

    @model_validator(mode="after")
    def _known_names(self) -> Keep:
        for table in self.tables:
            if table not in COLUMNS:
                raise ValueError(f"tables: unknown table {table!r} "
                                 f"(choose from {', '.join(COLUMNS)})")
        for kpi in self.kpis:
            if _MARKET_PRICE.match(kpi):
                if "market_years" not in self.tables:
                    raise ValueError(f"kpis: {kpi} needs market_years in tables")
            elif kpi not in metric_names():
                raise ValueError(f"kpis: unknown KPI {kpi!r} (choose from the numeric "
                                 "columns of the kpis table or price_<pollutant>_<zone>_yuan)")
        return self

    def stored_tables(self) -> tuple[str, ...]:
        """The tables every run writes, in the order of ``COLUMNS``."""
        wanted = {*self.tables, "kpis", "run"}
        return tuple(name for name in COLUMNS if name in wanted)


Design = Annotated[Factorial | LatinHypercube | Sobol | ScenarioList,
                   Field(discriminator="kind")]


class ExperimentSpec(Strict):
    """A whole experiment: base scenario, factors, design, replications, seed and outputs.

    ``scenario`` is a built-in scenario name or a YAML path (relative to the experiment
    file); ``set`` maps dotted paths to values applied to every point before the factors.
    Seeds come from ``seed`` alone (see ``experiments.design.replication_seed``).
    """

    name: Annotated[str, Field(pattern=r"^[a-z0-9_\-]+$")]
    description: str = ""
    scenario: str | None = None
    set: dict[DottedPath, Any] = {}
    factors: list[Factor] = []
    design: Design
    replications: Annotated[int, Field(ge=1, le=100_000)] = 1
    seed: NonNegativeInt = 1
    keep: Keep = Field(default_factory=Keep)

    @model_validator(mode="after")
    def _design_fits_factors(self) -> ExperimentSpec:
        names = [factor.name for factor in self.factors]
        if len(set(names)) != len(names):
            raise ValueError("factors: names must be unique")
        match self.design:
            case ScenarioList(scenarios=entries):
                if self.factors:
                    raise ValueError("factors: a scenarios design takes no factors; "
                                     "give each scenario its own set")
                if self.scenario is None and any(e.scenario is None for e in entries):
                    raise ValueError("design.scenarios: each entry needs a scenario when "
                                     "the experiment has none")
            case Factorial():
                self._check_factors("levels")
            case LatinHypercube() | Sobol():
                self._check_factors("range")
        self._size_fits()
        return self

    def point_count(self) -> int:
        """How many design points the design makes, computed without making them."""
        match self.design:
            case ScenarioList(scenarios=entries):
                return len(entries)
            case Factorial():
                return math.prod(len(f.levels or ()) for f in self.factors)
            case LatinHypercube(samples=samples):
                return samples
            case Sobol(n=n, second_order=second):
                return n * ((2 if second else 1) * len(self.factors) + 2)
        raise AssertionError(self.design)

    def _size_fits(self) -> None:
        points = self.point_count()
        if points > MAX_POINTS:
            raise ValueError(f"design: {points:,} points, more than the {MAX_POINTS:,} an "
                             "experiment may have (each point's scenario is resolved "
                             "before any run)")
        if points * self.replications > MAX_RUNS:
            raise ValueError(f"replications: {points:,} points x {self.replications:,} "
                             f"replications = {points * self.replications:,} runs, more "
                             f"than the {MAX_RUNS:,} an experiment may have")

    def _check_factors(self, needed: str) -> None:
        if self.scenario is None:
            raise ValueError(f"scenario: a {self.design.kind} design needs a base scenario")
        if not self.factors:
            raise ValueError(f"factors: a {self.design.kind} design needs factors")
        for k, factor in enumerate(self.factors):
            if getattr(factor, needed) is None:
                raise ValueError(f"factors.{k}.{needed}: a {self.design.kind} design needs "
                                 f"{needed} for every factor")


def builtin_experiments() -> dict[str, str]:
    """Built-in experiment names with their one-line descriptions."""
    out = {}
    for path in sorted(_builtin_dir().glob("*.yaml")):
        data = _read_yaml(path)
        text = str(data.get("description", "")).strip()
        out[path.stem] = text.splitlines()[0] if text else ""
    return out


def load_experiment(ref: str | Path) -> tuple[ExperimentSpec, str, Path]:
    """Read a built-in experiment by name, or an experiment file by path.

    Returns:
        The validated spec, the file's text (kept with the results) and the folder that
        relative scenario paths are resolved against.

    Raises:
        ExperimentError: unknown name, unreadable or malformed file, or a value the schema
            refuses; the message names the file and the field.
    """
    path = _resolve(str(ref))
    text = _read_text(path)
    return parse_experiment(text, str(path)), text, path.parent


def parse_experiment(text: str, source: str = "<experiment>") -> ExperimentSpec:
    """Validate an experiment given as YAML text; raises ExperimentError naming the field."""
    data = _parse_yaml(text, source)
    try:
        return ExperimentSpec.model_validate(data)
    except ValidationError as e:
        raise ExperimentError(describe(e, source)) from None


def _builtin_dir() -> Path:
    return Path(str(resources.files("experiments") / "builtin"))


def _resolve(ref: str) -> Path:
    return find_file(ref, _builtin_dir(), "experiment", builtin_experiments(), ExperimentError)


def _read_text(path: Path) -> str:
    return read_text(path, ExperimentError)


def _read_yaml(path: Path) -> dict[str, Any]:
    return _parse_yaml(_read_text(path), str(path))


def _parse_yaml(text: str, source: str) -> dict[str, Any]:
    return parse_mapping(text, source, "experiment", ExperimentError)
