"""Experiment files, designs, plans and seeds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from experiments.design import Plan, plan_experiment, replication_seed
from experiments.spec import ExperimentError, builtin_experiments, load_experiment, parse_experiment

FACTORIAL = """
name: sweep
scenario: tiny
set: {calendar.years: 1, calendar.days_per_year: 10}
factors:
  - {name: cap, path: regions.changshou.regulator.cap_share.COD, levels: [0.8, 0.9]}
  - {name: band, path: exchange.band, levels: [0.1, 0.2, 0.3]}
design: {kind: factorial}
replications: 4
seed: 11
"""


def test_factorial_points_cover_every_combination_last_factor_fastest() -> None:
    plan = plan_experiment(parse_experiment(FACTORIAL))

    assert [p.factors for p in plan.points] == [
        {"cap": cap, "band": band} for cap in (0.8, 0.9) for band in (0.1, 0.2, 0.3)]
    assert plan.total == 24
    assert plan.points[4].name == "cap=0.9 band=0.2"


def test_points_resolve_to_scenarios_with_the_overrides_applied() -> None:
    plan = plan_experiment(parse_experiment(FACTORIAL))
    scenario = json.loads(plan.points[5].scenario_json)

    assert scenario["regions"]["changshou"]["regulator"]["cap_share"]["COD"] == 0.9
    assert scenario["exchange"]["band"] == 0.3
    assert scenario["calendar"]["years"] == 1
    assert len({p.scenario_hash for p in plan.points}) == 6


def test_seeds_depend_on_root_and_replication_only() -> None:
    plan = plan_experiment(parse_experiment(FACTORIAL))
    tasks = list(plan.tasks("out"))
    seeds: dict[int, set[int]] = {}
    for task in tasks:
        seeds.setdefault(task.replication, set()).add(task.seed)

    assert all(len(s) == 1 for s in seeds.values()), "common random numbers across points"
    assert len({next(iter(s)) for s in seeds.values()}) == 4, "replications differ"
    assert seeds[2] == {int(np.random.SeedSequence(11, spawn_key=(2,)).generate_state(1)[0])}
    assert replication_seed(11, 2) != replication_seed(12, 2)


def test_run_keys_are_stable_and_skipped_runs_are_not_planned() -> None:
    plan = plan_experiment(parse_experiment(FACTORIAL))
    keys = [t.run_key for t in plan.tasks("out")]
    skip = frozenset(keys[:5])

    assert len(set(keys)) == 24 and "p0005-r003" in keys
    assert [t.run_key for t in plan.tasks("out", skip)] == keys[5:]
    assert plan.keys()["p0005-r003"] == (5, 3)


def test_plan_round_trips_through_json() -> None:
    plan = plan_experiment(parse_experiment(FACTORIAL), FACTORIAL)

    again = Plan.from_json(plan.to_json())

    assert again == plan
    assert list(again.tasks("x")) == list(plan.tasks("x"))


def test_latin_hypercube_puts_one_point_in_each_slice_and_repeats() -> None:
    text = """
name: lhs
scenario: tiny
factors:
  - {name: cap, path: regions.changshou.regulator.cap_share.COD, range: [0.6, 1.0]}
  - {name: orders, path: trading.max_order_t, range: [5, 25], integer: true}
design: {kind: lhs, samples: 8}
"""
    plan = plan_experiment(parse_experiment(text))
    caps = np.array([p.factors["cap"] for p in plan.points])

    assert sorted(np.floor((caps - 0.6) / 0.05).astype(int)) == list(range(8))
    assert all(isinstance(p.factors["orders"], int) for p in plan.points)
    assert [p.factors for p in plan_experiment(parse_experiment(text)).points] == \
        [p.factors for p in plan.points]


def test_sobol_design_has_saltelli_size() -> None:
    text = """
name: s
scenario: tiny
factors:
  - {name: a, path: regions.changshou.regulator.cap_share.COD, range: [0.7, 0.9]}
  - {name: b, path: regions.guangan.regulator.cap_share.COD, range: [0.7, 0.9]}
design: {kind: sobol, n: 4}
"""
    plan = plan_experiment(parse_experiment(text))

    assert len(plan.points) == 4 * (2 + 2)
    assert all(0.7 <= p.factors["a"] <= 0.9 for p in plan.points)


def test_scenario_list_takes_each_entrys_scenario_and_overrides() -> None:
    text = """
name: compare
set: {calendar.years: 1}
design:
  kind: scenarios
  scenarios:
    - {name: alone, scenario: tiny}
    - {name: wide_band, scenario: tiny, set: {exchange.band: 0.25}}
"""
    plan = plan_experiment(parse_experiment(text))
    first, second = (json.loads(p.scenario_json) for p in plan.points)

    assert [p.name for p in plan.points] == ["alone", "wide_band"]
    assert first["calendar"]["years"] == second["calendar"]["years"] == 1
    assert (first["exchange"]["band"], second["exchange"]["band"]) == (0.1, 0.25)


@pytest.mark.parametrize("change, message", [
    ("design: {kind: sobol, n: 6}", "design.sobol.n: n must be a power of two"),
    ("design: {kind: lhs, samples: 4}", "factors.0.range: a lhs design needs range"),
    ("replications: 0", "replications: Input should be greater than or equal to 1"),
    ("colour: blue", "colour: Extra inputs are not permitted"),
    ("keep: {kpis: [happiness]}", "keep.kpis: unknown KPI 'happiness'"),
    ("keep: {tables: [kpis], kpis: [price_cod_basin_yuan]}",
     "keep.kpis: price_cod_basin_yuan needs market_years in tables"),
])
def test_bad_experiments_are_refused_naming_the_field(change: str, message: str) -> None:
    key = change.split(":")[0]
    text = "\n".join(line for line in FACTORIAL.splitlines()
                     if not line.startswith(key + ":")) + "\n" + change

    with pytest.raises(ExperimentError) as error:
        parse_experiment(text, "bad.yaml")

    assert str(error.value).startswith("bad.yaml: ")
    assert message in str(error.value)


def test_a_factor_value_the_scenario_refuses_names_the_point() -> None:
    text = FACTORIAL.replace("levels: [0.1, 0.2, 0.3]", "levels: [0.1, 2.0]")

    with pytest.raises(ExperimentError, match=r"point 1 \(cap=0.8 band=2.0\): .*exchange.band"):
        plan_experiment(parse_experiment(text))


def test_relative_scenario_paths_are_read_beside_the_experiment(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("extends: tiny\nname: mine\n", encoding="utf-8")
    (tmp_path / "e.yaml").write_text(
        "name: e\ndesign: {kind: scenarios, scenarios: [{name: m, scenario: mine.yaml}]}\n",
        encoding="utf-8")

    spec, text, base = load_experiment(tmp_path / "e.yaml")

    assert plan_experiment(spec, text, base).points[0].scenario == "mine"


def test_builtin_experiments_are_valid_and_plan() -> None:
    names = builtin_experiments()

    assert {"cross_border", "sensitivity"} <= set(names)
    for name in names:
        spec, text, base = load_experiment(name)
        plan = plan_experiment(spec, text, base)
        assert plan.total >= 2 and text.startswith(f"name: {name}")
