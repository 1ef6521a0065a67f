"""How a government judged at a section responds to the scheme: abatement on its reaches.

A government that is the upstream party of judged sections can act on the reaches of its
own region that drain to them, and only there:

- **treatment** of towns and farms: spending ``x`` yuan once removes ``x / fund_yuan_per_t``
  tonnes a year of COD from the reaches' background load, shared over the reaches by their
  background COD load, and the same share of each reach's other background loads, from the
  next year on (:func:`treat`);
- **caps**: it cuts by ``tighten_cap`` the part of its caps of the river's pollutants (COD,
  NH3-N) held by the firms discharging into those reaches (``Regulator.tighten``); air
  pollutants and firms off the river are untouched.

Decision rules (``response_rule``):

- ``myopic``: after a year in which it paid out more than it received (net of central
  top-ups), it tightens the caps and spends ``fund_abatement`` times that net payment on
  treatment.
- ``expected``: at each year's close it weighs each candidate spending
  ``x in {0, budget/steps, ..., budget}`` by ``R * E[net(x)] - x``, where ``net(x)`` is the
  scheme's net payment to it in a year with this year's firms and the background after
  ``x`` of treatment, ``R`` the years left in the run (treatment lasts) and the expectation
  is over ``planning_draws`` years of flows drawn from the stream
  ``("river", "planning", year)`` (the same draws for every ``x``; no sampling noise), and
  spends the best ``x``. It tightens the caps when ``E[net(0)] < 0``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import networkx as nx
import numpy as np

from agents.hydrology import Hydrology, flow_factors, sample_year
from agents.monitoring import SectionYear
from agents.river import KG_PER_DAY_PER_T_YEAR, MG_L_PER_KG_DAY_PER_M3S, sections
from agents.schemes import Judged, Parties, SchemeRules, net_to_upstream, scheme_payments

__all__ = ["RIVER_POLLUTANTS", "draining_reaches", "expected_net", "planning_draws",
           "responders", "treated_backgrounds", "treat"]

RIVER_POLLUTANTS = ("COD", "NH3N")


def responders(judged: Mapping[str, Judged]) -> list[str]:
    """The governments (``gov:`` accounts) upstream of a judged section, sorted."""
    return sorted({j.parties.upstream for j in judged.values()
                   if j.parties.upstream.startswith("gov:")})


def draining_reaches(graph: nx.DiGraph[str], judged: Mapping[str, Judged],
                     government: str) -> list[str]:
    """The government's own reaches that drain to the sections it is judged on."""
    region = government.removeprefix("gov:")
    located = sections(graph)
    out: set[str] = set()
    for section, j in judged.items():
        if j.parties.upstream == government:
            out |= nx.ancestors(graph, located[section]) | {located[section]}
    return [n for n in graph if n in out and graph.nodes[n]["region"] == region]


def treated_backgrounds(graph: nx.DiGraph[str], reaches: Sequence[str], yuan: float,
                        yuan_per_t: float) -> dict[str, dict[str, float]]:
    """The reaches' background concentrations after ``yuan`` of treatment (module
    docstring); the graph is not changed.

    Example: one reach of 10 m3/s at 20 mg/L COD; 20 m yuan at 20,000 yuan/t removes
    1,000 t/yr = 2,739.7 kg/day, / 864 = 3.1710 mg/L, a share 0.15855 of every background
    (COD 20 - 3.1710 = 16.8290, NH3-N 1 - 0.15855 = 0.84145):

    >>> from agents.river import Reach, river_graph
    >>> g = river_graph([Reach("a", "guangan", None, 1, 10.0, 1, {"COD": 0.2},
    ...                        {"COD": 20.0, "NH3N": 1.0})])
    >>> {p: round(c, 4) for p, c in treated_backgrounds(g, ["a"], 20e6, 20_000)["a"].items()}
    {'COD': 16.829, 'NH3N': 0.8415}
    """
    load = {n: graph.nodes[n]["background_mg_l"].get("COD", 0.0) * graph.nodes[n]["flow_m3s"]
            for n in reaches}
    total = sum(load.values())
    removed_kg_day = yuan / yuan_per_t * KG_PER_DAY_PER_T_YEAR
    out = {}
    for n in reaches:
        background = dict(graph.nodes[n]["background_mg_l"])
        if total > 0 and background.get("COD"):
            cut = removed_kg_day * load[n] / total * MG_L_PER_KG_DAY_PER_M3S \
                / graph.nodes[n]["flow_m3s"]
            share = min(1.0, cut / background["COD"])
            background = {p: c * (1 - share) for p, c in background.items()}
        out[n] = background
    return out


def treat(graph: nx.DiGraph[str], reaches: Sequence[str], yuan: float,
          yuan_per_t: float) -> None:
    """Apply :func:`treated_backgrounds` to the graph (from the next routing on)."""
    for n, background in treated_backgrounds(graph, reaches, yuan, yuan_per_t).items():
        graph.nodes[n]["background_mg_l"].update(background)


def expected_net(graph: nx.DiGraph[str], rules: SchemeRules, judged: Mapping[str, Judged],
                 government: str, routed: Mapping[str, Mapping[str, float]],
                 flows_m3s: Mapping[str, float], last: Mapping[str, SectionYear],
                 hydrology: Hydrology, yuan: float, draws: Sequence[np.ndarray],
                 noise: np.random.Generator) -> float:
    """``E[net(x)]`` of the module docstring for ``x = yuan``, over the flow factors
    ``draws`` (one array of twelve months per draw); ``noise`` is a keyed stream whose
    draws do not matter (the planning year has no sampling noise and no gaps)."""
    reaches = draining_reaches(graph, judged, government)
    after = treated_backgrounds(graph, reaches, yuan, rules.fund_yuan_per_t)
    located = sections(graph)
    forecast = {}
    for s, by in routed.items():
        reach = located[s]
        before = graph.nodes[reach]["background_mg_l"]
        new = after.get(reach, before)
        forecast[s] = {p: c - before.get(p, 0.0) + new.get(p, 0.0) for p, c in by.items()}
    quiet = replace(hydrology, sampling_sigma=0.0, missing_share=0.0)
    nets = []
    for factors in draws:
        data = sample_year(forecast, flows_m3s, factors, quiet, noise, noise)
        payments = scheme_payments(rules, data, last, judged)
        nets.append(net_to_upstream(payments, Parties(government, "")))
    return float(np.mean(nets)) if nets else 0.0


def planning_draws(hydrology: Hydrology, rng: np.random.Generator, draws: int
                   ) -> list[np.ndarray]:
    """``draws`` years of monthly flow factors from the planning stream."""
    return [flow_factors(hydrology, rng) for _ in range(draws)]
