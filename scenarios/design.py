"""The scenario's cross-border market design: each pollutant's trading ratios.

Water pollutants cross at the hand ratio of their direction, or at the ratio the river
gives at the receptor sections (:mod:`agents.river_ratios`); air pollutants 1:1 in one
airshed or by a source-receptor matrix; a pollutant's hand ratios win over both
(docs/river_trading.md).
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx
import numpy as np

from agents import Firms
from agents.river_ratios import trading_ratio_at_receptors
from exchange import MarketDesign
from scenarios.schema import Scenario

__all__ = ["WATER_POLLUTANTS", "market_design"]

KG_PER_T = 1_000  # registry units of pollution rights: integer kilograms


def market_design(scenario: Scenario, graph: nx.DiGraph[str] | None, assignment: np.ndarray | None,
            firms: Firms) -> MarketDesign:
    """The scenario's market design with each pollutant's trading ratios.

    Raises:
        ValueError: a pollutant's two directions multiply above 1 (a round trip would
            create rights), naming ``exchange.design``.
    """
    d = scenario.exchange.design
    if d.kind != "linked":
        return MarketDesign(d.kind)
    opened = _directions(d.ratio_guangan_to_changshou, d.ratio_changshou_to_guangan)
    per_pollutant: dict[str, dict[tuple[str, str], float]] = {}
    for pollutant in scenario.pollutants:
        if pollutant in d.ratios:
            hand = d.ratios[pollutant]
            per_pollutant[pollutant] = _directions(hand.guangan_to_changshou,
                                                   hand.changshou_to_guangan)
        elif pollutant in WATER_POLLUTANTS:
            per_pollutant[pollutant] = _water_ratios(scenario, pollutant, opened, graph,
                                                     assignment, firms)
        else:
            matrix: dict[str, dict[str, float]] | None = (
                None if d.air_source_receptor is None else
                {str(s): {str(b): x for b, x in t.items()}
                 for s, t in d.air_source_receptor.items()})
            per_pollutant[pollutant] = _air_ratios(matrix, opened)
    quota = None if d.quota_t_per_year is None else round(d.quota_t_per_year * KG_PER_T)
    return MarketDesign("linked", opened, quota, per_pollutant)


WATER_POLLUTANTS = ("COD", "NH3N")
"""Pollutants the river carries; the others are air pollutants."""


def _directions(to_changshou: float | None, to_guangan: float | None
                ) -> dict[tuple[str, str], float]:
    out = {}
    if to_changshou is not None:
        out["guangan", "changshou"] = to_changshou
    if to_guangan is not None:
        out["changshou", "guangan"] = to_guangan
    return out


def _water_ratios(scenario: Scenario, pollutant: str, opened: dict[tuple[str, str], float],
                  graph: nx.DiGraph[str] | None, assignment: np.ndarray | None, firms: Firms
                  ) -> dict[tuple[str, str], float]:
    """The open directions at the hand ratio, or at the ratio the river gives
    (:func:`agents.river_ratios.trading_ratio_at_receptors`); a direction whose seller's
    tonnes reach no receptor of the buyer's closes."""
    river = scenario.river
    if river is None or not river.set_trading_ratio:
        return dict(opened)
    assert graph is not None and assignment is not None
    j = firms.pollutant(pollutant)
    emits = firms.baseline_t[:, j] > 0
    out = {}
    for (seller, buyer), hand in opened.items():
        ratio = trading_ratio_at_receptors(
            graph, assignment, emits & (firms.region == seller), emits & (firms.region == buyer),
            firms.slope[:, j], pollutant, river.receptors, river.off_network_coefficient)
        if ratio is None:
            out[seller, buyer] = hand
        elif ratio > 0:
            out[seller, buyer] = ratio
    _check_round_trip(pollutant, out)
    return out


def _air_ratios(matrix: Mapping[str, Mapping[str, float]] | None,
                opened: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """1:1 in one airshed, or what a seller's tonne does at the buyer's receptor against
    the buyer's own tonne."""
    if matrix is None:
        return dict.fromkeys(opened, 1.0)
    out = {(s, b): matrix[s][b] / matrix[b][b] for s, b in opened}
    _check_round_trip("air", out)
    return out


def _check_round_trip(pollutant: str, ratios: dict[tuple[str, str], float]) -> None:
    there = ratios.get(("guangan", "changshou"), 0.0)
    back = ratios.get(("changshou", "guangan"), 0.0)
    if there * back > 1.0:
        raise ValueError(f"exchange.design: the {pollutant} ratios of the two directions "
                         f"multiply to {there * back:.3f} > 1, so a round trip would create "
                         "rights")
