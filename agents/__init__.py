"""Agents: firms, regulators and the compliance year, on top of the exchange."""

from agents.cycle import ComplianceYears, YearRecord
from agents.firms import STRATEGIES, Firms, abatement_cost, permit_value, true_up_abatement
from agents.regulator import Regulator, RegulatorRules, TrueUp
from agents.trading import Traders, TradingBehaviour

__all__ = [
    "ComplianceYears", "Firms", "Regulator", "RegulatorRules", "STRATEGIES", "Traders",
    "TradingBehaviour", "TrueUp", "YearRecord", "abatement_cost", "permit_value",
    "true_up_abatement",
]
