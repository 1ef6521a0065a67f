"""What each compensation scheme pays for one section, from its monitoring data.

Pure functions: a year of samples (:class:`agents.monitoring.SectionYear`) in, a list of
:class:`Payment` out. The averaging rules and indices are those of ``agents.monitoring``.
Positive amounts always; the direction is in ``payer`` and ``payee``.

- ``bet`` (Xin'an, yearly): ``P <= 1`` (and, with the per-pollutant check, every
  pollutant's own index) -> the downstream party pays the upstream ``amount_yuan``;
  otherwise the upstream pays the downstream.
- ``graded`` (yearly): ``P`` falls in the first band whose ``max_index`` it does not
  exceed; the band's ``yuan`` goes to the upstream party if positive, from it if negative.
- ``chongqing`` (monthly, Chongqing 2018): a month meeting the section's class and not
  worse than the same month last year -> downstream pays upstream ``monthly_yuan``; met but
  worse -> upstream pays downstream ``monthly_yuan``; missed -> upstream pays downstream
  ``fail_yuan_per_month``. "Worse" compares the mean class ratio ``mean_i C_i / S_i``
  with the same month's a year before; a month without one is not worse.
- ``excess`` (monthly): upstream pays downstream ``yuan_per_excess`` times the month's
  excess ``sum_i max(0, C_i / S_i - 1)``; a month that meets its class earns the upstream
  ``met_yuan_per_month`` from the downstream.
- ``load`` (monthly): upstream pays downstream ``yuan_per_t[i]`` per tonne of the load
  above the class limit, ``(C_i - S_i) * Q * 86.4 kg/day * 365/12 days / 1000``, summed
  over pollutants over their limits, ``Q`` the arithmetic mean of the month's measured
  flows; a month without a measured flow pays nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from agents.monitoring import (Averaging, SectionYear, annual_means, class_excess, class_met,
                               class_ratio, monthly_flows, monthly_means, pollutant_indices,
                               xinan_index)
from exchange import OUTSIDE

__all__ = ["CENTRAL", "DAYS_PER_MONTH", "DEFAULT_BANDS", "POOL", "IndexRules", "Judged",
           "Parties", "Payment", "SchemeRules", "band_yuan", "bet_yuan", "chongqing_payments",
           "excess_payments", "excess_tonnes", "is_topup", "load_payments", "net_received",
           "net_to_upstream", "pool_payments", "sample_indices", "scheme_payments",
           "section_payments", "xinan_payment", "xinan_verdict"]

DAYS_PER_MONTH = 365 / 12
"""Every month counts 365/12 days in a load."""


@dataclass(frozen=True, slots=True)
class Parties:
    """Who is upstream and downstream of a section (registry accounts)."""

    upstream: str
    downstream: str


@dataclass(frozen=True, slots=True)
class Payment:
    """One transfer: who paid whom, how much, why, the index that decided it, and the
    section and month (0: the whole year) it is for."""

    payer: str
    payee: str
    amount_yuan: float
    reason: str
    index: float
    section: str = ""
    month: int = 0


@dataclass(frozen=True, slots=True)
class IndexRules:
    """A Xin'an type index: ``K0``, weights ``k_i`` by pollutant, the per-pollutant check
    and the averaging rule of the year's mean."""

    k0: float = 0.85
    weights: Mapping[str, float] = field(default_factory=lambda: {"COD": 0.5, "NH3N": 0.5})
    per_pollutant: bool = False
    averaging: Averaging = "arithmetic"


def xinan_verdict(year: SectionYear, baseline_mg_l: Mapping[str, float], rules: IndexRules
                  ) -> tuple[float, bool] | None:
    """The year's index ``P`` and whether it met the target; None without data."""
    means = annual_means(year, rules.averaging)
    if any(math.isnan(means.get(p, math.nan)) for p in rules.weights):
        return None  # a weighted pollutant has no sample this year
    p = xinan_index(means, baseline_mg_l, rules.weights, rules.k0)
    met = p <= 1
    if rules.per_pollutant:
        met = met and all(v <= 1 for v in pollutant_indices(
            means, baseline_mg_l, rules.weights, rules.k0).values())
    return p, met


def xinan_payment(section: str, verdict: tuple[float, bool], who: Parties,
                  to_upstream_yuan: float) -> Payment | None:
    """A yearly payment decided by the verdict: ``to_upstream_yuan`` from the downstream
    party to the upstream one if positive, its size the other way if negative."""
    p, met = verdict
    if to_upstream_yuan == 0:
        return None
    payer, payee = ((who.downstream, who.upstream) if to_upstream_yuan > 0 else
                    (who.upstream, who.downstream))
    reason = f"{section}: index {p:.3f} {'met' if met else 'missed'} the target"
    return Payment(payer, payee, abs(to_upstream_yuan), reason, p, section)


def bet_yuan(verdict: tuple[float, bool], amount_yuan: float) -> float:
    """The bet towards the upstream party: ``+amount`` if met, ``-amount`` if missed."""
    return amount_yuan if verdict[1] else -amount_yuan


def band_yuan(index: float, bands: Sequence[tuple[float, float]]) -> float:
    """The ``yuan`` of the first band ``(max_index, yuan)`` whose ``max_index`` the index
    does not exceed (a value on a boundary belongs to the lower band); 0 above them all."""
    for top, yuan in bands:
        if index <= top:
            return yuan
    return 0.0


def chongqing_payments(section: str, year: SectionYear, last_year: SectionYear | None,
                       limits_mg_l: Mapping[str, float], who: Parties, monthly_yuan: float,
                       fail_yuan: float, rule: Averaging) -> list[Payment]:
    """Chongqing's 2018 rule, month by month (module docstring)."""
    before = monthly_means(last_year, rule) if last_year is not None else {}
    out = []
    for month, mg_l in monthly_means(year, rule).items():
        ratio = _mean(class_ratio(mg_l, limits_mg_l))
        last = _mean(class_ratio(before[month], limits_mg_l)) if month in before else None
        if not class_met(mg_l, limits_mg_l):
            out.append(Payment(who.upstream, who.downstream, fail_yuan,
                               f"{section} month {month}: missed its class", ratio,
                               section, month))
        elif last is not None and ratio > last:
            out.append(Payment(who.upstream, who.downstream, monthly_yuan,
                               f"{section} month {month}: met its class but worse than "
                               f"{last:.3f} a year before", ratio, section, month))
        else:
            out.append(Payment(who.downstream, who.upstream, monthly_yuan,
                               f"{section} month {month}: met its class", ratio,
                               section, month))
    return [p for p in out if p.amount_yuan > 0]


def excess_payments(section: str, year: SectionYear, limits_mg_l: Mapping[str, float],
                    who: Parties, yuan_per_excess: float, met_yuan: float,
                    rule: Averaging) -> list[Payment]:
    """Monthly grading by excess over the class limits (module docstring)."""
    out = []
    for month, mg_l in monthly_means(year, rule).items():
        excess = class_excess(mg_l, limits_mg_l)
        if excess > 0:
            out.append(Payment(who.upstream, who.downstream, yuan_per_excess * excess,
                               f"{section} month {month}: {excess:.3f} times over its class",
                               excess, section, month))
        elif met_yuan > 0:
            out.append(Payment(who.downstream, who.upstream, met_yuan,
                               f"{section} month {month}: met its class", 0.0, section, month))
    return out


def load_payments(section: str, year: SectionYear, limits_mg_l: Mapping[str, float],
                  who: Parties, yuan_per_t: Mapping[str, float], rule: Averaging
                  ) -> list[Payment]:
    """Payments for the load above the class limits, month by month (module docstring)."""
    flows = monthly_flows(year)
    out = []
    for month, mg_l in monthly_means(year, rule).items():
        if month not in flows:
            continue
        tonnes = excess_tonnes(mg_l, limits_mg_l, flows[month])
        yuan = sum(t * yuan_per_t.get(p, 0.0) for p, t in tonnes.items())
        if yuan > 0:
            out.append(Payment(who.upstream, who.downstream, yuan,
                               f"{section} month {month}: {sum(tonnes.values()):.3f} t over "
                               "its class", sum(tonnes.values()), section, month))
    return out


def excess_tonnes(mg_l: Mapping[str, float], limits_mg_l: Mapping[str, float],
                  flow_m3s: float) -> dict[str, float]:
    """Tonnes in a month above the class limit by pollutant: ``(C - S)`` mg/L in ``Q``
    m3/s is ``(C - S) * Q * 86.4`` kg/day, over 365/12 days."""
    per_day_kg = {p: max(0.0, c - limits_mg_l[p]) * flow_m3s * 86.4 for p, c in mg_l.items()}
    return {p: kg * DAYS_PER_MONTH / 1_000 for p, kg in per_day_kg.items()}


def _mean(values: Mapping[str, float]) -> float:
    return sum(values.values()) / len(values)


def net_received(payments: Sequence[Payment], account: str) -> float:
    """What ``account`` received less what it paid, yuan."""
    return (sum(p.amount_yuan for p in payments if p.payee == account)
            - sum(p.amount_yuan for p in payments if p.payer == account))


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
        response_rule: how a judged government responds: ``myopic`` or ``expected``
            (``agents.response``).
        tighten_cap: the share by which it cuts the part of its river-pollutant caps held
            by firms on the reaches draining to its sections.
        fund_abatement: ``myopic``: the share of a year's net payment it spends on treating
            the load of towns and farms on those reaches.
        fund_yuan_per_t: what removing one tonne a year of COD from that load costs, once.
        budget_yuan: ``expected``: the largest treatment spending it weighs in a year.
        planning_steps: ``expected``: candidate spendings ``budget * k / steps``.
        planning_draws: ``expected``: years of flows its expectation averages over.
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
    response_rule: Literal["myopic", "expected"] = "myopic"
    tighten_cap: float = 0.0
    fund_abatement: float = 0.0
    fund_yuan_per_t: float = 20_000.0
    budget_yuan: float = 0.0
    planning_steps: int = 4
    planning_draws: int = 20


@dataclass(frozen=True, slots=True)
class Judged:
    """What the schemes need of one section: its parties, baseline and class limits."""

    parties: Parties
    baseline_mg_l: Mapping[str, float]
    limits_mg_l: Mapping[str, float]


def sample_indices(year: SectionYear, baseline_mg_l: Mapping[str, float],
                   rules: IndexRules) -> np.ndarray:
    """The Xin'an index of each sample (NaN where a weighted pollutant is missing)."""
    out = np.zeros(len(year.month))
    for p, w in rules.weights.items():
        out = out + w * np.asarray(year.mg_l[p], dtype=float) / baseline_mg_l[p]
    result: np.ndarray = rules.k0 * out
    return result


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


def net_to_upstream(payments: Sequence[Payment], who: Parties) -> float:
    """What others' money gave the upstream government, net, in one year's payments, yuan
    (negative: it paid out more than it received).

    Direct payments count both ways (the central budget's too where it is a section's
    party); through a pool, the upstream's payout less its own contribution and less its
    share of the central top-up. Central top-ups paid to the upstream directly do not
    count (:func:`is_topup`).
    """
    paid = sum(p.amount_yuan for p in payments if p.payer == who.upstream)
    received = sum(p.amount_yuan for p in payments
                   if p.payee == who.upstream and not is_topup(p))
    payouts = [p for p in payments if p.payer == POOL]
    total = sum(p.amount_yuan for p in payouts)
    if total:
        topup = sum(p.amount_yuan for p in payments if p.payer == CENTRAL and p.payee == POOL)
        mine = sum(p.amount_yuan for p in payouts if p.payee == who.upstream)
        received -= topup * mine / total
    return received - paid


def is_topup(payment: Payment) -> bool:
    """A central top-up: paid by the central budget for no section (a payment by the
    central budget as a section's party names its section)."""
    return payment.payer == CENTRAL and not payment.section
