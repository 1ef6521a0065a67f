"""The monthly credit cycle: defaults, debt service, margin calls, new lending.

Each month, just after midnight of its first trading day (before the market opens):

1. in the first month of a year, draw the year's systematic factor and, from the one-factor
   model (:mod:`agents.risk`), which firms fail this year and in which month;
2. service every performing loan: a failing firm defaults on all its loans (cross-default),
   and so does a firm whose cash cannot meet what is due;
3. mark pledged rights to the market: a fall past the margin-call trigger is met with more
   rights or cash, or the loan defaults;
4. take loan requests (working capital; green abatement investment in January) and grant
   them by the scenario's joint-credit regime;
5. book interest, refinancing and the month's balance sheets.

Pledges, margin calls, foreclosures and fire sales are :mod:`agents.collateral`'s.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from agents.banks import Bank, CreditPolicy, JointRules, Loan, Purpose, Regime
from agents.collateral import Collateral, Event
from agents.committee import Ballot, allocate, forms, passes
from agents.firms import Firms
from agents.platform import CreditPlatform
from agents.ratings import grade_of
from agents.risk import asset_correlation, draw_defaults, risk_weighted_assets
from agents.streams import Streams
from exchange import CASH, OUTSIDE, Clock, Registry, Venue

CENTRAL_BANK = "pboc"


@dataclass(frozen=True, slots=True)
class CreditDemand:
    """What makes firms borrow [L].

    Attributes:
        target_leverage: median debt the firms aim for, in years of operating cash flow;
            they borrow for their business (bullet loans of ``business_months``) up to it.
        leverage_sigma: spread of the target across firms (lognormal); firms aiming above
            the banks' ceiling are the ones that over-borrow where banks cannot see it.
        leverage_pd: elasticity of a firm's PD to leverage above the median target.
        business_months: term of business loans.
        buffer_months: months of environmental costs a firm wants in cash; it borrows
            working capital, secured by its rights, when it falls short.
        working_capital_months: term of working-capital loans.
        invest_cut: share by which an abatement investment cuts the MAC slope.
        invest_cost_yuan_per_t: investment per tonne a year of baseline emissions.
        invest_term_months: term of green abatement loans.
        min_loan_yuan: smallest loan a bank books.
    """

    target_leverage: float = 2.5
    leverage_sigma: float = 0.5
    leverage_pd: float = 0.35
    business_months: int = 36
    buffer_months: float = 3.0
    working_capital_months: int = 12
    invest_cut: float = 0.3
    invest_cost_yuan_per_t: float = 3000.0
    invest_term_months: int = 60
    min_loan_yuan: float = 100_000.0


class Credit:
    """Banks lending to firms under one joint-credit regime."""

    def __init__(self, clock: Clock, venue: Venue, registry: Registry, firms: Firms,
                 banks: list[Bank], policy: CreditPolicy, joint: JointRules, regime: Regime,
                 platform: CreditPlatform, demand: CreditDemand, streams: Streams) -> None:
        self.venue, self.registry, self.firms = venue, registry, firms
        self.banks = {b.name: b for b in banks}
        self.policy, self.joint, self.regime = policy, joint, regime
        self.platform = platform
        self.demand = demand
        self.streams = streams
        self.loans: list[Loan] = []
        self.events: list[Event] = []
        self.monthly: list[tuple[int, str, str, *tuple[float, ...]]] = []
        self.factors: dict[int, float] = {}
        self.failures: dict[int, np.ndarray] = {}
        self.exposed: dict[int, np.ndarray] = {}
        """By year: the firms the year's failure draw concerned (those not yet defaulted)."""
        self.pd_at_draw: dict[int, np.ndarray] = {}
        self.pd_multiplier = np.ones(len(firms))
        self.defaulted = firms.defaulted
        self.invested = np.zeros(len(firms), dtype=bool)
        self._fail_month = np.full(len(firms), -1)
        leverage, sigma = streams("credit", "leverage"), demand.leverage_sigma
        self.target_leverage = demand.target_leverage * leverage.lognormal(
            -sigma**2 / 2, sigma, len(firms))
        self._ids = itertools.count(1)
        self._debt = np.zeros(len(firms), dtype=np.int64)  # kept in step with exposures
        self._loans_of: dict[int, list[Loan]] = defaultdict(list)
        self._pd = np.zeros(len(firms))  # PDs of the month, fixed at its start
        self._rwa_of: dict[str, float] = {}
        self._bank_keys = np.zeros((len(firms), len(banks)))
        self.collateral = Collateral(clock, venue, registry, firms, policy, self.events)
        clock.at_month_start("credit", self.month)

    def month(self, month: int) -> None:
        """One credit cycle (see the module docstring)."""
        self._pd = self.firm_pd()
        self._rwa_of = {name: self._rwa(bank) for name, bank in self.banks.items()}
        # Each firm's order of banks this month, from a stream of its own: how many
        # requests a regime takes never shifts another draw.
        self._bank_keys = self.streams("credit", "bank-order", month).random(
            self._bank_keys.shape)
        if month % 12 == 0:
            self._draw_failures(month)
        for loan in [ln for ln in self.loans if ln.status == "performing"]:
            self._service(loan, month)
        self._fail_firms(month)
        self._margin_calls(month)
        self.platform.record(self.debt_fen(), grade_of(self.firms.env_score))
        for firm, purpose, amount in self._requests(month):
            self.request(firm, amount, purpose, month)
        self._book_month(month)

    # ---- defaults ------------------------------------------------------------------------

    def firm_pd(self) -> np.ndarray:
        """Each firm's yearly PD from its environmental grade (and any stress multiplier)."""
        pd = np.asarray(self.policy.pd_by_grade)[grade_of(self.firms.env_score)]
        ebitda = np.maximum(self.firms.current_profit_yuan, 1.0) * 100
        leverage = self.debt_fen() / ebitda
        excess = np.maximum(leverage - self.demand.target_leverage, 0.0)
        firm_pd: np.ndarray = np.clip(
            pd * self.pd_multiplier * np.exp(self.demand.leverage_pd * excess), 0.0, 0.999)
        return firm_pd

    def _draw_failures(self, month: int) -> None:
        """The year's systematic factor, who fails and when, each from its own stream: the
        factor is the same under every regime, rule set and stress. Every firm draws, so
        that no draw shifts another; a firm that has defaulted already cannot fail again."""
        pd, year = self._pd, month // 12
        streams = self.streams.child("credit", self.venue.calendar.start_year + year)
        z = float(streams("systematic").standard_normal())
        exposed = ~self.defaulted
        failing = draw_defaults(pd, asset_correlation(pd), z, streams("idiosyncratic")) \
            & exposed
        self.factors[year] = z
        self.exposed[year] = exposed
        self.failures[year] = failing
        self.pd_at_draw[year] = pd
        months = streams("failure-month").integers(0, 12, len(pd))
        self._fail_month = np.where(failing, month + months, -1)

    def _fail_firms(self, month: int) -> None:
        """The firms whose failure falls in this month fail, with or without loans (their
        loans have defaulted in debt service)."""
        for firm in np.flatnonzero(self._fail_month == month).tolist():
            self._event(month, "failure", self.firms.ids[firm], "", 0.0, "")
            if not self.defaulted[firm]:
                self.default(firm, month, "failure")

    def _service(self, loan: Loan, month: int) -> None:
        firm = loan.borrower
        if self._fail_month[firm] == month or self.defaulted[firm]:
            self.default(firm, month, "failure")
            return
        interest = round(loan.balance_fen * loan.rate / 12)
        principal = loan.installment_fen(month)
        account = self.firms.ids[firm]
        cash = self.registry.cash(account)
        if cash < interest + principal and cash >= interest and self._roll_over(loan, month):
            principal = 0
        if cash < interest + principal:
            self.default(firm, month, "liquidity")
            return
        self._pay_lenders(loan, account, interest, principal, month)
        if not loan.balance_fen:
            loan.status, loan.end_month = "repaid", month
            self.collateral.release(loan)

    def _roll_over(self, loan: Loan, month: int) -> bool:
        """Extend a maturing bullet loan the firm cannot repay from cash, if its lenders
        would lend to it today (not refused for its grade, within the ceiling they see)."""
        if loan.purpose == "abatement" or loan.collateral_units:
            return False
        firm = loan.borrower
        lead = self.banks[loan.lead]
        if self.policy.rate(self._seen_grade(lead, firm), False) is None:
            return False
        seen = self._seen_debt_fen(lead, firm) if self.regime != "joint_committee" \
            else int(self._debt[firm])
        if loan.committee and seen > self.ceiling_fen(firm):
            return False
        if not loan.committee and seen - loan.balance_fen > self.ceiling_fen(firm):
            return False
        loan.term_months += self.demand.business_months
        self._event(month, "rollover", self.firms.ids[firm], loan.lead, loan.balance_fen / 100,
                    "")
        return True

    def _pay_lenders(self, loan: Loan, account: str, interest: int, principal: int,
                     month: int) -> None:
        for bank_name, fen in loan.lender_split(interest + principal).items():
            self.registry.transfer(account, self.banks[bank_name].account, CASH, fen,
                                   memo=f"loan {loan.loan_id}")
        for bank_name, fen in loan.lender_split(principal).items():
            self._expose(self.banks[bank_name], loan.borrower, -fen)
        for bank_name, fen in loan.lender_split(interest).items():
            self.banks[bank_name].interest_income_yuan += fen / 100
        loan.balance_fen -= principal
        if loan.refinanced_fen:
            repay = min(loan.refinanced_fen, round(principal * self.policy.refinance_share))
            self._repay_refinancing(loan, repay)

    def default(self, firm: int, month: int, reason: str) -> None:
        """The firm stops paying: every performing loan defaults, collateral is foreclosed
        and sold, and what the firm's cash covers is recovered."""
        self.firms.default(firm)
        account = self.firms.ids[firm]
        for loan in [ln for ln in self._loans_of[firm] if ln.status == "performing"]:
            loan.status, loan.end_month = "defaulted", month
            self.events.append(Event(month, "default", account, loan.lead,
                                     loan.balance_fen / 100, reason))
            if loan.collateral_units:
                self.collateral.foreclose(loan, self.banks[loan.lead], month)
            recovered = min(self.registry.cash(account), loan.balance_fen - loan.recovered_fen)
            for bank_name, fen in loan.lender_split(recovered).items():
                self.registry.transfer(account, self.banks[bank_name].account, CASH, fen,
                                       memo=f"recovery {loan.loan_id}")
            loan.recovered_fen += recovered
            # The rest of the estate (plant, receivables) lies outside the model: it
            # recovers up to 1 - LGD of the loan.
            estate = int((1 - self.policy.lgd_unsecured) * loan.balance_fen) - loan.recovered_fen
            for bank_name, fen in loan.lender_split(max(0, estate)).items():
                self.registry.issue(OUTSIDE, self.banks[bank_name].account, CASH, fen,
                                    memo=f"estate {loan.loan_id}")
            loan.recovered_fen += max(0, estate)
            self._write_off(loan, month)

    def _write_off(self, loan: Loan, month: int) -> None:
        loan.loss_fen = max(0, loan.balance_fen - loan.recovered_fen)
        for bank_name, fen in loan.lender_split(loan.balance_fen).items():
            self._expose(self.banks[bank_name], loan.borrower, -fen)
        for bank_name, fen in loan.lender_split(loan.loss_fen).items():
            covered = self._guarantee_fen(loan, self.banks[bank_name], fen)
            if covered:
                self.registry.issue(OUTSIDE, self.banks[bank_name].account, CASH, covered,
                                    memo=f"guarantee {loan.loan_id}")
                loan.recovered_fen += covered
                loan.loss_fen -= covered
                self._event(month, "guarantee", self.firms.ids[loan.borrower], bank_name,
                            covered / 100, "cross-region" if self.banks[bank_name].region
                            != self.firms.region[loan.borrower] else "home")
            self.banks[bank_name].losses_yuan += (fen - covered) / 100
        if loan.refinanced_fen:
            self._repay_refinancing(loan, loan.refinanced_fen)
        self.events.append(Event(month, "recovery", self.firms.ids[loan.borrower], loan.lead,
                                 loan.recovered_fen / 100, f"loss {loan.loss_fen / 100:.0f}"))

    def _guarantee_fen(self, loan: Loan, bank: Bank, loss_fen: int) -> int:
        """What the firm's regional financing-guarantee fund pays a lender of a defaulted
        loan: ``policy.guarantee_share`` of its loss, to a bank of the firm's region, or of
        the other region when the loan is a committee's (the committee recognises
        guarantees across the border); nothing to a foreign bank lending alone."""
        home = bank.region == self.firms.region[loan.borrower]
        if not (home or loan.committee):
            return 0
        return int(self.policy.guarantee_share * loss_fen)

    # ---- collateral ----------------------------------------------------------------------

    def _margin_calls(self, month: int) -> None:
        """A firm meets a margin call with more rights, then cash; failing both, it
        defaults."""
        for loan, price in list(self.collateral.margin_calls(self.loans)):
            if loan.status != "performing":
                continue  # a cross-default earlier in this round
            shortfall_fen = self.collateral.top_up(loan, price, month)
            if shortfall_fen <= 0:
                continue
            account = self.firms.ids[loan.borrower]
            if self.registry.cash(account) < shortfall_fen:
                self.default(loan.borrower, month, "margin_call")
                continue
            self._pay_lenders(loan, account, 0, min(shortfall_fen, loan.balance_fen), month)

    # ---- lending -------------------------------------------------------------------------

    def debt_fen(self) -> np.ndarray:
        """Every firm's outstanding debt across all banks, fen."""
        return self._debt.copy()

    def _expose(self, bank: Bank, firm: int, fen: int) -> None:
        """Change a bank's exposure to a firm, keeping the firms' debt in step."""
        bank.exposure_fen[firm] = bank.exposure_fen.get(firm, 0) + fen
        self._debt[firm] += fen

    def _requests(self, month: int) -> list[tuple[int, Purpose, int]]:
        out: list[tuple[int, Purpose, int]] = []
        f, d = self.firms, self.demand
        if month % 12 == 0 and month >= 12:
            for firm in np.flatnonzero(self._worth_investing()):
                cost = d.invest_cost_yuan_per_t * f.baseline_t[firm].sum()
                out.append((int(firm), "abatement", int(cost * 100)))
        gap = (self.target_leverage * f.current_profit_yuan * 100 - self.debt_fen())
        for firm in np.flatnonzero(gap > np.maximum(d.min_loan_yuan * 100,
                                                    0.2 * f.current_profit_yuan * 100)):
            if not self.defaulted[firm]:
                out.append((int(firm), "business", int(gap[firm])))
        costs = self._monthly_costs_fen()
        for i, account in enumerate(f.ids):
            want = int(d.buffer_months * costs[i]) - self.registry.cash(account)
            if want >= d.min_loan_yuan * 100 and not self.defaulted[i]:
                out.append((i, "working_capital", want))
        return out

    def _prices_yuan_per_t(self) -> np.ndarray:
        """Today's reference price of each pollutant, yuan/t (the dearer zone's)."""
        f = self.firms
        price = np.zeros(len(f.pollutants))
        for market in self.venue.markets.values():
            i = market.instrument
            if i.product in f.pollutants:
                j = f.pollutants.index(i.product)
                price[j] = max(price[j], i.yuan(market.reference_ticks) / i.lot_quantity)
        return price

    def _monthly_costs_fen(self) -> np.ndarray:
        """A month of environmental costs: the tax and the permit price on all emissions."""
        f = self.firms
        costs: np.ndarray = (((f.tax + self._prices_yuan_per_t()) * f.current_t).sum(axis=1)
                             * 100 / 12)
        return costs

    def _worth_investing(self) -> np.ndarray:
        """Firms for which cutting the MAC slope pays over the loan's term at today's
        prices and rates (the saving of a quadratic cost at price p is (p+t)^2/2 * dS)."""
        f, d = self.firms, self.demand
        price = self._prices_yuan_per_t()
        margin = (price + f.tax) * (f.baseline_t > 0)
        saving = (margin**2 / 2 * (1 / (f.slope * (1 - d.invest_cut)) - 1 / f.slope)).sum(axis=1)
        years = d.invest_term_months / 12
        rate = self.policy.lpr
        annuity = (1 - (1 + rate) ** -years) / rate
        cost = d.invest_cost_yuan_per_t * f.baseline_t.sum(axis=1)
        worth_it: np.ndarray = (saving * annuity > cost) & ~self.invested & ~self.defaulted
        return worth_it

    def request(self, firm: int, amount_fen: int, purpose: Purpose, month: int) -> int:
        """Ask the banks for a loan; return the amount granted, fen."""
        account = self.firms.ids[firm]
        if self.defaulted[firm]:
            self._deny(month, account, amount_fen, "defaulted")
            return 0
        if self.regime == "joint_committee" and self._committee_firm(firm, amount_fen):
            # The committee's ledger shows the firm's true grade to every member.
            rate = self.policy.rate(int(grade_of(self.firms.env_score[firm])),
                                    purpose == "abatement")
            granted = 0 if rate is None else self._committee_loan(firm, amount_fen, purpose,
                                                                 rate, month)
        else:
            granted, rate = self._bilateral_loans(firm, amount_fen, purpose, month)
        if rate is None:
            self._deny(month, account, amount_fen, "rating")
            return 0
        if granted < amount_fen:
            self._deny(month, account, amount_fen - granted, "limit")
        if granted and purpose == "abatement":
            self.invested[firm] = True
            self.firms.cut_slope(firm, self.demand.invest_cut)
            self.registry.transfer(account, OUTSIDE, CASH, granted, memo="abatement investment")
        return granted

    def ceiling_fen(self, firm: int) -> int:
        """Debt the firm can carry: a multiple of its yearly operating cash flow (EBITDA)."""
        return int(self.policy.ebitda_multiple * self.firms.current_profit_yuan[firm] * 100)

    def _seen_debt_fen(self, bank: Bank, firm: int) -> int:
        """What a bank knows of a firm's debt: the platform's total when debts are shared,
        else its own loans."""
        seen = self.platform.debt_fen(firm, int(self._debt[firm]))
        return bank.exposure_fen.get(firm, 0) if seen is None else seen

    def _seen_grade(self, bank: Bank, firm: int) -> int:
        """The environmental grade a bank sees (:meth:`CreditPlatform.grade`)."""
        return self.platform.grade(firm, int(grade_of(self.firms.env_score[firm])),
                                   bank.region == self.firms.region[firm])

    def _bilateral_loans(self, firm: int, amount: int, purpose: Purpose, month: int
                         ) -> tuple[int, float | None]:
        """Banks lend in turn, each at the rate of the grade it sees and up to the ceiling
        less the debt it sees; return the amount granted and the last rate offered (None
        when every bank refused the firm for its grade)."""
        granted, offered = 0, None
        green = purpose == "abatement"
        for bank in self._bank_order(firm):
            rate = self.policy.rate(self._seen_grade(bank, firm), green)
            if rate is None:
                continue
            offered = rate
            room = min(amount - granted,
                       self.ceiling_fen(firm) - self._seen_debt_fen(bank, firm),
                       self._room_fen(bank, firm, green))
            if room >= self.demand.min_loan_yuan * 100:
                self._book_loan(firm, room, purpose, rate, {bank.name: 1.0}, month, False)
                granted += room
            if granted >= amount:
                break
        return granted, offered

    def _committee_firm(self, firm: int, amount: int) -> bool:
        """Whether the 2018 rules put the firm's loans before a committee: enough lending
        banks *and* enough financing, counting the request (:func:`agents.committee.forms`)."""
        lenders = sum(b.exposure_fen.get(firm, 0) > 0 for b in self.banks.values())
        return forms(lenders, (int(self._debt[firm]) + amount) / 100, self.joint)

    def _committee_loan(self, firm: int, amount: int, purpose: Purpose, rate: float,
                        month: int) -> int:
        """The committee's one ceiling across all banks, early warning, a vote of the
        members weighted by claims (abstentions left out), and a syndicate pro rata to
        capital among the banks voting yes (:mod:`agents.committee`)."""
        debt = int(self._debt[firm])
        account = self.firms.ids[firm]
        if debt > self.ceiling_fen(firm) or grade_of(self.firms.env_score[firm]) >= 2:
            self._event(month, "early_warning", account, "", amount / 100, "credit frozen")
            return 0
        amount = min(amount, self.ceiling_fen(firm) - debt)
        if amount < self.demand.min_loan_yuan * 100:
            return 0  # at the ceiling: nothing to vote on
        green = purpose == "abatement"
        room = {b.name: self._capacity(b, firm, green) for b in self._members(firm)}
        ballots = [self._ballot(self.banks[name], firm, fen, reason)
                   for name, (fen, reason) in room.items()]
        for b in ballots:
            self._event(month, "committee_vote", account, b.bank, b.claims_fen / 100,
                        f"{b.vote}: {b.reason}" if b.reason else b.vote)
        if not passes(ballots, self.joint.vote_threshold):
            everyone_out = all(b.vote == "abstain" for b in ballots)
            self._event(month, "committee_refusal", account, "", amount / 100,
                        "every member abstained" if everyone_out else "vote")
            return 0
        yes = [b.bank for b in ballots if b.vote == "yes"]
        parts = allocate(amount, {n: self.banks[n].capital_yuan for n in yes},
                         {n: room[n][0] for n in yes})
        granted = sum(parts.values())
        if granted < self.demand.min_loan_yuan * 100:
            return 0
        self._book_loan(firm, granted, purpose, rate,
                        {n: fen / granted for n, fen in parts.items()}, month, True)
        return granted

    def _members(self, firm: int) -> list[Bank]:
        """The committee: every bank of the scenario (both regions) when the rules are
        cross-border, else the firm's home-region banks; in name order."""
        region = self.firms.region[firm]
        return sorted((b for b in self.banks.values()
                       if self.joint.cross_border or b.region == region),
                      key=lambda b: b.name)

    def _ballot(self, bank: Bank, firm: int, room: int, reason: str) -> Ballot:
        claims = bank.exposure_fen.get(firm, 0)
        if reason == "capital floor":
            return Ballot(bank.name, "no", claims, reason)
        if room < self.demand.min_loan_yuan * 100:
            return Ballot(bank.name, "abstain", claims, reason or "no room")
        return Ballot(bank.name, "yes", claims)

    def _bank_order(self, firm: int) -> list[Bank]:
        """Home-region banks first, each group in a random order."""
        region = self.firms.region[firm]
        banks = list(self.banks.values())
        order = np.argsort(self._bank_keys[firm], kind="stable")
        return sorted((banks[k] for k in order.tolist()), key=lambda b: b.region != region)

    def _room_fen(self, bank: Bank, firm: int, green: bool = False) -> int:
        """What the bank may still lend the firm: the single-borrower limit and its cash,
        nothing below the capital floor, and no green loans while its green NPL ratio is
        past its tolerance."""
        return self._capacity(bank, firm, green)[0]

    def _capacity(self, bank: Bank, firm: int, green: bool) -> tuple[int, str]:
        """:meth:`_room_fen` with the limit that binds: ``capital floor``, ``green lending
        paused``, ``single-borrower limit``, ``cash`` or empty when none does."""
        if self._capital_ratio(bank) < self.policy.min_car:
            return 0, "capital floor"
        if green and not bank.green_lending_open:
            return 0, "green lending paused"
        limit = int(self.policy.single_borrower_share * bank.capital_yuan * 100)
        headroom = max(0, limit - bank.exposure_fen.get(firm, 0))
        cash = max(0, self.registry.cash(bank.account))
        if headroom <= cash:
            return headroom, "single-borrower limit" if headroom < limit else ""
        return cash, "cash"

    def _book_loan(self, firm: int, amount: int, purpose: Purpose, rate: float,
                   shares: dict[str, float], month: int, committee: bool) -> Loan:
        lead = max(shares, key=lambda n: (shares[n], n))
        term = {"abatement": self.demand.invest_term_months,
                "business": self.demand.business_months,
                "working_capital": self.demand.working_capital_months}[purpose]
        loan = Loan(next(self._ids), firm, purpose, purpose == "abatement", amount, amount,
                    rate, month, term, shares, lead, committee)
        account = self.firms.ids[firm]
        for bank_name, fen in loan.lender_split(amount).items():
            bank = self.banks[bank_name]
            self.registry.transfer(bank.account, account, CASH, fen, memo=f"loan {loan.loan_id}")
            self._expose(bank, firm, fen)
            self._rwa_of[bank_name] = self._rwa_of.get(bank_name, 0.0) + float(
                risk_weighted_assets(fen / 100, self._pd[firm], self.policy.lgd_unsecured, 2.5))
        self.collateral.pledge(loan, self.banks[loan.lead], self.platform.shares("pledges"),
                               month)
        if loan.green:
            loan.refinanced_fen = int(amount * self.policy.refinance_share)
            for bank_name, fen in loan.lender_split(loan.refinanced_fen).items():
                self.registry.issue(CENTRAL_BANK, self.banks[bank_name].account, CASH, fen,
                                    memo=f"refinancing {loan.loan_id}")
                self.banks[bank_name].refinancing_yuan += fen / 100
        self.loans.append(loan)
        self._loans_of[firm].append(loan)
        return loan

    def _repay_refinancing(self, loan: Loan, fen: int) -> None:
        for bank_name, part in loan.lender_split(fen).items():
            bank = self.banks[bank_name]
            self.registry.transfer(bank.account, CENTRAL_BANK, CASH, part,
                                   memo=f"refinancing {loan.loan_id}")
            bank.refinancing_yuan -= part / 100
        loan.refinanced_fen -= fen

    def _deny(self, month: int, account: str, fen: int, reason: str) -> None:
        self._event(month, "denied", account, "", fen / 100, reason)

    def _event(self, month: int, kind: str, firm: str, bank: str, yuan: float,
               detail: str) -> None:
        self.events.append(Event(month, kind, firm, bank, yuan, detail))

    # ---- accounts ------------------------------------------------------------------------

    def _capital_ratio(self, bank: Bank) -> float:
        rwa = self._rwa_of.get(bank.name, 0.0)
        return self._capital(bank) / rwa if rwa > 0 else float("inf")

    def _capital(self, bank: Bank) -> float:
        return (bank.capital_yuan + bank.interest_income_yuan - bank.interest_expense_yuan
                - bank.losses_yuan)

    def _rwa(self, bank: Bank) -> float:
        firms = np.fromiter(bank.exposure_fen, dtype=np.int64, count=len(bank.exposure_fen))
        if not len(firms):
            return 0.0
        exposure = np.fromiter(bank.exposure_fen.values(), dtype=float) / 100
        pd = self._pd[firms]
        return float(np.sum(risk_weighted_assets(exposure, pd, self.policy.lgd_unsecured,
                                                 2.5)))

    def _book_month(self, month: int) -> None:
        """Interest on deposits and refinancing, then one balance-sheet row per bank."""
        green: dict[str, int] = defaultdict(int)
        npl: dict[str, int] = defaultdict(int)
        green_npl: dict[str, int] = defaultdict(int)
        for loan in self.loans:
            if loan.status == "performing" and loan.green:
                for n, fen in loan.lender_split(loan.balance_fen).items():
                    green[n] += fen
            # Defaulted loans count as non-performing for the year their workout takes.
            if loan.status == "defaulted" and month - (loan.end_month or 0) < 12:
                for n, fen in loan.lender_split(loan.balance_fen).items():
                    npl[n] += fen
                    green_npl[n] += fen if loan.green else 0
        for name, bank in self.banks.items():
            overall = npl[name] / max(1, npl[name] + sum(bank.exposure_fen.values()))
            green_ratio = green_npl[name] / max(1, green_npl[name] + green[name])
            bank.green_lending_open = (green_ratio <= overall
                                       + self.policy.green_npl_tolerance)
        pd = self._pd
        for bank in self.banks.values():
            # Deposits fund the loan book; the rest of the bank's balance sheet is outside
            # the model, so only the loans' funding cost is booked.
            for creditor, interest_fen in (
                    (OUTSIDE, bank.loans_yuan * self.policy.deposit_rate / 12 * 100),
                    (CENTRAL_BANK, bank.refinancing_yuan * self.policy.refinance_rate / 12 * 100)):
                paid = min(round(interest_fen), self.registry.cash(bank.account))
                self.registry.transfer(bank.account, creditor, CASH, paid, memo="interest")
                bank.interest_expense_yuan += paid / 100
            firms = list(bank.exposure_fen)
            provisions = sum(bank.exposure_fen[f] / 100 * pd[f] * self.policy.lgd_unsecured
                             for f in firms)
            rwa = self._rwa(bank)
            capital = self._capital(bank)
            self.monthly.append((month, bank.name, bank.region, capital, bank.deposits_yuan,
                                 bank.loans_yuan, green[bank.name] / 100, npl[bank.name] / 100,
                                 bank.losses_yuan, provisions, bank.interest_income_yuan,
                                 bank.interest_expense_yuan, bank.refinancing_yuan, rwa,
                                 capital / rwa if rwa else np.nan,
                                 self.registry.cash(bank.account) / 100))
