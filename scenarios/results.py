"""The tables every run produces, named in this one place.

Each table is tidy: one row per observation, snake_case columns, money in yuan as floats
(converted once from the registry's integer fen), quantities in the instrument's quote unit.
``docs/results.md`` explains every column; a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import pandas as pd

COLUMNS: dict[str, tuple[str, ...]] = {
    "trades": (
        "run_id", "trade_id", "day", "year", "market", "instrument", "product", "kind",
        "buyer", "seller", "buyer_region", "seller_region", "lots", "quantity", "unit",
        "price_yuan", "value_yuan", "fee_yuan", "cross_border", "delivered_quantity",
    ),
    "market_daily": (
        "run_id", "day", "year", "market", "instrument", "product", "zone", "open_yuan",
        "high_yuan", "low_yuan", "close_yuan", "reference_yuan", "volume", "value_yuan",
        "trades", "block_volume", "cross_border_volume", "best_bid_yuan", "best_ask_yuan",
    ),
    "firm_years": (
        "run_id", "year", "firm", "region", "sector", "strategy", "pollutant", "baseline_t",
        "allocation_t", "bought_t", "sold_t", "surrendered_t", "emissions_t", "abatement_t",
        "abatement_cost_yuan", "env_tax_yuan", "shortfall_t", "penalty_yuan",
        "trade_cash_yuan", "cash_yuan", "unpaid_yuan", "compliant",
    ),
    "market_years": (
        "run_id", "year", "pollutant", "zone", "cap_t", "allocated_t", "auctioned_t",
        "auction_price_yuan", "equilibrium_price_yuan", "mean_price_yuan", "last_price_yuan",
        "volume_t", "cross_border_in_t",
    ),
    "cross_border_flows": (
        "run_id", "year", "pollutant", "seller_region", "buyer_region", "quantity_t",
        "delivered_t", "value_yuan", "trades", "converted",
    ),
    "kpis": (
        "run_id", "scenario", "seed", "design", "firms", "years", "trades", "volume_t",
        "value_yuan", "cross_border_volume_t", "cross_border_value_yuan",
        "abatement_t", "abatement_cost_yuan", "least_cost_yuan", "cost_efficiency",
        "design_benchmark_cost_yuan", "design_efficiency", "command_control_cost_yuan",
        "savings_vs_command_control", "mean_price_yuan", "price_volatility",
        "price_gap_to_equilibrium", "compliance_rate", "shortfall_t", "penalties_yuan",
        "env_tax_yuan", "fees_yuan", "rejected_orders", "banks", "loans_yuan",
        "green_loans_yuan", "green_loan_share", "changshou_green_loans_yuan", "npl_ratio",
        "green_npl_ratio", "credit_rationing", "over_borrowing_yuan", "credit_losses_yuan",
        "cross_region_lending_share", "loan_defaults", "min_capital_ratio",
        "firm_failures", "firm_cash_yuan", "final_capital_ratio", "capital_shortfall_yuan",
        "credit_losses_changshou_yuan", "credit_losses_guangan_yuan",
        "section_compliance_rate", "cross_border_index", "cross_border_index_reduction",
        "transfers_to_upstream_yuan", "transfers_to_downstream_yuan", "central_topup_yuan",
        "cost_per_index_reduction_yuan", "border_months_met_share",
        "changshou_tax_revenue_yuan", "changshou_compensation_net_yuan",
        "changshou_abatement_spending_yuan", "changshou_central_transfers_yuan",
        "changshou_fiscal_balance_yuan", "changshou_firms_compliance_cost_yuan",
        "guangan_tax_revenue_yuan", "guangan_compensation_net_yuan",
        "guangan_abatement_spending_yuan", "guangan_central_transfers_yuan",
        "guangan_fiscal_balance_yuan", "guangan_firms_compliance_cost_yuan",
        "water_traded_m3", "water_mean_price_yuan",
        "water_cross_border_m3", "water_conveyance_loss_m3", "water_leased_m3",
        "water_used_m3", "water_saving_cost_yuan", "water_expired_m3",
        "water_lowest_flow_share", "forest_indicators_traded_mu",
        "forest_indicator_price_yuan", "forest_trade_value_yuan", "forest_planted_mu",
        "forest_planting_cost_yuan", "forest_sinks_tco2e", "forest_sink_revenue_yuan",
        "forest_targets_met_share", "forest_pledged_mu", "cross_border_delivered_t",
        "cross_border_to_changshou_t", "cross_border_to_changshou_yuan",
        "cross_border_to_guangan_t", "cross_border_to_guangan_yuan",
        "ambient_least_cost_yuan", "water_abatement_cost_yuan", "ambient_cost_ratio",
        "receptor_exceedances", "ambient_feasible",
    ),
    "bank_months": (
        "run_id", "month", "year", "bank", "region", "capital_yuan", "deposits_yuan",
        "loans_yuan", "green_loans_yuan", "npl_yuan", "losses_yuan", "provisions_yuan",
        "interest_income_yuan", "interest_expense_yuan", "refinancing_yuan", "rwa_yuan",
        "capital_ratio", "cash_yuan",
    ),
    "loans": (
        "run_id", "loan_id", "borrower", "borrower_region", "lead_bank", "lenders",
        "cross_region", "committee", "purpose", "green", "principal_yuan", "rate",
        "start_month", "term_months", "collateral", "collateral_units", "status", "end_month",
        "recovered_yuan", "loss_yuan",
    ),
    "credit_events": ("run_id", "month", "kind", "firm", "bank", "amount_yuan", "detail"),
    "exposures": ("run_id", "bank", "bank_region", "firm", "firm_region", "exposure_yuan"),
    "credit_years": (
        "run_id", "year", "systematic_factor", "firms", "mean_pd", "failures",
        "failure_rate", "vasicek_rate",
    ),
    "environment": (
        "run_id", "year", "sample", "month", "day", "section", "reach", "region",
        "cross_border", "source", "pollutant", "concentration_mg_l", "flow_m3s",
        "standard_mg_l", "index",
    ),
    "receptors": (
        "run_id", "year", "pollutant", "section", "reach", "region", "cross_border",
        "standard_mg_l", "unabated_mg_l", "concentration_mg_l", "ambient_benchmark_mg_l",
        "met", "shadow_price_yuan_per_mg_l", "ambient_feasible",
    ),
    "water_years": (
        "run_id", "year", "firm", "region", "sector", "reach", "demand_m3", "permit_m3",
        "bought_m3", "sold_m3", "held_m3", "used_m3", "saved_m3", "saving_cost_yuan",
        "resource_tax_yuan", "unpaid_yuan", "trade_cash_yuan",
    ),
    "water_leases": (
        "run_id", "lease_id", "year", "lessor", "lessee", "first_year", "last_year",
        "volume_m3", "delivered_m3", "lost_m3", "price_yuan_per_m3", "paid_yuan",
    ),
    "water_flows": (
        "run_id", "year", "reach", "region", "mean_flow_m3s", "withdrawn_m3s", "flow_m3s",
    ),
    "compensation": (
        "run_id", "year", "month", "section", "payer", "payee", "amount_yuan", "scheme",
        "reason", "index",
    ),
    "fiscal": (
        "run_id", "year", "government", "region", "env_tax_yuan", "penalties_yuan",
        "rights_sold_yuan", "rights_bought_yuan", "compensation_received_yuan",
        "compensation_paid_yuan", "abatement_spending_yuan", "central_transfers_yuan",
        "net_balance_yuan", "firms_compliance_cost_yuan",
    ),
    "section_years": (
        "run_id", "year", "section", "cross_border", "judged", "source", "cod_mg_l",
        "nh3n_mg_l", "months_sampled", "months_met", "months_met_share", "index",
        "flow_factor",
    ),
    "forest_years": (
        "run_id", "year", "region", "pricing", "land_mu", "forest_mu", "coverage",
        "indicators_mu", "counted_coverage", "target", "met_target", "bought_mu", "sold_mu",
        "price_yuan_per_mu", "paid_yuan", "received_yuan", "planted_mu", "planting_cost_yuan",
        "sinks_tco2e", "sink_revenue_yuan", "firms_mu", "pledged_mu",
    ),
    "run": (
        "run_id", "scenario", "scenario_hash", "seed", "code_version", "python",
        "started_utc", "wall_seconds", "scenario_json",
    ),
}


@dataclass
class RunResult:
    """Everything one run produced: its tables plus what is needed to reproduce it."""

    run_id: str
    scenario_name: str
    seed: int
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]

    @property
    def kpis(self) -> dict[str, object]:
        """The single KPI row as a dict."""
        # The KPI table's columns are its documented names, all str.
        return cast(dict[str, object], self.tables["kpis"].iloc[0].to_dict())


def frame(table: str, rows: Sequence[tuple[object, ...]] | Sequence[Mapping[str, object]]
          ) -> pd.DataFrame:
    """Build a table with exactly its documented columns, in order.

    Raises:
        KeyError: ``table`` is not a known table.
    """
    columns = list(COLUMNS[table])
    if rows and isinstance(rows[0], dict):
        return pd.DataFrame(rows).reindex(columns=columns)
    return pd.DataFrame(rows, columns=columns)
