"""Scenarios: the schema, the built-in library, loading with overrides, and the world.

A run is a scenario plus a seed::

    >>> from scenarios import COLUMNS, load_scenario, run_scenario
    >>> scenario = load_scenario("tiny")
    >>> result = run_scenario(scenario, seed=3)
    >>> sorted(result.tables) == sorted(COLUMNS)
    True
    >>> result.kpis["compliance_rate"] > 0.9
    True
"""

from scenarios.benchmark import (YearBenchmark, YearInputs, compute_benchmark,
                                 equilibrium_prices, year_benchmark, year_inputs)
from scenarios.collect import canonical_json, code_version, scenario_hash
from scenarios.load import (ScenarioError, builtin_scenarios, load_scenario,
                            scenario_json_schema, validate)
from scenarios.results import COLUMNS, RunResult
from scenarios.schema import Scenario
from scenarios.world import World, build_world


def run_scenario(scenario: Scenario, seed: int) -> RunResult:
    """Build the world of ``scenario`` with ``seed``, run it and return its tables."""
    return build_world(scenario, seed).run()


__all__ = [
    "COLUMNS", "RunResult", "Scenario", "ScenarioError", "World", "YearBenchmark", "YearInputs",
    "build_world", "builtin_scenarios", "canonical_json", "code_version", "compute_benchmark",
    "equilibrium_prices", "load_scenario", "run_scenario", "scenario_hash",
    "scenario_json_schema", "validate", "year_benchmark", "year_inputs",
]
