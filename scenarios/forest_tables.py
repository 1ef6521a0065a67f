"""The forest table of a run (coverage, indicator deals, planting, sinks) and its KPIs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from scenarios.results import frame

if TYPE_CHECKING:
    from scenarios.world import World

FOREST_KPIS = ("forest_indicators_traded_mu", "forest_indicator_price_yuan",
               "forest_trade_value_yuan", "forest_planted_mu", "forest_planting_cost_yuan",
               "forest_sinks_tco2e", "forest_sink_revenue_yuan", "forest_targets_met_share",
               "forest_pledged_mu")


def forest_tables(world: World, run_id: str) -> dict[str, pd.DataFrame]:
    """``forest_years``: one row per year and region; empty without forests."""
    forest = world.forest
    if forest is None:
        return {"forest_years": frame("forest_years", [])}
    rows = []
    for r in forest.records:
        traded = r.bought_mu + r.sold_mu
        price = (r.paid_yuan + r.received_yuan) / traded if traded else np.nan
        rows.append((run_id, r.year, r.region, forest.rules.pricing, r.land_mu, r.forest_mu,
                     r.forest_mu / r.land_mu, r.indicators_mu, r.indicators_mu / r.land_mu,
                     r.target, r.met_target, r.bought_mu, r.sold_mu, price, r.paid_yuan,
                     r.received_yuan, r.planted_mu, r.planting_cost_yuan, r.sinks_tco2e,
                     r.sink_revenue_yuan, r.firms_mu, r.pledged_mu))
    return {"forest_years": frame("forest_years", rows)}


def forest_kpis(world: World, tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """The forest KPIs of the run (NaN when the scenario has no forests)."""
    if world.forest is None:
        return dict.fromkeys(FOREST_KPIS, np.nan)
    years = tables["forest_years"]
    bought = float(years["bought_mu"].sum())
    last = years[years["year"] == years["year"].max()]
    return {
        "forest_indicators_traded_mu": bought,
        "forest_indicator_price_yuan": (float(years["paid_yuan"].sum()) / bought if bought
                                        else np.nan),
        "forest_trade_value_yuan": float(years["paid_yuan"].sum()),
        "forest_planted_mu": float(years["planted_mu"].sum()),
        "forest_planting_cost_yuan": float(years["planting_cost_yuan"].sum()),
        "forest_sinks_tco2e": float(years["sinks_tco2e"].sum()),
        "forest_sink_revenue_yuan": float(years["sink_revenue_yuan"].sum()),
        "forest_targets_met_share": float(years["met_target"].mean()),
        "forest_pledged_mu": float(last["pledged_mu"].sum()),
    }
