"""Who gains: the fiscal table, the section years and their KPIs in whole runs."""

from __future__ import annotations

import pytest

from scenarios import COLUMNS, load_scenario, run_scenario

TERMS = ["env_tax_yuan", "penalties_yuan", "rights_sold_yuan", "rights_bought_yuan",
         "compensation_received_yuan", "compensation_paid_yuan", "abatement_spending_yuan",
         "central_transfers_yuan"]


def run(scheme: str) -> dict:  # type: ignore[type-arg]
    result = run_scenario(load_scenario("tiny", [
        "river={flow_sigma_year: 0.3}", f"compensation={scheme}"]), seed=4)
    return result.tables


def test_fiscal_rows_add_up_and_the_two_governments_mirror_each_other() -> None:
    tables = run("{kind: chongqing, response: {fund_abatement: 0.5}}")
    fiscal, comp, firm_years = tables["fiscal"], tables["compensation"], tables["firm_years"]

    assert list(fiscal.columns) == list(COLUMNS["fiscal"])
    signs = [1, 1, 1, -1, 1, -1, -1, 1]
    for row in fiscal.itertuples():
        assert row.net_balance_yuan == pytest.approx(
            sum(s * getattr(row, t) for s, t in zip(signs, TERMS)))
    by = fiscal.set_index(["year", "region"])
    for year in (2025, 2026):
        # all payments are between the two governments: one's receipts are the other's
        assert by.loc[(year, "changshou"), "compensation_received_yuan"] == pytest.approx(
            by.loc[(year, "guangan"), "compensation_paid_yuan"])
        paid = comp[(comp["year"] == year) & (comp["payer"] == "gov:guangan")]
        assert by.loc[(year, "guangan"), "compensation_paid_yuan"] == pytest.approx(
            paid["amount_yuan"].sum())
        fy = firm_years[(firm_years["year"] == year) & (firm_years["region"] == "guangan")]
        assert by.loc[(year, "guangan"), "firms_compliance_cost_yuan"] == pytest.approx(
            (fy["abatement_cost_yuan"] + fy["env_tax_yuan"] + fy["penalty_yuan"]
             - fy["trade_cash_yuan"]).sum())
    kpis = tables["kpis"].iloc[0]
    assert kpis["guangan_compensation_net_yuan"] == pytest.approx(
        -kpis["changshou_compensation_net_yuan"])
    assert kpis["guangan_abatement_spending_yuan"] == pytest.approx(
        fiscal.loc[fiscal["region"] == "guangan", "abatement_spending_yuan"].sum())


def test_months_meeting_the_standard_counted_from_the_samples() -> None:
    tables = run("{kind: bet}")
    env, sec = tables["environment"], tables["section_years"]

    # by hand from the samples: a month meets Class III when each pollutant's mean of the
    # month's samples is at or under its limit
    border = env[env["cross_border"]]
    means = border.groupby(["year", "section", "month", "pollutant"]).agg(
        c=("concentration_mg_l", "mean"), s=("standard_mg_l", "first"))
    met = (means["c"] <= means["s"]).groupby(level=["year", "section", "month"]).all()
    judged = sec[sec["judged"]]
    assert judged["months_met"].sum() == met.sum()
    assert judged["months_sampled"].sum() == len(met)
    assert tables["kpis"].iloc[0]["border_months_met_share"] == pytest.approx(met.mean())


def test_rights_sold_at_auction_are_the_governments_revenue() -> None:
    tables = run_scenario(load_scenario("tiny", [
        "regions.changshou.regulator.allocation=auction",
        "regions.guangan.regulator.allocation=auction"]), seed=1).tables
    trades, fiscal = tables["trades"], tables["fiscal"].set_index(["year", "government"])

    sold = trades[trades["seller"].str.startswith("gov:")].groupby(
        ["year", "seller"])["value_yuan"].sum()
    assert len(sold) == 4 and (sold > 0).all()
    for (year, government), value in sold.items():
        assert fiscal.loc[(year, government), "rights_sold_yuan"] == pytest.approx(value)
    # without a river there is no compensation, and the section table is empty
    assert (fiscal["compensation_received_yuan"] == 0).all()
    assert len(tables["section_years"]) == 0
    assert tables["kpis"].iloc[0]["guangan_tax_revenue_yuan"] == pytest.approx(
        fiscal.xs("gov:guangan", level="government")["env_tax_yuan"].sum())
