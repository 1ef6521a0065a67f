"""Assembly of the compensation scheme of a world: its rules, judged sections, baselines,
hydrology and observed data (called by ``scenarios.world``)."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from agents import ComplianceYears
from agents.compensation import (CENTRAL, Compensation, Judged, Parties, SchemeRules,
                                 class_limits, default_parties)
from agents.hydrology import Hydrology
from agents.monitoring import SectionYear
from agents.river import concentrations, sections
from agents.schemes import IndexRules
from agents.streams import Streams
from agents.water import WaterRights
from exchange import Clock, Registry
from scenarios.observed import observed_baseline, read_observed, resolve_observed
from scenarios.schema import Scenario
from scenarios.schema.compensation import IndexSpec

__all__ = ["build_compensation", "scheme_rules"]


def build_compensation(scenario: Scenario, clock: Clock, graph: nx.DiGraph[str],
                       assignment: np.ndarray, years: ComplianceYears, registry: Registry,
                       streams: Streams, water: WaterRights | None) -> Compensation:
    """The world's :class:`Compensation`, registered in the ``river_close`` phase."""
    spec = scenario.river
    assert spec is not None
    pollutants = years.firms.pollutants
    carried = [p for p in pollutants if p in ("COD", "NH3N")]
    rules = scheme_rules(scenario, carried)
    observed: dict[tuple[int, str], SectionYear] = {}
    if spec.observed is not None:
        observed = read_observed(resolve_observed(spec.observed), list(sections(graph)),
                                 carried)
    cols = [pollutants.index(p) for p in carried]
    historic = concentrations(graph, assignment, years.firms.baseline_t[:, cols], carried)
    index = getattr(scenario.compensation, "index", None) or IndexSpec()
    judged = _judged_names(scenario, graph)
    baselines = {s: _baseline(s, historic[s], index, observed, s in judged)
                 for s in sections(graph)}
    if rules.kind == "market":
        rules = SchemeRules("market", index=IndexRules(weights={p: 1 / len(carried)
                                                                for p in carried}))
    compensation = Compensation(
        graph, assignment, pollutants, rules, registry, years.regulators, streams,
        _judged(scenario, graph, baselines, carried), baselines,
        Hydrology(spec.flow_sigma_year, spec.flow_sigma_month, tuple(spec.seasonal_flow),
                  spec.samples_per_month, spec.sampling_sigma, spec.missing_share,
                  spec.flow_scale),
        observed)
    compensation.final_year = scenario.calendar.start_year + scenario.calendar.years - 1
    if water is not None and scenario.water is not None:
        compensation.withdrawn_m3s = water.withdrawn_m3s
        compensation.min_flow_share = scenario.water.min_flow_share
    clock.at_year_end("river_close", lambda year: compensation.close_year(
        year, years.emissions_t(year), years.current_t[year]))
    return compensation


def scheme_rules(scenario: Scenario, carried: list[str]) -> SchemeRules:
    """The agents' rules of the scenario's scheme (``market`` without one); an index
    without weights weighs the ``carried`` pollutants equally."""
    scheme = scenario.compensation
    if scheme is None or scheme.kind == "market":
        return SchemeRules("market")
    data: dict[str, Any] = scheme.model_dump(exclude={"kind", "response", "sections",
                                                     "parties", "index", "bands"})
    if "yuan_per_t" in data:
        data["yuan_per_t"] = dict(data["yuan_per_t"])
    index = getattr(scheme, "index", None) or IndexSpec()
    if index is not None:
        weights = dict(index.weights) or {p: 1 / len(carried) for p in carried}
        data["index"] = IndexRules(index.k0, weights, index.per_pollutant, index.averaging)
    bands = getattr(scheme, "bands", None)
    if bands is not None:
        data["bands"] = tuple((float("inf") if b.max_index is None else b.max_index, b.yuan)
                              for b in bands)
    response = scheme.response.model_dump()
    response["response_rule"] = response.pop("rule")
    return SchemeRules(scheme.kind, **data, **response)


def _judged(scenario: Scenario, graph: nx.DiGraph[str],
            baselines: dict[str, dict[str, float]], carried: list[str]) -> dict[str, Judged]:
    scheme = scenario.compensation
    if scheme is None or scheme.kind == "market":
        return {}
    located = sections(graph)
    out = {}
    for s in _judged_names(scenario, graph):
        given = scheme.parties.get(s)
        who = default_parties(graph, s) if given is None else Parties(
            _account(given.upstream), _account(given.downstream))
        out[s] = Judged(who, baselines[s],
                        class_limits(graph.nodes[located[s]]["section"].target_class, carried))
    return out


def _judged_names(scenario: Scenario, graph: nx.DiGraph[str]) -> list[str]:
    """The sections the scheme judges: those listed, else every cross-border one."""
    scheme = scenario.compensation
    if scheme is None or scheme.kind == "market":
        return []
    return scheme.sections or [s for s, n in sections(graph).items()
                               if graph.nodes[n]["section"].cross_border]


def _account(party: str) -> str:
    return CENTRAL if party == "central" else f"gov:{party}"


def _baseline(section: str, historic: dict[str, float], index: IndexSpec,
              observed: dict[tuple[int, str], SectionYear], judged: bool
              ) -> dict[str, float]:
    """Given values, else (at a judged section) the observed baseline years, else the
    river before the run."""
    if section in index.baseline_mg_l:
        return {str(p): c for p, c in index.baseline_mg_l[section].items()}
    if index.baseline_years and judged:
        return observed_baseline(observed, section, index.baseline_years, index.averaging)
    return dict(historic)
