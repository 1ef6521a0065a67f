"""Ecological compensation between the two governments, judged at cross-border sections.

Schemes (reference/domain.md section 5):

- ``bet``: the bidirectional water-quality bet of the Xin'an river. For each cross-border
  section, if the year's index ``P`` (the mean of its samples) is at most 1 the downstream
  government pays the upstream one ``amount_yuan``, otherwise the upstream pays downstream.
  With ``worsening_pays`` (Chongqing's 2018 rule) a section that meets its target but is
  worse than the year before also makes the upstream government pay.
- ``graded``: the same directions, but the payment is ``yuan_per_index * |P - 1|``, at most
  ``cap_yuan``.
- ``pool``: both governments pay their share of ``pool_yuan`` into a pool; the pool, with
  any central top-up, goes to the upstream government in the share of the year's
  cross-border samples that met the target (``P <= 1``), the rest to the downstream one.
- ``market``: no transfers; the river is only monitored.

A central top-up (``central_topup_yuan``) comes from outside the model each year: to the
upstream government under ``bet`` and ``graded``, into the pool under ``pool``.

The payment functions are pure: they turn index values into :class:`Payment` records.
:class:`Compensation` moves the money through the registry each year and applies the
regulators' response.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import networkx as nx
import numpy as np

from agents.budget import appropriate
from agents.regulator import Regulator
from agents.streams import Streams
from agents.river import (KG_PER_DAY_PER_T_YEAR, MG_L_PER_KG_DAY_PER_M3S, concentrations,
                          downstream_region, net_flows, sample_concentrations, section_index,
                          sections, upstream_region)
from exchange import CASH, OUTSIDE, Registry

__all__ = ["CENTRAL", "POOL", "Compensation", "Parties", "Payment", "SchemeRules",
           "bet_payments", "graded_payments", "net_to_upstream", "pool_payments",
           "scheme_payments"]

CENTRAL = OUTSIDE
"""The central government's budget is the registry's outside account."""
POOL = "pool:compensation"

Scheme = Literal["bet", "graded", "pool", "market"]


@dataclass(frozen=True, slots=True)
class Parties:
    """Who is upstream and downstream of a cross-border section (government accounts)."""

    upstream: str
    downstream: str


@dataclass(frozen=True, slots=True)
class Payment:
    """One transfer: who paid whom, how much, why, and the index that decided it."""

    payer: str
    payee: str
    amount_yuan: float
    reason: str
    index: float


@dataclass(frozen=True, slots=True)
class SchemeRules:
    """A scheme's parameters (yuan per year); unused ones are ignored by other schemes.

    Attributes:
        kind: ``bet``, ``graded``, ``pool`` or ``market``.
        amount_yuan: the bet per cross-border section.
        yuan_per_index: graded payment per unit of ``|P - 1|``.
        cap_yuan: largest graded payment per section.
        pool_yuan: the pool both governments pay into.
        upstream_share: the upstream government's share of the pool contributions.
        central_topup_yuan: the central government's yearly top-up.
        worsening_pays: under ``bet``, a section met but worse than the year before makes
            the upstream government pay.
        tighten_cap: after a year in which the upstream government is a net payer to the
            downstream one, it cuts its caps by this share from the next year on.
        fund_abatement: after such a year it also spends this share of its net payment on
            treating the load of towns and farms upstream (the river's background).
        fund_yuan_per_t: what removing one tonne a year of COD from that load costs, once.
    """

    kind: Scheme
    amount_yuan: float = 12e6
    yuan_per_index: float = 40e6
    cap_yuan: float = 12e6
    pool_yuan: float = 300e6
    upstream_share: float = 0.5
    central_topup_yuan: float = 0.0
    worsening_pays: bool = False
    tighten_cap: float = 0.0
    fund_abatement: float = 0.0
    fund_yuan_per_t: float = 20_000.0


def bet_payments(index: Mapping[str, float], parties: Mapping[str, Parties],
                 amount_yuan: float, last_year: Mapping[str, float] | None = None
                 ) -> list[Payment]:
    """The bet of each cross-border section, given the year's index by section.

    With ``last_year`` (the previous year's index by section: Chongqing's rule), a section
    that met its target but is worse than the year before counts as missed.
    """
    out = []
    for section, p in index.items():
        who = parties[section]
        before = (last_year or {}).get(section)
        worse = before is not None and p > before
        won = p <= 1 and not worse
        payer, payee = (who.downstream, who.upstream) if won else (who.upstream, who.downstream)
        reason = _verdict(section, p) + (f", worse than {before:.3f} the year before"
                                         if worse and p <= 1 else "")
        out.append(Payment(payer, payee, amount_yuan, reason, float(p)))
    return out


def graded_payments(index: Mapping[str, float], parties: Mapping[str, Parties],
                    yuan_per_index: float, cap_yuan: float) -> list[Payment]:
    """Payments growing with the distance of each section's index from 1, capped."""
    out = []
    for payment in bet_payments(index, parties, 0.0):
        amount = min(cap_yuan, yuan_per_index * abs(payment.index - 1))
        if amount > 0:
            out.append(Payment(payment.payer, payment.payee, amount, payment.reason,
                               payment.index))
    return out


def pool_payments(samples: Mapping[str, np.ndarray], parties: Mapping[str, Parties],
                  pool_yuan: float, upstream_share: float, topup_yuan: float
                  ) -> list[Payment]:
    """Contributions to the pool and its allocation by the share of samples that met.

    ``samples`` holds the index at each sampling date by cross-border section; every section
    must have the same two parties.
    """
    who = _one_pair(parties)
    values = np.concatenate([np.asarray(v, dtype=float) for v in samples.values()])
    met = float(np.mean(values <= 1)) if len(values) else 0.0
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


def scheme_payments(rules: SchemeRules, samples: Mapping[str, np.ndarray],
                    parties: Mapping[str, Parties],
                    last_year: Mapping[str, float] | None = None) -> list[Payment]:
    """Every payment of one year under ``rules``, from the index at each sample by
    cross-border section (the year's index is the samples' mean); ``last_year`` is the
    previous year's index by section, for the bet's ``worsening_pays`` rule."""
    index = {s: float(np.mean(v)) for s, v in samples.items()}
    match rules.kind:
        case "bet":
            out = bet_payments(index, parties, rules.amount_yuan,
                               last_year if rules.worsening_pays else None)
        case "graded":
            out = graded_payments(index, parties, rules.yuan_per_index, rules.cap_yuan)
        case "pool":
            return pool_payments(samples, parties, rules.pool_yuan, rules.upstream_share,
                                 rules.central_topup_yuan)
        case "market":
            return []
    if rules.central_topup_yuan:
        who = _one_pair(parties)
        mean = float(np.mean(list(index.values())))
        out.append(Payment(CENTRAL, who.upstream, rules.central_topup_yuan, "central top-up",
                           mean))
    return out


def _verdict(section: str, p: float) -> str:
    return f"{section}: index {p:.3f} {'met' if p <= 1 else 'missed'} the target"


def _one_pair(parties: Mapping[str, Parties]) -> Parties:
    pairs = set(parties.values())
    if len(pairs) != 1:
        raise ValueError(f"parties: a pool and a top-up need one upstream and one downstream "
                         f"government, got {sorted(map(str, pairs))}")
    return pairs.pop()


@dataclass
class Compensation:
    """Monitors the river at each true-up and settles the year's scheme.

    After the year's true-ups (:meth:`close_year`, phase ``river_close`` of the day
    schedule) the firms' realised emissions of that year are routed to every section; each
    of ``samples_per_year`` sampling dates sees the routed yearly mean times lognormal
    sampling noise from the year's stream ``("river", "sampling", year)``. The year's index
    at a section is the mean over its samples.
    """

    graph: nx.DiGraph[str]
    assignment: np.ndarray
    pollutants: tuple[str, ...]
    k0: float
    samples_per_year: int
    sampling_sigma: float
    rules: SchemeRules
    registry: Registry
    regulators: dict[str, Regulator]
    streams: Streams
    samples: list[tuple[int, str, str, np.ndarray, np.ndarray]] = field(default_factory=list)
    payments: list[tuple[int, Payment]] = field(default_factory=list)
    index_free: list[tuple[int, str, float, float]] = field(default_factory=list)
    funds: list[tuple[int, str, float, float]] = field(default_factory=list)
    """Abatement funded: year, government, yuan, tonnes of COD a year removed."""
    withdrawn_m3s: Mapping[int, Mapping[str, float]] = field(default_factory=dict)
    """Water withdrawn by year and reach, m3/s (agents.water); it lowers the flows."""
    min_flow_share: float = 0.0

    def __post_init__(self) -> None:
        self.carried = tuple(p for p in self.pollutants
                             if any(p in self.graph.nodes[n]["decay_per_day"]
                                    for n in self.graph))
        cross = [s for s, n in sections(self.graph).items()
                 if self.graph.nodes[n]["section"].cross_border]
        self.parties = {s: Parties(f"gov:{upstream_region(self.graph, s)}",
                                   f"gov:{downstream_region(self.graph, s)}") for s in cross}
        if self.rules.kind == "pool":
            self.registry.open_account(POOL)
        self._last_index: dict[str, float] = {}

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
        drawn = sample_concentrations(routed, self.samples_per_year, self.sampling_sigma,
                                      self.streams("river", "sampling", year))
        cross: dict[str, np.ndarray] = {}
        for section, by_pollutant in drawn.items():
            index = np.asarray(section_index(self.graph, section, by_pollutant, self.k0))
            for p, values in by_pollutant.items():
                self.samples.append((year, section, p, values, index))
            self.index_free.append((year, section, float(section_index(
                self.graph, section, routed[section], self.k0)), float(section_index(
                    self.graph, section, unabated[section], self.k0))))
            if section in self.parties:
                cross[section] = index
        self._settle(year, scheme_payments(self.rules, cross, self.parties, self._last_index))
        self._last_index = {s: float(np.mean(v)) for s, v in cross.items()}

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
        """After a year it paid the downstream government more than it received from it
        (directly or through the pool), the upstream government tightens its caps and
        funds abatement of the load upstream, as the scheme's rules say. The downstream
        government cannot change a section above its own firms, so it does not respond."""
        if not (self.rules.tighten_cap or self.rules.fund_abatement) or not self.parties:
            return
        who = _one_pair(self.parties)
        region = who.upstream.removeprefix("gov:")
        net = net_to_upstream(payments, who)
        if net >= -0.005:
            return
        if region in self.regulators:
            self.regulators[region].cap_scale *= 1 - self.rules.tighten_cap
        if self.rules.fund_abatement:
            self._fund(year, who.upstream, region, -net * self.rules.fund_abatement)

    def _fund(self, year: int, government: str, region: str, yuan: float) -> None:
        """Spend ``yuan`` on treating towns' and farms' load on the region's reaches: it
        removes ``yuan / fund_yuan_per_t`` tonnes a year of COD, shared over the reaches by
        their background COD load, and the same share of each reach's other background
        loads, from the next year on."""
        reaches = [n for n in self.graph if self.graph.nodes[n]["region"] == region]
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


def net_to_upstream(payments: Sequence[Payment], who: Parties) -> float:
    """What the downstream government's money gave the upstream one, net, in one year's
    payments, yuan (negative: the upstream paid the downstream).

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
