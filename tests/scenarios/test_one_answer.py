"""One scenario, one answer: the same scenario and seed give identical tables however the
scenario was written and whichever command runs it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from experiments.compare import run_comparison
from experiments.runner import read_plan, run_experiment
from scenarios import (builtin_scenarios, canonical_json, load_scenario, run_scenario,
                       scenario_hash, validate)

SHORT = ["calendar.years=2", "calendar.days_per_year=30"]
"""Every built-in on a short calendar: the draws and the order of events are what is
tested, not the length of the run."""
SHORT_EXTRA = {
    "credit_stress": ["stress.0.day=40", "stress.1.day=40"],
    "credit_transition": ["stress.0.day=30", "stress.1.day=30", "stress.2.day=30",
                          "stress.3.day=40"],
    "credit_physical": ["stress.0.day=30", "stress.1.day=40"],
}
VOLATILE = ("started_utc", "wall_seconds", "python")


def short(name: str) -> list[str]:
    return [] if name == "tiny" else SHORT + SHORT_EXTRA.get(name, [])


def reversed_keys(node: Any) -> Any:
    """The same data with every mapping's keys in reverse order."""
    if isinstance(node, dict):
        return {k: reversed_keys(node[k]) for k in reversed(list(node))}
    if isinstance(node, list):
        return [reversed_keys(v) for v in node]
    return node


def same_tables(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert set(a) == set(b)
    for name in a:
        left, right = a[name], b[name]
        if name == "run":
            left, right = left.drop(columns=list(VOLATILE)), right.drop(columns=list(VOLATILE))
        pd.testing.assert_frame_equal(left, right, check_exact=True, obj=name)


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_a_file_written_in_another_key_order_gives_identical_tables(name: str,
                                                                    tmp_path: Path) -> None:
    scenario = load_scenario(name, short(name))
    data = reversed_keys(scenario.model_dump(mode="json"))
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    rewritten = load_scenario(str(path))
    stored = validate(json.loads(canonical_json(scenario)))
    assert scenario_hash(rewritten) == scenario_hash(stored) == scenario_hash(scenario)

    tables = run_scenario(scenario, 3).tables
    same_tables(tables, run_scenario(rewritten, 3).tables)
    same_tables(tables, run_scenario(stored, 3).tables)


def test_compare_and_experiment_rows_equal_the_runs_of_the_same_scenarios(tmp_path: Path
                                                                          ) -> None:
    refs = ["compensation_bet", "compensation_pool"]
    comparison = run_comparison(refs, [1, 2], SHORT)
    for ref in refs:
        scenario = load_scenario(ref, SHORT)
        for seed in (1, 2):
            kpis = run_scenario(scenario, seed).tables["kpis"]
            row = comparison.kpis[(comparison.kpis["run_id"] == kpis["run_id"].iloc[0])]
            assert len(row) == 1
            pd.testing.assert_frame_equal(row.reset_index(drop=True), kpis,
                                          check_exact=True)

    spec = {"name": "one-answer", "set": {"calendar.years": 2, "calendar.days_per_year": 30},
            "design": {"kind": "scenarios",
                       "scenarios": [{"name": r, "scenario": r} for r in refs]},
            "replications": 1, "seed": 5, "keep": {"tables": ["kpis"]}}
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    folder = tmp_path / "out"
    assert run_experiment(spec_path, folder, workers=1, backend="serial").ok == 2
    for task in read_plan(folder).tasks(folder):
        stored = pd.read_parquet(folder / "runs" / task.run_key / "tables" / "kpis.parquet")
        direct = run_scenario(load_scenario(json.loads(task.scenario_json)["name"], SHORT),
                              task.seed)
        pd.testing.assert_frame_equal(stored, direct.tables["kpis"], check_exact=True)
