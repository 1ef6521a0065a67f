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
  ``fail_yuan_per_month``. "Worse" compares the mean class ratio ``mean_i C_i / S_i``.
- ``excess`` (monthly): upstream pays downstream ``yuan_per_excess`` times the month's
  excess ``sum_i max(0, C_i / S_i - 1)``; a month that meets its class earns the upstream
  ``met_yuan_per_month`` from the downstream.
- ``load`` (monthly): upstream pays downstream ``yuan_per_t[i]`` per tonne of the load
  above the class limit, ``(C_i - S_i) * Q * 86.4 kg/day * 365/12 days / 1000``, summed
  over pollutants over their limits; a month without a measured flow pays nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from agents.monitoring import (Averaging, SectionYear, annual_means, class_excess, class_met,
                               class_ratio, monthly_flows, monthly_means, pollutant_indices,
                               xinan_index)

__all__ = ["DAYS_PER_MONTH", "IndexRules", "Parties", "Payment", "band_yuan", "bet_yuan",
           "chongqing_payments", "excess_payments", "excess_tonnes", "load_payments",
           "net_received", "xinan_payment", "xinan_verdict"]

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
    if any(means.get(p, float("nan")) != means.get(p, float("nan")) for p in rules.weights):
        return None  # NaN: a weighted pollutant has no sample this year
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

