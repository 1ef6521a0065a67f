"""Ecological compensation between the governments, judged at monitored sections.

Schemes (reference/domain.md section 5; the rules of each in ``agents.schemes``, the
averaging and indices in ``agents.monitoring``):

- ``bet``: the Xin'an bidirectional bet, yearly per section on ``P = K0 sum k_i C_i/C0_i``
  against a baseline.
- ``graded``: yearly payments by bands of the same index.
- ``pool``: both governments pay into a pool, allocated to the upstream one in the share of
  the year's samples whose index met the target, the rest to the downstream one.
- ``chongqing``: Chongqing's 2018 rule, monthly per section against the class limits.
- ``excess``: monthly grading by the excess over the class limits.
- ``load``: monthly payments per tonne of load above the class limits.
- ``market``: no transfers; the river is only monitored.

Who pays whom at a section is configurable (``parties``, default: the region of the reach
above the section and of the reach below it). A central top-up (``central_topup_yuan``)
comes from outside the model each year: into the pool under ``pool``, else shared equally
by the distinct upstream governments.

:class:`Compensation` moves the money through the registry each year and applies the
upstream government's response.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from agents.budget import appropriate
from agents.hydrology import Hydrology, flow_factors, sample_year
from agents.monitoring import SectionYear
from agents.regulator import Regulator
from agents.response import (RIVER_POLLUTANTS, draining_reaches, expected_net,
                             planning_draws, responders, treat)
from agents.river import (GB3838_MG_L, concentrations, downstream_region, net_flows, sections,
                          upstream_region)
from agents.schemes import (CENTRAL, DEFAULT_BANDS, POOL, IndexRules, Judged, Parties,
                            Payment, SchemeRules, net_to_upstream, pool_payments,
                            sample_indices, scheme_payments, section_payments)
from agents.streams import Streams
from exchange import CASH, OUTSIDE, Registry

__all__ = ["CENTRAL", "DEFAULT_BANDS", "POOL", "Compensation", "Judged", "Parties", "Payment",
           "SchemeRules", "class_limits", "default_parties", "net_to_upstream",
           "pool_payments", "sample_indices", "scheme_payments", "section_payments"]

@dataclass
class Compensation:
    """Monitors the river each year and settles the year's scheme.

    After the year's true-ups (:meth:`close_year`, phase ``river_close`` of the day
    schedule) the firms' realised emissions of that year are routed to every section at
    the mean flow (less withdrawals), and a year of flows and samples is drawn
    (``agents.hydrology``). A section-year found in ``observed`` replaces the simulated one.

    Attributes:
        judged: the sections the scheme judges, with their parties, baselines and limits.
        baselines: every section's baseline concentration by pollutant (the environment
            table's index is against it).
    """

    graph: nx.DiGraph[str]
    assignment: np.ndarray
    pollutants: tuple[str, ...]
    rules: SchemeRules
    registry: Registry
    regulators: dict[str, Regulator]
    streams: Streams
    judged: dict[str, Judged]
    baselines: dict[str, dict[str, float]]
    hydrology: Hydrology = Hydrology()
    observed: Mapping[tuple[int, str], SectionYear] = field(default_factory=dict)
    records: list[tuple[int, str, str, SectionYear, np.ndarray]] = field(default_factory=list)
    """Year, section, source (``simulated`` or ``observed``), samples, sample indices."""
    payments: list[tuple[int, Payment]] = field(default_factory=list)
    index_free: list[tuple[int, str, float, float]] = field(default_factory=list)
    """Year, section, index of the routed and of the unabated emissions (mean flow)."""
    funds: list[tuple[int, str, float, float]] = field(default_factory=list)
    """Abatement funded: year, government, yuan, tonnes of COD a year removed."""
    factors: dict[int, np.ndarray] = field(default_factory=dict)
    """The months' flow factors by year."""
    final_year: int = 0
    """The run's last year (the ``expected`` rule weighs the years left)."""
    plans: list[tuple[int, str, float, float]] = field(default_factory=list)
    """``expected`` rule: year, government, E[net] without treatment, spending chosen."""
    tightened: list[tuple[int, str, int]] = field(default_factory=list)
    """Caps tightened: year, government, firms on its draining reaches."""
    withdrawn_m3s: Mapping[int, Mapping[str, float]] = field(default_factory=dict)
    """Water withdrawn by year and reach, m3/s (agents.water); it lowers the flows."""
    min_flow_share: float = 0.0

    def __post_init__(self) -> None:
        self.carried = tuple(p for p in self.pollutants
                             if any(p in self.graph.nodes[n]["decay_per_day"]
                                    for n in self.graph))
        if self.rules.kind == "pool":
            self.registry.open_account(POOL)
        self._last: dict[str, SectionYear] = {}

    @property
    def parties(self) -> dict[str, Parties]:
        """Who pays whom, by judged section."""
        return {s: j.parties for s, j in self.judged.items()}

    def close_year(self, year: int, emissions_t: np.ndarray, unabated_t: np.ndarray) -> None:
        """Monitor the year and settle it.

        Args:
            year: the calendar year.
            emissions_t: each firm's realised emissions, t, shape (firms, pollutants).
            unabated_t: what each firm would have emitted without abatement, same shape.
        """
        cols = [self.pollutants.index(p) for p in self.carried]
        flows = (net_flows(self.graph, self.withdrawn_m3s[year], self.min_flow_share)
                 if year in self.withdrawn_m3s else None)
        routed = self._routed(emissions_t[:, cols], flows)
        unabated = self._routed(unabated_t[:, cols], flows)
        located = sections(self.graph)
        at_section = {s: (flows or {}).get(n, self.graph.nodes[n]["flow_m3s"])
                      for s, n in located.items()}
        self.factors[year] = flow_factors(self.hydrology,
                                          self.streams("river", "hydrology", year))
        drawn = sample_year(routed, at_section, self.factors[year], self.hydrology,
                            self.streams("river", "sampling", year),
                            self.streams("river", "gaps", year))
        data = {}
        for section, simulated in drawn.items():
            seen = self.observed.get((year, section))
            data[section] = simulated if seen is None else seen
            self.records.append((year, section, "simulated" if seen is None else "observed",
                                 data[section], self._indices(section, data[section])))
            self.index_free.append((year, section, self._index(section, routed[section]),
                                    self._index(section, unabated[section])))
        payments = scheme_payments(self.rules, data, self._last, self.judged)
        self._settle(year, payments)
        self._last = data
        self._respond(year, payments, routed, at_section)

    def _indices(self, section: str, year: SectionYear) -> np.ndarray:
        """Each sample's index against the section's baseline, the scheme's weights taken
        over the pollutants sampled and scaled to sum to one."""
        weights = {p: w for p, w in self.rules.index.weights.items() if p in year.mg_l}
        total = sum(weights.values())
        weights = ({p: w / total for p, w in weights.items()} if total > 0
                   else {p: 1 / len(year.mg_l) for p in year.mg_l})
        return sample_indices(year, self.baselines[section],
                              IndexRules(self.rules.index.k0, weights))

    def _index(self, section: str, mg_l: Mapping[str, float]) -> float:
        one = SectionYear(np.array([1]), {p: np.array([c]) for p, c in mg_l.items()},
                          np.array([np.nan]))
        return float(self._indices(section, one)[0])

    def _routed(self, emissions_t: np.ndarray, flows: Mapping[str, float] | None
                ) -> dict[str, dict[str, float]]:
        """Routed concentrations of the pollutants the scenario holds (others are left out
        of the index, which would see only their background)."""
        routed = concentrations(self.graph, self.assignment, emissions_t, self.carried, flows)
        return {s: {p: c for p, c in by.items() if p in self.carried}
                for s, by in routed.items()}

    def _settle(self, year: int, payments: Sequence[Payment]) -> None:
        last_payout = max((k for k, p in enumerate(payments) if p.payer == POOL), default=-1)
        for k, payment in enumerate(payments):
            fen = int(round(payment.amount_yuan * 100))
            if k == last_payout:  # the pool pays out all it holds, whatever the rounding
                fen = self.registry.cash(POOL)
            if payment.payer.startswith("gov:"):
                appropriate(self.registry, payment.payer, fen, "compensation")
            self.registry.transfer(payment.payer, payment.payee, CASH, fen,
                                   memo=f"compensation ({self.rules.kind}): {payment.reason}")
            self.payments.append((year, payment))

    def _respond(self, year: int, payments: Sequence[Payment],
                 routed: Mapping[str, Mapping[str, float]], flows: Mapping[str, float]
                 ) -> None:
        """Each judged government responds by the scheme's rule (``agents.response``)."""
        rules = self.rules
        if rules.kind == "market" or not (rules.tighten_cap or rules.fund_abatement
                                          or rules.budget_yuan):
            return
        for government in responders(self.judged):
            if rules.response_rule == "myopic":
                net = net_to_upstream(payments, Parties(government, ""))
                paid = net < -0.005
                spend = -net * rules.fund_abatement if paid else 0.0
            else:
                paid, spend = self._plan(year, government, routed, flows)
            if paid and rules.tighten_cap:
                self._tighten(year, government)
            if spend > 0.005:
                self._fund(year, government, spend)

    def _plan(self, year: int, government: str, routed: Mapping[str, Mapping[str, float]],
              flows: Mapping[str, float]) -> tuple[bool, float]:
        """The ``expected`` rule: whether the government expects to pay next year without
        treatment, and the spending that maximises ``R * E[net(x)] - x``."""
        rules = self.rules
        draws = planning_draws(self.hydrology, self.streams("river", "planning", year),
                               rules.planning_draws)
        noise = self.streams("river", "planning-noise", year)
        years_left = max(0, self.final_year - year)
        steps = max(1, rules.planning_steps)
        candidates = [rules.budget_yuan * k / steps for k in range(steps + 1)]
        values = [expected_net(self.graph, rules, self.judged, government, routed, flows,
                               self._last, self.hydrology, x, draws, noise) for x in candidates]
        scores = [years_left * v - x for v, x in zip(values, candidates)]
        best = candidates[int(np.argmax(scores))] if years_left else 0.0
        self.plans.append((year, government, values[0], best))
        return values[0] < -0.005, best

    def _tighten(self, year: int, government: str) -> None:
        """Cut the river pollutants' caps of the firms on the government's draining
        reaches (never air pollutants, never firms off those reaches)."""
        region = government.removeprefix("gov:")
        if region not in self.regulators:
            return
        names = list(self.graph)
        reaches = [names.index(n) for n in draining_reaches(self.graph, self.judged,
                                                            government)]
        on_river = np.flatnonzero(np.isin(self.assignment, reaches))
        water = [p for p in self.pollutants if p in RIVER_POLLUTANTS]
        self.regulators[region].tighten(on_river, water, self.rules.tighten_cap)
        self.tightened.append((year, government, len(on_river)))

    def _fund(self, year: int, government: str, yuan: float) -> None:
        """Spend ``yuan`` on treating the load of towns and farms on the government's
        draining reaches (``agents.response.treat``), paid to ``outside``."""
        reaches = draining_reaches(self.graph, self.judged, government)
        if not any(self.graph.nodes[n]["background_mg_l"].get("COD") for n in reaches):
            return
        fen = int(round(yuan * 100))
        appropriate(self.registry, government, fen, "the abatement fund")
        self.registry.transfer(government, OUTSIDE, CASH, fen, memo="abatement fund")
        treat(self.graph, reaches, yuan, self.rules.fund_yuan_per_t)
        self.funds.append((year, government, yuan, yuan / self.rules.fund_yuan_per_t))


def default_parties(graph: nx.DiGraph[str], section: str) -> Parties:
    """The governments of the reach above a section and of the reach below it."""
    return Parties(f"gov:{upstream_region(graph, section)}",
                   f"gov:{downstream_region(graph, section)}")


def class_limits(section_class: str, pollutants: Sequence[str]) -> dict[str, float]:
    """GB 3838-2002 limits of a class by pollutant, mg/L."""
    return {p: GB3838_MG_L[p][section_class] for p in pollutants}
