"""The river network: reaches with first-order decay and monitoring sections.

A network is a :class:`networkx.DiGraph` whose nodes are reaches and whose edges run
downstream (each reach has at most one downstream reach). Node attributes:

- ``length_km``, ``flow_m3s`` (mean flow at the reach's outlet), ``velocity_ms``;
- ``decay_per_day``: first-order decay rate ``k`` by pollutant, 1/day; a pollutant missing
  from it is not carried by the river (air pollutants);
- ``background_mg_l``: concentration at the outlet from sources the model does not hold as
  firms (upland, farms, towns), mg/L, by pollutant;
- ``region``: the jurisdiction the reach runs through;
- ``section``: the monitoring :class:`Section` at the outlet, or None.

Routing. A firm discharges at the head of its reach. The mass flux ``M`` (kg/day) leaving a
reach is what entered it, from its own firms and the outlets of the reaches above, times the
reach's transfer coefficient ``d = exp(-k L / u)`` (``L / u`` is the travel time in days).
The concentration at the outlet is ``background + M / (86.4 * flow_m3s)`` mg/L, because
1 kg/day in 1 m3/s is 1e6 mg / 86,400 s / 1,000 L/s = 1 / 86.4 mg/L. Firm emissions in
t/yr are ``* 1000 / 365`` kg/day.

Monitoring, the published indices and the payment rules judged at the sections are in
:mod:`agents.monitoring` and :mod:`agents.schemes`.

Example (one 43.2 km reach at 0.5 m/s is one day of travel):
    >>> g = river_graph([Reach("a", "guangan", None, 43.2, 10.0, 0.5, {"COD": 0.2},
    ...                        {"COD": 10.0}, Section("s", "III", False))])
    >>> round(route(g, {"a": {"COD": 864.0}})["s"]["COD"], 3)
    10.819
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

__all__ = ["GB3838_MG_L", "KG_PER_DAY_PER_T_YEAR", "MG_L_PER_KG_DAY_PER_M3S", "Reach",
           "Section", "assign_firms", "concentrations", "downstream_region", "net_flows",
           "reach_loads", "river_graph", "route", "sections", "trading_ratio",
           "transfer_coefficients", "upstream_region"]

KG_PER_DAY_PER_T_YEAR = 1_000 / 365
MG_L_PER_KG_DAY_PER_M3S = 1 / 86.4
_SECONDS_PER_DAY = 86_400

GB3838_MG_L: dict[str, dict[str, float]] = {
    "COD": {"I": 15.0, "II": 15.0, "III": 20.0, "IV": 30.0, "V": 40.0},
    "NH3N": {"I": 0.15, "II": 0.5, "III": 1.0, "IV": 1.5, "V": 2.0},
}
"""GB 3838-2002 surface-water limits by pollutant and class, mg/L."""


@dataclass(frozen=True, slots=True)
class Section:
    """A monitoring section at a reach's outlet.

    Attributes:
        name: the section's name.
        target_class: GB 3838-2002 class it must meet (``I`` to ``V``).
        cross_border: the section where the river leaves one jurisdiction for the other;
            compensation schemes judge the upstream region there.
    """

    name: str
    target_class: str
    cross_border: bool

    def standard_mg_l(self, pollutant: str) -> float:
        return GB3838_MG_L[pollutant][self.target_class]


@dataclass(frozen=True, slots=True)
class Reach:
    """One reach of river; see the module docstring for the units."""

    name: str
    region: str
    downstream: str | None
    length_km: float
    flow_m3s: float
    velocity_ms: float
    decay_per_day: Mapping[str, float]
    background_mg_l: Mapping[str, float]
    section: Section | None = None

    def transfer(self, pollutant: str) -> float:
        """``exp(-k L / u)`` for a pollutant the river carries (1 for one it does not)."""
        days = self.length_km * 1_000 / self.velocity_ms / _SECONDS_PER_DAY
        return math.exp(-self.decay_per_day.get(pollutant, 0.0) * days)


def river_graph(reaches: Sequence[Reach]) -> nx.DiGraph[str]:
    """The network of ``reaches``, edges pointing downstream.

    Raises:
        ValueError: a duplicate name, an unknown downstream reach or a loop.
    """
    graph: nx.DiGraph[str] = nx.DiGraph()
    for r in reaches:
        if r.name in graph:
            raise ValueError(f"reaches: {r.name!r} is listed twice")
        graph.add_node(r.name, reach=r, length_km=r.length_km, flow_m3s=r.flow_m3s,
                       velocity_ms=r.velocity_ms, decay_per_day=dict(r.decay_per_day),
                       background_mg_l=dict(r.background_mg_l), region=r.region,
                       section=r.section)
    for r in reaches:
        if r.downstream is not None:
            if r.downstream not in graph:
                raise ValueError(f"reaches.{r.name}.downstream: no reach {r.downstream!r}")
            graph.add_edge(r.name, r.downstream)
    if not nx.is_directed_acyclic_graph(graph):
        raise ValueError("reaches: the river network has a loop")
    return graph


def sections(graph: nx.DiGraph[str]) -> dict[str, str]:
    """Monitoring section name -> the reach at whose outlet it sits, in network order."""
    return {graph.nodes[n]["section"].name: n for n in nx.topological_sort(graph)
            if graph.nodes[n]["section"] is not None}


def upstream_region(graph: nx.DiGraph[str], section: str) -> str:
    """The region of the reach whose outlet the section monitors."""
    return str(graph.nodes[sections(graph)[section]]["region"])


def downstream_region(graph: nx.DiGraph[str], section: str) -> str:
    """The region of the reach below the section (the section's own region at an outlet)."""
    below = list(graph.successors(sections(graph)[section]))
    return str(graph.nodes[below[0] if below else sections(graph)[section]]["region"])


def net_flows(graph: nx.DiGraph[str], withdrawn_m3s: Mapping[str, float],
              min_share: float = 0.0) -> dict[str, float]:
    """Flow at each reach's outlet after withdrawals, m3/s: the mean flow less what was
    withdrawn on the reach and on every reach above it, never under ``min_share`` of the
    mean flow (an ecological minimum the permits must leave in the river).

    >>> g = river_graph([Reach("up", "guangan", "down", 10, 10.0, 1, {}, {}),
    ...                  Reach("down", "changshou", None, 10, 12.0, 1, {}, {})])
    >>> net_flows(g, {"up": 1.0, "down": 0.5})
    {'up': 9.0, 'down': 10.5}
    """
    taken = {n: withdrawn_m3s.get(n, 0.0) for n in graph}
    out = {}
    for name in nx.topological_sort(graph):
        above = sum(taken[a] for a in nx.ancestors(graph, name))
        natural = graph.nodes[name]["flow_m3s"]
        out[name] = max(natural - taken[name] - above, natural * min_share)
    return out


def route(graph: nx.DiGraph[str], loads_kg_per_day: Mapping[str, Mapping[str, float]],
          flows_m3s: Mapping[str, float] | None = None) -> dict[str, dict[str, float]]:
    """Concentrations at every section, mg/L, by section and carried pollutant.

    Args:
        graph: a network from :func:`river_graph`.
        loads_kg_per_day: discharges at each reach's head, kg/day, by reach and pollutant
            (reaches or pollutants left out discharge nothing).
        flows_m3s: flow at each reach's outlet (default: the mean flow), e.g. from
            :func:`net_flows`; less water dilutes the firms' loads less, while the
            background concentration stays what it is.
    """
    pollutants = sorted({p for n in graph for p in graph.nodes[n]["decay_per_day"]})
    flux = {p: dict.fromkeys(graph.nodes, 0.0) for p in pollutants}
    out: dict[str, dict[str, float]] = {}
    for name in nx.topological_sort(graph):
        node = graph.nodes[name]
        reach: Reach = node["reach"]
        for p in pollutants:
            entering = flux[p][name] + loads_kg_per_day.get(name, {}).get(p, 0.0)
            leaving = entering * reach.transfer(p)
            for below in graph.successors(name):
                flux[p][below] += leaving
            flux[p][name] = leaving
        if node["section"] is not None:
            out[node["section"].name] = {
                p: node["background_mg_l"].get(p, 0.0)
                + flux[p][name] * MG_L_PER_KG_DAY_PER_M3S
                / (node["flow_m3s"] if flows_m3s is None else flows_m3s[name])
                for p in pollutants if p in node["decay_per_day"]}
    return out


def transfer_coefficients(graph: nx.DiGraph[str], pollutant: str, to_section: str
                          ) -> dict[str, float]:
    """Share of a discharge at each reach's head that reaches the section, by reach.

    The product of ``exp(-k L / u)`` over the reach and every reach down to the section's;
    reaches that do not drain to the section are left out.
    """
    target = sections(graph)[to_section]
    out = {}
    for name in nx.ancestors(graph, target) | {target}:
        path = nx.shortest_path(graph, name, target)
        out[name] = math.prod(graph.nodes[n]["reach"].transfer(pollutant) for n in path)
    return dict(sorted(out.items()))


def assign_firms(graph: nx.DiGraph[str], regions: np.ndarray, shares: Mapping[str, float],
                 fixed: Mapping[int, str], rng: np.random.Generator) -> np.ndarray:
    """The reach each firm discharges to, as an index into ``list(graph)``, -1 for none.

    A firm not in ``fixed`` (firm index -> reach) draws a reach of its own region with
    probability ``shares[reach]``; with the rest it discharges outside the network. One
    uniform number is drawn per firm, fixed or not, so the assignment of one firm never
    shifts another's.
    """
    names = list(graph)
    draws = rng.random(len(regions))
    out = np.full(len(regions), -1, dtype=np.int64)
    for region in np.unique(regions):
        own = [n for n in names if graph.nodes[n]["region"] == region and shares.get(n, 0.0)]
        edges = np.cumsum([shares[n] for n in own])
        mask = regions == region
        picked = np.searchsorted(edges, draws[mask], side="right")
        out[mask] = [names.index(own[k]) if k < len(own) else -1 for k in picked]
    for firm, reach in fixed.items():
        out[firm] = names.index(reach)
    return out


def reach_loads(graph: nx.DiGraph[str], assignment: np.ndarray, emissions_t: np.ndarray,
                pollutants: Sequence[str]) -> dict[str, dict[str, float]]:
    """Loads by reach and pollutant, kg/day, from each firm's emissions (t/yr, shape
    (firms, pollutants)) and its :func:`assign_firms` reach."""
    names = list(graph)
    inside = assignment >= 0
    out: dict[str, dict[str, float]] = {n: {} for n in names}
    for j, p in enumerate(pollutants):
        sums = np.bincount(assignment[inside], weights=emissions_t[inside, j],
                           minlength=len(names))
        for k, n in enumerate(names):
            out[n][p] = float(sums[k]) * KG_PER_DAY_PER_T_YEAR
    return out


def concentrations(graph: nx.DiGraph[str], assignment: np.ndarray, emissions_t: np.ndarray,
                   pollutants: Sequence[str], flows_m3s: Mapping[str, float] | None = None
                   ) -> dict[str, dict[str, float]]:
    """:func:`route` of the loads of firms' yearly emissions."""
    return route(graph, reach_loads(graph, assignment, emissions_t, pollutants), flows_m3s)


def trading_ratio(graph: nx.DiGraph[str], assignment: np.ndarray, weights_t: np.ndarray,
                  pollutant: str, seller_region: str) -> float:
    """Load-weighted transfer coefficient of a region's reaches to the cross-border sections.

    Each reach of ``seller_region`` that drains to a cross-border section weighs with the
    emissions (``weights_t``, one per firm) of the firms :func:`assign_firms` put on it
    (equally if none emit); a reach draining to several sections counts the nearest. This is
    the trading ratio of Hung and Shaw (2005) for a receptor below the border when the buying
    region's firms discharge just below it, since both loads then decay alike further down.

    Raises:
        ValueError: no reach of ``seller_region`` drains to a cross-border section.
    """
    names = list(graph)
    inside = assignment >= 0
    weights = np.bincount(assignment[inside], weights_t[inside], minlength=len(names))
    coefficient: dict[str, float] = {}
    for _, data in graph.nodes(data=True):
        section = data["section"]
        if section is not None and section.cross_border:
            for reach, d in transfer_coefficients(graph, pollutant, section.name).items():
                if graph.nodes[reach]["region"] == seller_region:
                    coefficient[reach] = max(coefficient.get(reach, 0.0), d)
    if not coefficient:
        raise ValueError(f"river: no {seller_region} reach drains to a cross-border section")
    w = np.array([weights[names.index(r)] for r in coefficient])
    if w.sum() <= 0:
        w = np.ones(len(coefficient))
    return float(np.dot(w, list(coefficient.values())) / w.sum())
