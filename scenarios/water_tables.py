"""Tables and KPIs of water rights: firm-years, lease deliveries and river flows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.river import net_flows
from agents.water import WATER
from scenarios.results import frame

if TYPE_CHECKING:
    from scenarios.world import World


def water_tables(world: World, trades: pd.DataFrame, run_id: str) -> dict[str, pd.DataFrame]:
    """``water_years``, ``water_leases`` and ``water_flows`` (empty without water rights)."""
    if world.water is None:
        return {name: frame(name, []) for name in ("water_years", "water_leases",
                                                   "water_flows")}
    return {"water_years": _water_years(world, trades, run_id),
            "water_leases": _water_leases(world, run_id),
            "water_flows": _water_flows(world, run_id)}


def _water_years(world: World, trades: pd.DataFrame, run_id: str) -> pd.DataFrame:
    water, f = world.water, world.firms
    assert water is not None
    mine = trades[trades["product"] == WATER]
    bought = mine.groupby(["year", "buyer"])["delivered_quantity"].sum().to_dict()
    sold = mine.groupby(["year", "seller"])["quantity"].sum().to_dict()
    paid = mine.groupby(["year", "buyer"])["value_yuan"].sum().to_dict()
    earned = mine.groupby(["year", "seller"])["value_yuan"].sum().to_dict()
    reaches = water.reaches
    rows = []
    for y in water.years:
        for i in np.flatnonzero(y.demand_m3 > 0):
            key = (y.year, f.ids[i])
            site = -1 if water.sites is None else int(water.sites[i])
            rows.append((run_id, y.year, f.ids[i], f.region[i], f.sector[i],
                         reaches[site] if site >= 0 else None, y.demand_m3[i], y.permit_m3[i],
                         bought.get(key, 0.0), sold.get(key, 0.0), y.held_m3[i], y.used_m3[i],
                         y.demand_m3[i] - y.used_m3[i], y.saving_cost_yuan[i], y.tax_yuan[i],
                         y.unpaid_yuan[i], earned.get(key, 0.0) - paid.get(key, 0.0)))
    return frame("water_years", rows)


def _water_leases(world: World, run_id: str) -> pd.DataFrame:
    assert world.water is not None
    return frame("water_leases", [
        (run_id, d.lease.lease_id, d.year, d.lease.lessor, d.lease.lessee,
         d.lease.first_year, d.lease.last_year, d.lease.volume_m3, d.delivered_m3, d.lost_m3,
         d.lease.price_yuan_per_m3, d.paid_yuan) for d in world.water.deliveries])


def _water_flows(world: World, run_id: str) -> pd.DataFrame:
    water, comp = world.water, world.compensation
    assert water is not None
    if comp is None:
        return frame("water_flows", [])
    graph = comp.graph
    rows = []
    for year, taken in sorted(water.withdrawn_m3s.items()):
        flows = net_flows(graph, taken, comp.min_flow_share)
        for reach in graph:
            node = graph.nodes[reach]
            rows.append((run_id, year, reach, node["region"], node["flow_m3s"],
                         taken.get(reach, 0.0), flows[reach]))
    return frame("water_flows", rows)


def water_kpis(world: World, tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Volumes, prices, losses and costs of water rights (NaN without them)."""
    names = ("water_traded_m3", "water_mean_price_yuan", "water_cross_border_m3",
             "water_conveyance_loss_m3", "water_leased_m3", "water_used_m3",
             "water_saving_cost_yuan", "water_expired_m3", "water_lowest_flow_share")
    if world.water is None:
        return dict.fromkeys(names, np.nan)
    trades = tables["trades"]
    mine = trades[trades["product"] == WATER]
    cross = mine[mine["cross_border"]]
    years, leases, flows = (tables["water_years"], tables["water_leases"],
                            tables["water_flows"])
    volume = float(mine["quantity"].sum())
    values = (
        volume, float(mine["value_yuan"].sum()) / volume if volume else np.nan,
        float(cross["quantity"].sum()),
        float((cross["quantity"] - cross["delivered_quantity"]).sum() + leases["lost_m3"].sum()),
        float(leases["delivered_m3"].sum()), float(years["used_m3"].sum()),
        float(years["saving_cost_yuan"].sum()),
        float(sum(sum(y.expired_m3.values()) for y in world.water.years)),
        float((flows["flow_m3s"] / flows["mean_flow_m3s"]).min()) if len(flows) else np.nan)
    return dict(zip(names, values))
