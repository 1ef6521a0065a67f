"""Every run with a river reports the concentration it leaves at each receptor section and
its cost against the ambient benchmark."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agents.river import route
from scenarios import World, build_world, load_scenario

Run = tuple[World, dict[str, pd.DataFrame]]


@pytest.fixture(scope="module")
def run() -> Run:
    world = build_world(load_scenario("tiny", ["river={}"]), 2)
    return world, world.run().tables


def test_concentrations_are_the_routed_realised_emissions(run: Run) -> None:
    """Independent route: add up firm_years emissions by reach (each firm's reach from the
    world's assignment) in kg/day and route them down the network."""
    world, tables = run
    comp = world.compensation
    assert comp is not None
    reaches = list(comp.graph)
    reach_of = {f: reaches[k] if k >= 0 else None
                for f, k in zip(world.firms.ids, comp.assignment.tolist())}
    rows = tables["receptors"]
    assert len(rows) == 2 * 4  # two years, four sections of the default network, COD
    for year, fy in tables["firm_years"].groupby("year"):
        loads: dict[str, dict[str, float]] = {}
        for firm, emitted in zip(fy["firm"], fy["emissions_t"]):
            if reach_of[firm] is not None:
                at = loads.setdefault(reach_of[firm], {"COD": 0.0})
                at["COD"] += emitted * 1000 / 365
        routed = route(comp.graph, loads)
        mine = rows[rows["year"] == year]
        for r in mine.itertuples():
            assert r.concentration_mg_l == pytest.approx(routed[r.section]["COD"], rel=1e-9)
            assert r.met == (r.concentration_mg_l <= r.standard_mg_l)


def test_the_benchmark_meets_every_standard_and_prices_the_binding_ones(run: Run) -> None:
    _, tables = run
    rows, kpis = tables["receptors"], tables["kpis"].iloc[0]
    assert rows["ambient_feasible"].all()
    assert np.all(rows["ambient_benchmark_mg_l"] <= rows["standard_mg_l"] + 1e-6)
    # Complementary slackness: a section with a shadow price is exactly at its standard.
    binding = rows[rows["shadow_price_yuan_per_mg_l"] > 0]
    assert len(binding) > 0  # the border sections' backgrounds sit near their standard
    assert binding["ambient_benchmark_mg_l"].tolist() == pytest.approx(
        binding["standard_mg_l"].tolist(), rel=1e-6)
    cod = tables["firm_years"]["abatement_cost_yuan"].sum()  # tiny emits COD only
    assert kpis["water_abatement_cost_yuan"] == pytest.approx(cod)
    assert kpis["ambient_cost_ratio"] == pytest.approx(cod / kpis["ambient_least_cost_yuan"])
    assert kpis["receptor_exceedances"] == (~rows["met"]).sum()


def test_a_run_without_a_river_has_an_empty_table_and_no_ambient_kpis() -> None:
    tables = build_world(load_scenario("tiny"), 2).run().tables
    assert tables["receptors"].empty
    assert np.isnan(tables["kpis"].iloc[0]["ambient_least_cost_yuan"])
