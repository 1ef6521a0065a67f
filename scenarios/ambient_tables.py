"""The receptor sections of a run: the concentration each design leaves there and the
ambient benchmark (:mod:`agents.ambient`), per year and water pollutant.

Concentrations are yearly means at the network's mean flows and background, without the
sampling noise of the ``environment`` table, for three emission paths: unabated (each
firm's emissions drawn when the year opened), realised (after the true-up's abatement) and
the ambient benchmark's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.ambient import AmbientBenchmark, Receptors, ambient_least_cost, receptors
from agents.river import sections
from scenarios.results import frame

if TYPE_CHECKING:
    from scenarios.world import World

__all__ = ["ambient_kpis", "ambient_tables"]

_KPIS = ("ambient_least_cost_yuan", "water_abatement_cost_yuan", "ambient_cost_ratio",
         "receptor_exceedances", "ambient_feasible")


def ambient_tables(world: World, run_id: str) -> dict[str, pd.DataFrame]:
    """``receptors``: one row per year, water pollutant and receptor section; empty (with
    its columns) without a river."""
    rows = []
    for year, pollutant, where, bench, unabated, realised in _years(world):
        graph = world.compensation.graph  # type: ignore[union-attr]
        located = sections(graph)
        benchmark = where.concentrations(unabated - bench.abatement_t)
        before, after = where.concentrations(unabated), where.concentrations(realised)
        for k, name in enumerate(where.names):
            node = graph.nodes[located[name]]
            rows.append((run_id, year, pollutant, name, located[name], node["region"],
                         node["section"].cross_border, float(where.standard_mg_l[k]),
                         float(before[k]), float(after[k]), float(benchmark[k]),
                         bool(after[k] <= where.standard_mg_l[k] + 1e-9),
                         float(bench.shadow_yuan_per_mg_l[k]), bench.feasible))
    return {"receptors": frame("receptors", rows)}


def ambient_kpis(world: World, tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """The run's cost against the ambient benchmark (NaN without a river).

    ``water_abatement_cost_yuan`` is what the firms spent abating the water pollutants the
    benchmark covers; ``ambient_cost_ratio`` is it over ``ambient_least_cost_yuan``.
    """
    if world.compensation is None or world.scenario.river is None:
        return dict.fromkeys(_KPIS, np.nan)
    least, feasible = 0.0, True
    for _, _, _, bench, _, _ in _years(world):
        least += bench.cost_yuan
        feasible = feasible and bench.feasible
    carried = set(world.compensation.carried)
    spent = float(sum(t.abatement_cost_yuan.sum() for _, t in world.years.true_ups
                      if t.pollutant in carried))
    rows = tables["receptors"]
    return {
        "ambient_least_cost_yuan": least if feasible else np.nan,
        "water_abatement_cost_yuan": spent,
        "ambient_cost_ratio": spent / least if feasible and least > 0 else np.nan,
        "receptor_exceedances": float((~rows["met"].astype(bool)).sum()),
        "ambient_feasible": float(feasible),
    }


def _years(world: World) -> list[tuple[int, str, Receptors, AmbientBenchmark, np.ndarray,
                                       np.ndarray]]:
    """Per closed year and water pollutant: the receptors, the benchmark, and each firm's
    unabated and realised emissions (t)."""
    comp, spec = world.compensation, world.scenario.river
    if comp is None or spec is None:
        return []
    years, firms = world.years, world.firms
    out = []
    for year in sorted({y for y, _ in years.true_ups}):
        realised_all = years.emissions_t(year)
        for pollutant in comp.carried:
            j = firms.pollutant(pollutant)
            where = receptors(comp.graph, comp.assignment, pollutant, spec.receptors,
                              spec.off_network_coefficient)
            unabated = years.current_t[year][:, j]
            slope = years.slope.get(year, firms.slope)[:, j]
            bench = ambient_least_cost(unabated, slope, where.mg_l_per_t,
                                       where.standard_mg_l - where.background_mg_l,
                                       firms.intercept[:, j])
            out.append((year, pollutant, where, bench, unabated, realised_all[:, j]))
    return out
