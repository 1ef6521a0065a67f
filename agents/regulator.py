"""Regulators: caps, allocation (free, benchmark or auction) and the yearly true-up.

Rules follow the 2023 Chongqing draft pollution-rights trading measures (yearly allocation and
surrender, sthjj.cq.gov.cn 2023-03-24) and, for penalties, the carbon-market template of
State Council Order 775 (fine of 5-10x the market value of the shortfall, and an equal cut of
next year's allocation); see reference/domain.md sections 1 and 4.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from agents.firms import Firms, abatement_cost, true_up_abatement
from exchange import CASH, OUTSIDE, Market, Registry, Side, retirement_account

Allocation = Literal["free", "benchmark", "auction"]


@dataclass(frozen=True, slots=True)
class RegulatorRules:
    """One region's regulator.

    Attributes:
        region: the region it governs.
        allocation: ``free`` (grandfathered on historic emissions), ``benchmark`` (sector
            benchmark intensity times this year's output) or ``auction`` (a primary call
            auction at a reserve price).
        cap_share: by pollutant, the cap in the first year as a share of the region's
            historic emissions.
        cap_decline: yearly cut of the cap as a share of the first year's cap.
        penalty_multiple: fine per missing tonne as a multiple of the market price.
        reserve_yuan_per_t: by pollutant, the auction's reserve price.
        cut_next_allocation: take a shortfall off next year's free allocation.
        own_allocation_t: by pollutant, firm account -> its own yearly free allocation, t,
            out of the cap; the region's other firms share what is left by the rule.
    """

    region: str
    allocation: Allocation
    cap_share: dict[str, float]
    cap_decline: float
    penalty_multiple: float
    reserve_yuan_per_t: dict[str, float]
    cut_next_allocation: bool = True
    own_allocation_t: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def account(self) -> str:
        return f"gov:{self.region}"


@dataclass
class TrueUp:
    """What a true-up found, per firm of the region, for one pollutant (arrays in tonnes
    and yuan)."""

    pollutant: str
    firms: np.ndarray
    surrendered_t: np.ndarray
    emissions_t: np.ndarray
    abatement_t: np.ndarray
    abatement_cost_yuan: np.ndarray
    env_tax_yuan: np.ndarray
    shortfall_t: np.ndarray
    penalty_yuan: np.ndarray
    unpaid_yuan: np.ndarray


@dataclass
class Regulator:
    """Allocates its region's cap and enforces it."""

    rules: RegulatorRules
    firms: Firms
    registry: Registry
    members: np.ndarray = field(init=False)
    cap_scale: float = field(init=False)
    firm_scale: dict[str, np.ndarray] = field(init=False)
    shortfall_t: dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        self.members = np.flatnonzero(self.firms.region == self.rules.region)
        self.cap_scale = 1.0  # a stress test may tighten every cap from a date on
        # a government may tighten some firms' share of some caps (agents.response)
        self.firm_scale = {p: np.ones(len(self.members)) for p in self.firms.pollutants}
        self.shortfall_t = {p: np.zeros(len(self.members)) for p in self.firms.pollutants}

    def cap_t(self, pollutant: str, year_index: int) -> float:
        """The region's cap for a pollutant in a year, t."""
        j = self.firms.pollutant(pollutant)
        # a product then a sum, as the plain sum was: untouched scales change no bit
        historic = float((self.firms.baseline_t[self.members, j]
                          * self.firm_scale[pollutant]).sum())
        share = self.rules.cap_share[pollutant] * (1 - self.rules.cap_decline * year_index)
        return max(0.0, historic * share * self.cap_scale)

    def tighten(self, firms: np.ndarray, pollutants: list[str], share: float) -> None:
        """Cut the listed firms' part of the caps of ``pollutants`` by ``share`` from the
        next allocation on: the region's cap falls by that part, and under free or
        benchmark allocation so do those firms' allocations (others keep theirs).

        Args:
            firms: indices into the world's firms; non-members are ignored.
            pollutants: the pollutants whose caps are cut.
            share: the cut, 0 to 1.
        """
        mine = np.isin(self.members, firms)
        for p in pollutants:
            self.firm_scale[p][mine] *= 1 - share

    def allocation_t(self, pollutant: str, year_index: int) -> np.ndarray:
        """Free allocation of each member firm, t (zero under auction)."""
        if self.rules.allocation == "auction":
            return np.zeros(len(self.members))
        j = self.firms.pollutant(pollutant)
        if self.rules.allocation == "free":
            weight = self.firms.baseline_t[self.members, j]
        else:
            weight = self.firms.current_output[self.members] * _sector_benchmark(
                self.firms, self.members, j)
        weight = weight * self.firm_scale[pollutant]
        allocation = self._share_out(self.cap_t(pollutant, year_index), weight, pollutant)
        if self.rules.cut_next_allocation:
            allocation = np.maximum(0.0, allocation - self.shortfall_t[pollutant])
        return allocation

    def _share_out(self, cap_t: float, weight: np.ndarray, pollutant: str) -> np.ndarray:
        """The cap by weight, after the firms with an allocation of their own have it."""
        own_t = self.rules.own_allocation_t.get(pollutant, {})
        own = np.array([own_t.get(self.firms.ids[i], np.nan) for i in self.members])
        listed = ~np.isnan(own)
        rest = np.where(listed, 0.0, weight)
        left = max(0.0, cap_t - float(own[listed].sum())) if listed.any() else cap_t
        total = rest.sum()
        shares = rest / total if total > 0 else np.zeros_like(rest)
        allocation: np.ndarray = np.where(listed, own, left * shares)
        return allocation

    def allocate(self, market: Market, pollutant: str, year_index: int, issuer: str
                 ) -> np.ndarray:
        """Issue the year's free allocation into member accounts; return it in t."""
        allocation = self.allocation_t(pollutant, year_index)
        instrument = market.instrument
        for k, firm in enumerate(self.members):
            units = int(allocation[k] * instrument.scale)
            self.registry.issue(issuer, self.firms.ids[firm], instrument.symbol, units,
                                memo="free allocation")
        return allocation

    def offer_at_auction(self, primary: Market, pollutant: str, year_index: int,
                         issuer: str) -> int:
        """Issue the cap to the regulator and offer it at the reserve; return lots offered."""
        instrument = primary.instrument
        lots = int(self.cap_t(pollutant, year_index) / instrument.lot_quantity)
        self.registry.issue(issuer, self.rules.account, instrument.symbol,
                            lots * instrument.lot_units, memo="for auction")
        reserve = instrument.ticks_for_yuan(self.rules.reserve_yuan_per_t[pollutant]
                                            * instrument.lot_quantity)
        if lots:
            primary.submit(self.rules.account, Side.SELL, lots, reserve)
        return lots

    def true_up(self, pollutant: str, symbols: list[str], scale: int, price_yuan_per_t: float
                ) -> TrueUp:
        """Surrender, abate, pay tax and penalties for one pollutant's year.

        Holdings of every symbol in ``symbols`` (oldest first) count; ``scale`` is registry
        units per tonne and the price, in yuan/t, sets the penalty. Costs are paid from
        the firm's cash as far as it goes; the rest is recorded as unpaid.
        """
        f, reg, rules = self.firms, self.registry, self.rules
        j = f.pollutant(pollutant)
        ids = [f.ids[i] for i in self.members]
        held = np.array([[reg.available(a, s) for s in symbols] for a in ids], dtype=np.int64)
        held = held.reshape(len(ids), len(symbols))
        held_t = held.sum(axis=1) / scale
        emissions_before = f.current_t[self.members, j]
        slope, tax = f.slope[self.members, j], f.tax[self.members, j]
        intercept = f.intercept[self.members, j]
        penalty = rules.penalty_multiple * price_yuan_per_t
        abated = true_up_abatement(slope, tax - intercept, emissions_before, held_t,
                                   np.full_like(slope, penalty),
                                   f.abatement_plan_t[self.members, j])
        emissions = emissions_before - abated
        due_units = np.ceil(emissions * scale - 1e-6).astype(np.int64)
        surrendered = np.zeros(len(ids), dtype=np.int64)
        for k, account in enumerate(ids):
            surrendered[k] = self._surrender(account, symbols, held[k], int(due_units[k]))
        shortfall = np.maximum(0, due_units - surrendered) / scale
        cost = abatement_cost(slope, abated, intercept)
        env_tax = tax * emissions
        fine = penalty * shortfall
        unpaid = np.array([pay_costs(reg, a, rules.account, c, t + p, "true-up")
                           for a, c, t, p in zip(ids, cost, env_tax, fine)])
        self.shortfall_t[pollutant] = shortfall
        return TrueUp(pollutant, self.members, surrendered / scale, emissions, abated, cost,
                      env_tax, shortfall, fine, unpaid)

    def _surrender(self, account: str, symbols: list[str], held: np.ndarray, due: int) -> int:
        done = 0
        for symbol, units in zip(symbols, held):
            give = int(min(units, due - done))
            if give > 0:
                zone = symbol.split(":")[1]
                self.registry.surrender(account, retirement_account(zone), symbol, give,
                                        memo="true-up")
                done += give
        return done


def pay_costs(registry: Registry, account: str, government: str, spent_yuan: float,
              owed_yuan: float, memo: str) -> float:
    """Pay spending (abatement, saving water) out of the model and taxes and fines to the
    government, as far as the firm's cash goes; return what it could not pay, yuan."""
    unpaid = 0.0
    for creditor, yuan in ((OUTSIDE, spent_yuan), (government, owed_yuan)):
        fen = int(round(yuan * 100))
        paid = min(fen, registry.cash(account))
        registry.transfer(account, creditor, CASH, paid, memo=memo)
        unpaid += (fen - paid) / 100
    return unpaid


def _sector_benchmark(firms: Firms, members: np.ndarray, j: int) -> np.ndarray:
    """Each member's sector benchmark intensity: the sector's median emissions per output."""
    intensity = firms.baseline_t[members, j] / np.maximum(firms.output[members], 1e-12)
    sectors = firms.sector[members]
    out = np.zeros(len(members))
    for sector in np.unique(sectors):
        mask = sectors == sector
        out[mask] = np.median(intensity[mask])
    return out
