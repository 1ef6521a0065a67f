"""Rights pledged as loan collateral: which rights, how much, margin calls, fire sales.

Banks take pollution rights (at ``policy.ltv`` of their market price) and forest rights (at
``policy.ltv_forest`` of their appraisal); never water-use rights, which expire within the
year. A foreclosed pledge is sold through the exchange at the bottom of the day's band until
it is gone: forced sales move prices (the fire-sale channel).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from agents.banks import Bank, CreditPolicy, Loan
from agents.firms import Firms
from exchange import BASIN, Clock, OrderRejected, Registry, Side, Venue

__all__ = ["Collateral", "Event"]


@dataclass(slots=True)
class Event:
    """One credit event: a default, a margin call, a foreclosure, a fire sale, ..."""

    month: int
    kind: str
    firm: str
    bank: str
    amount_yuan: float
    detail: str


@dataclass
class Collateral:
    """The pledges of one credit system, kept in the registry.

    Attributes:
        forest_rights: forest-right symbols firms may pledge, each with its appraisal in fen
            per unit (set by the forest module; empty without forests).
        events: where foreclosures, margin calls and fire sales are recorded.
    """

    clock: Clock
    venue: Venue
    registry: Registry
    firms: Firms
    policy: CreditPolicy
    events: list[Event]
    forest_rights: dict[str, Callable[[], float]] = field(default_factory=dict)
    on_sale: list[tuple[Bank, str, Loan]] = field(default_factory=list)
    """Foreclosed pledges still being sold, in the order they were foreclosed."""

    def __post_init__(self) -> None:
        self.clock.at("fire_sales", self._fire_sales)

    def pledge(self, loan: Loan, lead: Bank, any_zone: bool, month: int) -> None:
        """Secure a working-capital loan with the firm's rights, where the lead bank
        recognises them: its own region's, or any when ``any_zone`` (pledges are shared on the
        credit-information platform, so it can see and register pledges in either region).

        Pollution rights come first, at ``policy.ltv``, and the loan falls due in the year's
        last month so that they are free again for the true-up (none are pledged in that
        month). Otherwise forest rights, at ``policy.ltv_forest`` of their appraisal, for at
        most ``policy.forest_term_months`` (no yearly true-up ties them).
        """
        if loan.purpose != "working_capital":
            return
        account = self.firms.ids[loan.borrower]
        region = self.firms.region[loan.borrower]
        for symbol, zone, price, forest in self._options(month):
            recognised = zone in (BASIN, lead.region) or any_zone
            held = self.registry.available(account, symbol)
            if zone != BASIN and zone != region:
                continue
            needed = int(loan.principal_fen / (self.ltv(symbol) * price)) + 1
            if not recognised:
                if self._unverified(loan, symbol, needed, month):
                    loan.term_months = min(loan.term_months, self._term(forest, month))
                    return
                continue
            if held <= 0:
                continue
            units = min(held, needed)
            self.registry.pledge(account, symbol, units, memo=f"loan {loan.loan_id}")
            loan.collateral, loan.collateral_units = symbol, units
            loan.term_months = min(loan.term_months, self._term(forest, month))
            return

    def _term(self, forest: bool, month: int) -> int:
        return self.policy.forest_term_months if forest else 11 - month % 12

    def _unverified(self, loan: Loan, symbol: str, needed: int, month: int) -> bool:
        """A bank of the other region, which cannot see the rights' register, takes the
        firm's word for its holding and books a pledge in its own region only: nothing is
        pledged in the register, so the units stay free to sell or to pledge again, and
        units already pledged there are pledged twice (a ``double_pledge``). The bank
        believes the loan secured; on default there is nothing to foreclose. False when
        the firm holds none."""
        account = self.firms.ids[loan.borrower]
        holding = self.registry.holding(account, symbol)
        units = min(holding.available + holding.pledged, needed)
        if units <= 0:
            return False
        loan.unverified_units = units
        twice = max(0, units - holding.available)
        self.events.append(Event(month, "double_pledge" if twice else "unverified_pledge",
                                 account, loan.lead, units, f"{symbol}: {twice} pledged twice"))
        return True

    def _options(self, month: int) -> Iterator[tuple[str, str, float, bool]]:
        """``(symbol, zone, fen per unit, is forest)`` of the rights a bank takes as
        collateral this month, pollution rights first."""
        if month % 12 != 11:
            for market in self.venue.markets.values():
                i = market.instrument
                if i.product in self.firms.pollutants:
                    yield (i.symbol, i.zone, market.reference_ticks * i.tick_fen / i.lot_units,
                           False)
        for symbol, appraise in self.forest_rights.items():
            yield symbol, symbol.split(":")[1], appraise(), True

    def release(self, loan: Loan) -> None:
        if loan.collateral_units:  # pledged units imply a collateral symbol
            self.registry.release(self.firms.ids[loan.borrower],
                                  loan.collateral,  # type: ignore[arg-type]
                                  loan.collateral_units, memo=f"loan {loan.loan_id}")
            loan.collateral_units = 0

    def price_fen_per_unit(self, symbol: str) -> float | None:
        """Today's value of a pledged unit: the appraisal of a forest right, the market's
        reference price of a listed right, None once its market is gone."""
        if symbol in self.forest_rights:
            return self.forest_rights[symbol]()
        for market in self.venue.markets.values():
            if market.instrument.symbol == symbol:
                i = market.instrument
                return market.reference_ticks * i.tick_fen / i.lot_units
        return None

    def ltv(self, symbol: str) -> float:
        """Loan-to-value of pledged units: forest rights have their own."""
        return self.policy.ltv_forest if symbol in self.forest_rights else self.policy.ltv

    def margin_calls(self, loans: list[Loan]) -> Iterator[tuple[Loan, float]]:
        """Performing secured loans whose collateral fell past the margin-call trigger,
        with the price (fen per unit) it is marked at."""
        for loan in loans:
            if loan.status != "performing" or not loan.collateral_units:
                continue
            symbol: str = loan.collateral  # type: ignore[assignment]
            trigger = self.ltv(symbol) / (1 - self.policy.margin_call_drop)
            price = self.price_fen_per_unit(symbol)
            if price is not None and loan.balance_fen > trigger * loan.collateral_units * price:
                yield loan, price

    def top_up(self, loan: Loan, price: float, month: int) -> int:
        """Pledge what more the firm holds to bring the loan back to its loan-to-value;
        return the cash, fen, it must pay down for the units it lacks."""
        account = self.firms.ids[loan.borrower]
        symbol = loan.collateral
        assert symbol is not None
        ltv = self.ltv(symbol)
        needed = int(loan.balance_fen / (ltv * price)) - loan.collateral_units
        extra = min(needed, self.registry.available(account, symbol))
        self.registry.pledge(account, symbol, extra, memo=f"margin call {loan.loan_id}")
        loan.collateral_units += extra
        self.events.append(Event(month, "margin_call", account, loan.lead,
                                 needed * price / 100, symbol))
        return int((needed - extra) * price * ltv)

    def foreclose(self, loan: Loan, lead: Bank, month: int) -> None:
        """Take the pledge to the lead bank and start selling it."""
        units, symbol = loan.collateral_units, loan.collateral
        assert symbol is not None
        self.registry.foreclose(self.firms.ids[loan.borrower], lead.account, symbol, units,
                                memo=f"loan {loan.loan_id}")
        loan.collateral_units = 0
        self.events.append(Event(month, "foreclosure", self.firms.ids[loan.borrower],
                                 lead.name, units, symbol))
        self.on_sale.append((lead, symbol, loan))

    def _fire_sales(self, day: int) -> None:
        """Offer each foreclosed pledge at the bottom of the day's band until it is gone."""
        self.on_sale = [sale for sale in self.on_sale if self._sell(day, *sale)]

    def _sell(self, day: int, bank: Bank, symbol: str, loan: Loan) -> bool:
        """One day's sale; False once nothing is left to sell or no market takes it."""
        if self.registry.available(bank.account, symbol) <= 0:
            return False
        market = next((m for m in self.venue.markets.values()
                       if m.instrument.symbol == symbol), None)
        if market is None:  # the vintage has expired: nothing left to sell
            return False
        band = market.band()
        lots = self.registry.available(bank.account, symbol) // market.instrument.lot_units
        if not lots or band is None:
            return False
        try:
            ack = market.submit(bank.account, Side.SELL, lots, band[0], day=day)
        except OrderRejected:
            return True
        sold = sum(f.lots * f.price_ticks for f in ack.fills) * market.instrument.tick_fen
        recovered = min(sold, loan.loss_fen)  # proceeds first make good the loss
        loan.recovered_fen += recovered
        loan.loss_fen -= recovered
        bank.losses_yuan -= recovered / 100
        self.events.append(Event(self._month_of(day), "fire_sale",
                                 self.firms.ids[loan.borrower], bank.name, sold / 100, symbol))
        return True

    def _month_of(self, day: int) -> int:
        cal = self.venue.calendar
        return cal.year_index(day) * 12 + cal.month_of(day)
