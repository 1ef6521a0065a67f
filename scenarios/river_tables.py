"""The river tables of a run: sampled section concentrations and compensation payments."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.compensation import Parties, net_to_upstream
from agents.schemes import is_topup
from agents.river import sections
from scenarios.results import frame

if TYPE_CHECKING:
    from scenarios.world import World


def river_tables(world: World, run_id: str) -> dict[str, pd.DataFrame]:
    """``environment`` and ``compensation``; empty (with their columns) without a river."""
    comp = world.compensation
    if comp is None:
        return {"environment": frame("environment", []),
                "compensation": frame("compensation", [])}
    cal = world.venue.calendar
    located = sections(comp.graph)
    rows = []
    for year, section, source, data, index in comp.records:
        reach = located[section]
        node = comp.graph.nodes[reach]
        spec = node["section"]
        first = cal.first_day(year)
        days = [first + int((m - 0.5) * cal.days_per_year / 12) for m in data.month.tolist()]
        for pollutant, values in data.mg_l.items():
            for k, (value, p) in enumerate(zip(values.tolist(), index.tolist())):
                rows.append((run_id, year, k + 1, int(data.month[k]), days[k], section, reach,
                             node["region"], spec.cross_border, source, pollutant, value,
                             float(data.flow_m3s[k]), spec.standard_mg_l(pollutant), p))
    payments = frame("compensation", [
        (run_id, year, p.month, p.section, p.payer, p.payee, p.amount_yuan, comp.rules.kind,
         p.reason, p.index) for year, p in comp.payments])
    return {"environment": frame("environment", rows), "compensation": payments}


def river_kpis(world: World, tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """The river KPIs of the run (NaN when the scenario has no river).

    ``cost_per_index_reduction_yuan`` is the abatement cost of the river pollutants by firms
    that discharge into the network, over ``cross_border_index_reduction``: the sum over
    years and cross-border sections of the index the year's unabated emissions would have
    given less the index of its realised emissions (both without sampling noise).
    """
    keys = ("section_compliance_rate", "cross_border_index", "cross_border_index_reduction",
            "transfers_to_upstream_yuan", "transfers_to_downstream_yuan",
            "central_topup_yuan", "cost_per_index_reduction_yuan")
    comp = world.compensation
    if comp is None:
        return dict.fromkeys(keys, np.nan)
    env = tables["environment"]
    met = _months_met(env)
    border = set(comp.judged) or {s for s, n in sections(comp.graph).items()
                                  if comp.graph.nodes[n]["section"].cross_border}
    judged = env[env["section"].isin(sorted(border))]
    cross = judged.drop_duplicates(["year", "sample", "section"])
    nets = [net_to_upstream([p for y, p in comp.payments if y == year], who)
            for year in sorted({y for y, _ in comp.payments})
            for who in {Parties(j.upstream, "") for j in comp.parties.values()
                        if j.upstream.startswith("gov:")}]
    reduction = sum(unabated - realised for _, section, realised, unabated in comp.index_free
                    if section in border)
    cost = _network_abatement_cost(world)
    return {
        "section_compliance_rate": float(met.mean()) if len(met) else np.nan,
        "cross_border_index": float(cross["index"].mean()) if len(cross) else np.nan,
        "cross_border_index_reduction": float(reduction),
        "transfers_to_upstream_yuan": float(sum(n for n in nets if n > 0)),
        "transfers_to_downstream_yuan": float(-sum(n for n in nets if n < 0)),
        "central_topup_yuan": float(sum(p.amount_yuan for _, p in comp.payments
                                        if is_topup(p))),
        "cost_per_index_reduction_yuan": cost / reduction if reduction > 0 else np.nan,
    }


def _months_met(env: pd.DataFrame) -> pd.Series:
    """Whether each section-month with a sample of every pollutant met its class: every
    pollutant's arithmetic monthly mean at or under its limit (missing samples left
    out, as in ``agents.monitoring.monthly_means``)."""
    present = env.dropna(subset=["concentration_mg_l"])
    means = present.groupby(["year", "month", "section", "pollutant"]).agg(
        c=("concentration_mg_l", "mean"), s=("standard_mg_l", "first"))
    months = (means["c"] <= means["s"]).groupby(level=["year", "month", "section"])
    graded = months.size() == env["pollutant"].nunique()  # every pollutant sampled
    return months.all()[graded]


def _network_abatement_cost(world: World) -> float:
    comp = world.compensation
    assert comp is not None
    inside = comp.assignment >= 0
    return float(sum(t.abatement_cost_yuan[inside[t.firms]].sum()
                     for _, t in world.years.true_ups if t.pollutant in comp.carried))
