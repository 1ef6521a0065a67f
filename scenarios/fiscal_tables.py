"""Who gains: each government's fiscal year, each region's firms' compliance cost, and each
monitored section's year (concentrations and months meeting the standard).

Government ``g`` (account ``gov:<region>``) in a year:

- ``env_tax_yuan``, ``penalties_yuan``: due from its region's firms at the true-ups
  (``firm_years``);
- ``rights_sold_yuan`` / ``rights_bought_yuan``: the value of trades it sold / bought in
  (primary auctions, regional water rights, ...; ``trades``);
- ``compensation_received_yuan`` / ``compensation_paid_yuan``: scheme payments to / from it
  (the central budget's too where it is a section's party), top-ups apart; a pool's payout
  counts as received (with any top-up in it), its contribution as paid;
- ``abatement_spending_yuan``: treatment it paid for (``agents.response``);
- ``central_transfers_yuan``: central top-ups paid to it directly;
- ``net_balance_yuan``: the sum of the above with signs (tax, penalties, sales, receipts
  and central transfers in; purchases, payments and spending out).

``firms_compliance_cost_yuan`` is the region's firms' abatement cost, environmental tax and
penalties less their net cash from trading pollution rights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.schemes import is_topup
from agents.monitoring import class_met, monthly_means
from agents.river import sections
from scenarios.results import frame

if TYPE_CHECKING:
    from scenarios.world import World

__all__ = ["fiscal_kpis", "fiscal_tables"]

_TERMS = ("env_tax_yuan", "penalties_yuan", "rights_sold_yuan", "rights_bought_yuan",
          "compensation_received_yuan", "compensation_paid_yuan", "abatement_spending_yuan",
          "central_transfers_yuan")
_SIGNS = (1, 1, 1, -1, 1, -1, -1, 1)


def fiscal_tables(world: World, tables: dict[str, pd.DataFrame], run_id: str
                  ) -> dict[str, pd.DataFrame]:
    """``fiscal`` (per government and year) and ``section_years``."""
    firm_years, trades = tables["firm_years"], tables["trades"]
    years = sorted(int(y) for y in firm_years["year"].unique())
    rows = []
    for region in sorted(world.regulators):
        for year in years:
            terms = _terms(world, firm_years, trades, f"gov:{region}", region, year)
            net = sum(s * terms[t] for t, s in zip(_TERMS, _SIGNS))
            rows.append((run_id, year, f"gov:{region}", region, *(terms[t] for t in _TERMS),
                         net, _compliance_cost(firm_years, region, year)))
    return {"fiscal": frame("fiscal", rows), "section_years": _section_years(world, run_id)}


def fiscal_kpis(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Per region, summed over the run's years: tax revenue, compensation net, abatement
    spending, central transfers, net fiscal balance and firms' compliance cost; and at the
    judged (else cross-border) sections, the share of months meeting the standard."""
    fiscal, sec = tables["fiscal"], tables["section_years"]
    out: dict[str, float] = {}
    for region in ("changshou", "guangan"):
        mine = fiscal[fiscal["region"] == region]
        out[f"{region}_tax_revenue_yuan"] = float(mine["env_tax_yuan"].sum())
        out[f"{region}_compensation_net_yuan"] = float(
            (mine["compensation_received_yuan"] - mine["compensation_paid_yuan"]).sum())
        out[f"{region}_abatement_spending_yuan"] = float(mine["abatement_spending_yuan"].sum())
        out[f"{region}_central_transfers_yuan"] = float(mine["central_transfers_yuan"].sum())
        out[f"{region}_fiscal_balance_yuan"] = float(mine["net_balance_yuan"].sum())
        out[f"{region}_firms_compliance_cost_yuan"] = float(
            mine["firms_compliance_cost_yuan"].sum())
    border = sec[sec["judged"].astype(bool)]
    sampled = border["months_sampled"].sum()
    out["border_months_met_share"] = (float(border["months_met"].sum() / sampled)
                                      if sampled else np.nan)
    return out


def _terms(world: World, firm_years: pd.DataFrame, trades: pd.DataFrame, gov: str,
           region: str, year: int) -> dict[str, float]:
    fy = firm_years[(firm_years["region"] == region) & (firm_years["year"] == year)]
    tr = trades[trades["year"] == year]
    comp = world.compensation
    paid = [p for y, p in (comp.payments if comp else []) if y == year]
    return {
        "env_tax_yuan": float(fy["env_tax_yuan"].sum()),
        "penalties_yuan": float(fy["penalty_yuan"].sum()),
        "rights_sold_yuan": float(tr.loc[tr["seller"] == gov, "value_yuan"].sum()),
        "rights_bought_yuan": float(tr.loc[tr["buyer"] == gov, "value_yuan"].sum()),
        "compensation_received_yuan": sum(p.amount_yuan for p in paid
                                          if p.payee == gov and not is_topup(p)),
        "compensation_paid_yuan": sum(p.amount_yuan for p in paid if p.payer == gov),
        "abatement_spending_yuan": sum(yuan for y, g, yuan, _ in (comp.funds if comp else [])
                                       if y == year and g == gov),
        "central_transfers_yuan": sum(p.amount_yuan for p in paid
                                      if p.payee == gov and is_topup(p)),
    }


def _compliance_cost(firm_years: pd.DataFrame, region: str, year: int) -> float:
    fy = firm_years[(firm_years["region"] == region) & (firm_years["year"] == year)]
    return float((fy["abatement_cost_yuan"] + fy["env_tax_yuan"] + fy["penalty_yuan"]
                  - fy["trade_cash_yuan"]).sum())


def _section_years(world: World, run_id: str) -> pd.DataFrame:
    """Per section and year: mean concentrations (arithmetic over the samples present),
    the months sampled and those meeting the class (arithmetic monthly means), the mean
    sample index and the year's mean flow factor."""
    comp = world.compensation
    if comp is None:
        return frame("section_years", [])
    located = sections(comp.graph)
    border = set(comp.judged) or {s for s, n in located.items()
                                  if comp.graph.nodes[n]["section"].cross_border}
    rows = []
    for year, section, source, data, index in comp.records:
        spec = comp.graph.nodes[located[section]]["section"]
        limits = {p: spec.standard_mg_l(p) for p in data.mg_l}
        months = monthly_means(data, "arithmetic")
        met = sum(class_met(m, limits) for m in months.values())
        mean = {p: float(np.nanmean(c)) if (~np.isnan(c)).any() else np.nan
                for p, c in data.mg_l.items()}
        present = index[~np.isnan(index)]
        rows.append((run_id, year, section, spec.cross_border, section in border, source,
                     mean.get("COD", np.nan), mean.get("NH3N", np.nan), len(months), met,
                     met / len(months) if months else np.nan,
                     float(present.mean()) if len(present) else np.nan,
                     float(np.mean(comp.factors[year])) if year in comp.factors else np.nan))
    return frame("section_years", rows)
