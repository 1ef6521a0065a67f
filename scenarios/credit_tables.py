"""The banking tables of a run: bank-months, loans, credit events, exposures, credit years."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.risk import asset_correlation, conditional_pd
from scenarios.results import frame

if TYPE_CHECKING:
    from scenarios.world import World


def credit_tables(world: World, run_id: str) -> dict[str, pd.DataFrame]:
    """Tables of the credit side; empty (with their columns) when the scenario has no banks."""
    names = ("bank_months", "loans", "credit_events", "exposures", "credit_years")
    credit = world.credit
    if credit is None:
        return {name: frame(name, []) for name in names}
    start = world.venue.calendar.start_year
    firms = world.firms
    banks = credit.banks
    bank_months = frame("bank_months", [(run_id, m, start + m // 12, *rest)
                                        for m, *rest in credit.monthly])
    loans = frame("loans", [(
        run_id, ln.loan_id, firms.ids[ln.borrower], firms.region[ln.borrower], ln.lead,
        ";".join(f"{b}:{s:.4f}" for b, s in sorted(ln.shares.items())),
        any(banks[b].region != firms.region[ln.borrower] for b in ln.shares), ln.committee,
        ln.purpose, ln.green, ln.principal_fen / 100, ln.rate, ln.start_month, ln.term_months,
        ln.collateral, ln.collateral_units, ln.status, ln.end_month, ln.recovered_fen / 100,
        ln.loss_fen / 100) for ln in credit.loans])
    events = frame("credit_events", [(run_id, e.month, e.kind, e.firm, e.bank, e.amount_yuan,
                                      e.detail) for e in credit.events])
    exposures = frame("exposures", [
        (run_id, b.name, b.region, firms.ids[f], firms.region[f], fen / 100)
        for b in banks.values() for f, fen in sorted(b.exposure_fen.items()) if fen > 0])
    years = []
    for index, z in sorted(credit.factors.items()):
        exposed = credit.exposed[index]
        failing = credit.failures[index][exposed]
        pd_ = credit.pd_at_draw[index][exposed]
        expected = float(np.mean(conditional_pd(pd_, asset_correlation(pd_), z)))
        years.append((run_id, start + index, z, len(failing), float(pd_.mean()),
                      int(failing.sum()), float(failing.mean()), expected))
    return {"bank_months": bank_months, "loans": loans, "credit_events": events,
            "exposures": exposures, "credit_years": frame("credit_years", years)}


def credit_kpis(world: World, tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """The credit KPIs of the run (NaN when there are no banks)."""
    credit = world.credit
    keys = ("banks", "loans_yuan", "green_loans_yuan", "green_loan_share",
            "changshou_green_loans_yuan", "npl_ratio", "green_npl_ratio", "credit_rationing",
            "over_borrowing_yuan", "credit_losses_yuan", "cross_region_lending_share",
            "loan_defaults", "min_capital_ratio", "firm_failures", "firm_cash_yuan",
            "final_capital_ratio", "capital_shortfall_yuan", "credit_losses_changshou_yuan",
            "credit_losses_guangan_yuan")
    if credit is None:
        return dict.fromkeys(keys, np.nan)
    months, loans, events = tables["bank_months"], tables["loans"], tables["credit_events"]
    final = months["month"].max()
    last = months[months["month"] == final]
    defaulted = loans["status"] == "defaulted"
    green = loans["green"].astype(bool)
    # Non-performing: loans that defaulted in the last twelve months (their workout year),
    # against those plus the loans still performing at the end.
    recent = defaulted & (loans["end_month"] > final - 12)
    performing = loans["status"] == "performing"
    balance = loans["principal_yuan"]
    requested = loans["principal_yuan"].sum() + events.loc[
        events["kind"].isin(["denied", "early_warning", "committee_refusal"]),
        "amount_yuan"].sum()
    debt = credit.debt_fen() / 100
    ceiling = np.array([credit.ceiling_fen(f) / 100 for f in range(len(debt))])
    return {
        "banks": len(credit.banks), "loans_yuan": float(last["loans_yuan"].sum()),
        "green_loans_yuan": float(last["green_loans_yuan"].sum()),
        "green_loan_share": _ratio(last["green_loans_yuan"].sum(), last["loans_yuan"].sum()),
        "changshou_green_loans_yuan": float(
            last.loc[last["region"] == "changshou", "green_loans_yuan"].sum()),
        "npl_ratio": _ratio(balance[recent].sum(), balance[recent | performing].sum()),
        "green_npl_ratio": _ratio(balance[recent & green].sum(),
                                  balance[(recent | performing) & green].sum()),
        "credit_rationing": _ratio(requested - loans["principal_yuan"].sum(), requested),
        "over_borrowing_yuan": float(np.maximum(debt - ceiling, 0).sum()),
        "credit_losses_yuan": float(loans["loss_yuan"].sum()),
        "cross_region_lending_share": _ratio(_cross_region_principal(world),
                                             loans["principal_yuan"].sum()),
        "loan_defaults": int(defaulted.sum()),
        "min_capital_ratio": float(months["capital_ratio"].min()),
        **_stress_kpis(world, last, events),
    }


def _stress_kpis(world: World, last: pd.DataFrame, events: pd.DataFrame
                 ) -> dict[str, float]:
    """What a stress test moves: failures, the firms' cash at the end, the banks' capital
    ratio at the end (all banks' capital over all their RWA), the capital they lack to
    the floor (summed over banks short of it), and losses by the banks' region."""
    credit = world.credit
    assert credit is not None
    floor = credit.policy.min_car
    shortfall = np.maximum(floor * last["rwa_yuan"] - last["capital_yuan"], 0.0)
    by_region = {r: float(v) for r, v in last.groupby("region")["losses_yuan"].sum().items()}
    return {
        "firm_failures": int((events["kind"] == "failure").sum()),
        "firm_cash_yuan": sum(world.registry.cash(a) for a in world.firms.ids) / 100,
        "final_capital_ratio": _ratio(last["capital_yuan"].sum(), last["rwa_yuan"].sum()),
        "capital_shortfall_yuan": float(shortfall.sum()),
        "credit_losses_changshou_yuan": by_region.get("changshou", 0.0),
        "credit_losses_guangan_yuan": by_region.get("guangan", 0.0),
    }


def _cross_region_principal(world: World) -> float:
    """Principal lent by banks of the other region than the borrower's, yuan: a
    syndicated loan counts for the shares of its foreign lenders only."""
    credit = world.credit
    assert credit is not None
    region = world.firms.region
    return sum(ln.principal_fen / 100 * sum(
        share for bank, share in ln.shares.items()
        if credit.banks[bank].region != region[ln.borrower]) for ln in credit.loans)


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else np.nan
