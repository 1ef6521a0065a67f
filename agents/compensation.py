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
from typing import Literal

import networkx as nx
import numpy as np

from agents.budget import appropriate
from agents.hydrology import Hydrology, flow_factors, sample_year
from agents.monitoring import SectionYear, xinan_index
from agents.regulator import Regulator
from agents.river import (KG_PER_DAY_PER_T_YEAR, MG_L_PER_KG_DAY_PER_M3S, GB3838_MG_L,
                          concentrations, downstream_region, net_flows, sections,
                          upstream_region)
from agents.schemes import (IndexRules, Parties, Payment, band_yuan, bet_yuan,
                            chongqing_payments, excess_payments, load_payments,
                            xinan_payment, xinan_verdict)
from agents.streams import Streams
from exchange import CASH, OUTSIDE, Registry

__all__ = ["CENTRAL", "DEFAULT_BANDS", "POOL", "Compensation", "Judged", "Parties", "Payment",
           "SchemeRules", "class_limits", "default_parties", "net_to_upstream",
           "pool_payments", "sample_indices", "scheme_payments", "section_payments"]

CENTRAL = OUTSIDE
"""The central government's budget is the registry's outside account."""
POOL = "pool:compensation"

Scheme = Literal["bet", "graded", "pool", "chongqing", "excess", "load", "market"]

DEFAULT_BANDS: tuple[tuple[float, float], ...] = (
    (0.90, 12e6), (0.95, 8e6), (1.00, 4e6), (1.05, -4e6), (1.10, -8e6), (float("inf"), -12e6))
"""Graded bands ``(max_index, yuan to the upstream government)``: the bet's 12 m yuan at
the extremes, in thirds towards the target [L]."""


@dataclass(frozen=True, slots=True)
class SchemeRules:
    """A scheme's parameters (yuan); unused ones are ignored by other schemes.

    Attributes:
        kind: the scheme (module docstring).
        amount_yuan: the bet per section and year.
        bands: graded bands ``(max_index, yuan to upstream)``, ascending.
        pool_yuan: the pool both governments pay into each year.
        upstream_share: the upstream government's share of the pool contributions.
        central_topup_yuan: the central government's yearly top-up.
        monthly_yuan: Chongqing's monthly payment per section.
        fail_yuan_per_month: Chongqing's monthly payment of a section that missed its class.
        yuan_per_excess: ``excess``: yuan per month per unit of excess.
        met_yuan_per_month: ``excess``: paid to the upstream for a month that met its class.
        yuan_per_t: ``load``: yuan per tonne above the class limit, by pollutant.
        index: the Xin'an index (``bet``, ``graded``, ``pool``).
        averaging: the monthly schemes' averaging rule.
        tighten_cap: after a year in which the upstream government is a net payer to the
            downstream one, it cuts its caps by this share from the next year on.
        fund_abatement: after such a year it also spends this share of its net payment on
            treating the load of towns and farms upstream (the river's background).
        fund_yuan_per_t: what removing one tonne a year of COD from that load costs, once.
    """

    kind: Scheme
    amount_yuan: float = 12e6
    bands: tuple[tuple[float, float], ...] = DEFAULT_BANDS
    pool_yuan: float = 300e6
    upstream_share: float = 0.5
    central_topup_yuan: float = 0.0
    monthly_yuan: float = 1e6
    fail_yuan_per_month: float = 1e6
    yuan_per_excess: float = 1e6
    met_yuan_per_month: float = 0.0
    yuan_per_t: Mapping[str, float] = field(default_factory=dict)
    index: IndexRules = IndexRules()
    averaging: Literal["arithmetic", "flow_weighted"] = "arithmetic"
    tighten_cap: float = 0.0
    fund_abatement: float = 0.0
    fund_yuan_per_t: float = 20_000.0


@dataclass(frozen=True, slots=True)
class Judged:
    """What the schemes need of one section: its parties, baseline and class limits."""

    parties: Parties
    baseline_mg_l: Mapping[str, float]
    limits_mg_l: Mapping[str, float]


def sample_indices(year: SectionYear, baseline_mg_l: Mapping[str, float],
                   rules: IndexRules) -> np.ndarray:
    """The Xin'an index of each sample (NaN where a weighted pollutant is missing)."""
    values = {p: np.asarray(year.mg_l[p], dtype=float) for p in rules.weights}
    return np.asarray(xinan_index(values, baseline_mg_l, rules.weights, rules.k0))  # type: ignore[arg-type]


def section_payments(rules: SchemeRules, section: str, year: SectionYear,
                     last_year: SectionYear | None, judged: Judged) -> list[Payment]:
    """The payments of one section in one year under a per-section scheme."""
    who, limits = judged.parties, judged.limits_mg_l
    match rules.kind:
        case "bet" | "graded":
            verdict = xinan_verdict(year, judged.baseline_mg_l, rules.index)
            if verdict is None:
                return []
            yuan = (bet_yuan(verdict, rules.amount_yuan) if rules.kind == "bet"
                    else band_yuan(verdict[0], rules.bands))
            payment = xinan_payment(section, verdict, who, yuan)
            return [] if payment is None else [payment]
        case "chongqing":
            return chongqing_payments(section, year, last_year, limits, who,
                                      rules.monthly_yuan, rules.fail_yuan_per_month,
                                      rules.averaging)
        case "excess":
            return excess_payments(section, year, limits, who, rules.yuan_per_excess,
                                   rules.met_yuan_per_month, rules.averaging)
        case "load":
            return load_payments(section, year, limits, who, rules.yuan_per_t,
                                 rules.averaging)
    return []


def pool_payments(indices: Mapping[str, np.ndarray], parties: Mapping[str, Parties],
                  pool_yuan: float, upstream_share: float, topup_yuan: float
                  ) -> list[Payment]:
    """Contributions to the pool and its allocation by the share of samples that met.

    ``indices`` holds the index at each sampling date by section (NaN: missing, left out);
    every section must have the same two parties. Without a sample the pool goes back in
    the shares it came in.
    """
    who = _one_pair(parties)
    values = np.concatenate([np.asarray(v, dtype=float) for v in indices.values()])
    values = values[~np.isnan(values)]
    met = float(np.mean(values <= 1)) if len(values) else upstream_share
    mean = float(np.mean(values)) if len(values) else float("nan")
    total = pool_yuan + topup_yuan
    out = [Payment(who.upstream, POOL, pool_yuan * upstream_share, "pool contribution", mean),
           Payment(who.downstream, POOL, pool_yuan * (1 - upstream_share),
                   "pool contribution", mean)]
    if topup_yuan:
        out.append(Payment(CENTRAL, POOL, topup_yuan, "central top-up", mean))
    out += [Payment(POOL, who.upstream, total * met,
                    f"pool allocation: {met:.0%} of samples met the target", mean),
            Payment(POOL, who.downstream, total * (1 - met),
                    f"pool allocation: {1 - met:.0%} of samples missed the target", mean)]
    return [p for p in out if p.amount_yuan > 0]


def scheme_payments(rules: SchemeRules, years: Mapping[str, SectionYear],
                    last_years: Mapping[str, SectionYear], judged: Mapping[str, Judged]
                    ) -> list[Payment]:
    """Every payment of one year under ``rules`` at the judged sections (``years`` holds
    each judged section's samples; ``last_years`` the year before's, where known)."""
    if rules.kind == "market":
        return []
    if rules.kind == "pool":
        indices = {s: sample_indices(years[s], judged[s].baseline_mg_l, rules.index)
                   for s in judged}
        return pool_payments(indices, {s: j.parties for s, j in judged.items()},
                             rules.pool_yuan, rules.upstream_share, rules.central_topup_yuan)
    out = [p for s in judged
           for p in section_payments(rules, s, years[s], last_years.get(s), judged[s])]
    upstreams = sorted({j.parties.upstream for j in judged.values()} - {CENTRAL})
    for government in upstreams if rules.central_topup_yuan else ():
        out.append(Payment(CENTRAL, government, rules.central_topup_yuan / len(upstreams),
                           "central top-up", float("nan")))
    return out


def _one_pair(parties: Mapping[str, Parties]) -> Parties:
    pairs = set(parties.values())
    if len(pairs) != 1:
        raise ValueError(f"compensation.parties: a pool needs one upstream and one "
                         f"downstream party, got {sorted(map(str, pairs))}")
    return pairs.pop()


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

    def _indices(self, section: str, year: SectionYear) -> np.ndarray:
        weights = {p: w for p, w in self.rules.index.weights.items() if p in year.mg_l}
        rules = IndexRules(self.rules.index.k0, weights or {p: 1 / len(year.mg_l)
                                                              for p in year.mg_l})
        return sample_indices(year, self.baselines[section], rules)

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
        self._respond(year, payments)

    def _respond(self, year: int, payments: Sequence[Payment]) -> None:
        """After a year it paid the downstream parties more than it received from them
        (directly or through the pool), an upstream government tightens its caps and funds
        abatement of the load on the reaches draining to its judged sections, as the
        scheme's rules say."""
        if not (self.rules.tighten_cap or self.rules.fund_abatement):
            return
        for government in sorted({j.parties.upstream for j in self.judged.values()}):
            if not government.startswith("gov:"):
                continue
            net = net_to_upstream(payments, Parties(government, ""))
            if net >= -0.005:
                continue
            region = government.removeprefix("gov:")
            if region in self.regulators:
                self.regulators[region].cap_scale *= 1 - self.rules.tighten_cap
            if self.rules.fund_abatement:
                self._fund(year, government, region, -net * self.rules.fund_abatement)

    def _draining(self, government: str, region: str) -> list[str]:
        """The region's reaches draining to the sections ``government`` is judged on."""
        located = sections(self.graph)
        out: set[str] = set()
        for section, j in self.judged.items():
            if j.parties.upstream == government:
                reach = located[section]
                out |= nx.ancestors(self.graph, reach) | {reach}
        return [n for n in self.graph if n in out and self.graph.nodes[n]["region"] == region]

    def _fund(self, year: int, government: str, region: str, yuan: float) -> None:
        """Spend ``yuan`` on treating towns' and farms' load on the region's reaches that
        drain to its judged sections: it removes ``yuan / fund_yuan_per_t`` tonnes a year of
        COD, shared over the reaches by their background COD load, and the same share of
        each reach's other background loads, from the next year on."""
        reaches = self._draining(government, region)
        load = {n: self.graph.nodes[n]["background_mg_l"].get("COD", 0.0)
                * self.graph.nodes[n]["flow_m3s"] for n in reaches}
        total = sum(load.values())
        if total <= 0:
            return
        fen = int(round(yuan * 100))
        appropriate(self.registry, government, fen, "the abatement fund")
        self.registry.transfer(government, OUTSIDE, CASH, fen, memo="abatement fund")
        removed_kg_day = yuan / self.rules.fund_yuan_per_t * KG_PER_DAY_PER_T_YEAR
        for n in reaches:
            background = self.graph.nodes[n]["background_mg_l"]
            if not background.get("COD"):
                continue
            cut_mg_l = removed_kg_day * load[n] / total * MG_L_PER_KG_DAY_PER_M3S \
                / self.graph.nodes[n]["flow_m3s"]
            share = min(1.0, cut_mg_l / background["COD"])
            for p in background:
                background[p] *= 1 - share
        self.funds.append((year, government, yuan, yuan / self.rules.fund_yuan_per_t))


def default_parties(graph: nx.DiGraph[str], section: str) -> Parties:
    """The governments of the reach above a section and of the reach below it."""
    return Parties(f"gov:{upstream_region(graph, section)}",
                   f"gov:{downstream_region(graph, section)}")


def class_limits(section_class: str, pollutants: Sequence[str]) -> dict[str, float]:
    """GB 3838-2002 limits of a class by pollutant, mg/L."""
    return {p: GB3838_MG_L[p][section_class] for p in pollutants}


def net_to_upstream(payments: Sequence[Payment], who: Parties) -> float:
    """What others' money gave the upstream government, net, in one year's payments, yuan
    (negative: it paid out more than it received).

    Direct payments count both ways; through a pool, the upstream's payout less its own
    contribution and less its share of the central top-up. Central top-ups paid to the
    upstream directly do not count.
    """
    paid = sum(p.amount_yuan for p in payments if p.payer == who.upstream)
    received = sum(p.amount_yuan for p in payments
                   if p.payee == who.upstream and p.payer != CENTRAL)
    payouts = [p for p in payments if p.payer == POOL]
    total = sum(p.amount_yuan for p in payouts)
    if total:
        topup = sum(p.amount_yuan for p in payments if p.payer == CENTRAL and p.payee == POOL)
        mine = sum(p.amount_yuan for p in payouts if p.payee == who.upstream)
        received -= topup * mine / total
    return received - paid
