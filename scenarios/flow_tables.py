"""Cross-border flows of pollution rights in every design: tonnes, value and direction.

A trade crosses the border when its buyer and seller are of different regions, whatever
the design: in ``linked`` the buyer bought in the other region's book and received its own
region's rights at the trading ratio; in ``integrated`` both traded basin rights in the one
book, so the rights moved at 1:1; ``autarky`` has none. The regulators' primary auctions
allocate and are not flows.
"""

from __future__ import annotations

import pandas as pd

from scenarios.results import frame

__all__ = ["crossing", "flow_kpis", "flow_tables"]


def crossing(trades: pd.DataFrame) -> pd.Series:
    """Which trades move rights between the regions (a boolean mask of ``trades``)."""
    return ((trades["buyer_region"] != trades["seller_region"])
            & trades["buyer_region"].ne("") & trades["seller_region"].ne("")
            & trades["kind"].ne("primary"))


def flow_tables(trades: pd.DataFrame, pollutants: list[str], run_id: str
                ) -> dict[str, pd.DataFrame]:
    """``cross_border_flows``: one row per year, pollutant and direction with a flow."""
    mine = trades[trades["product"].isin(pollutants)]
    moved = mine[crossing(mine)]
    grouped = moved.groupby(["year", "product", "seller_region", "buyer_region"], sort=True)
    rows = [(run_id, key[0], key[1], key[2], key[3], float(g["quantity"].sum()),
             float(g["delivered_quantity"].sum()), float(g["value_yuan"].sum()), len(g),
             bool(g["cross_border"].any()))
            for key, g in grouped]
    return {"cross_border_flows": frame("cross_border_flows", rows).astype({"converted": bool})}


def flow_kpis(flows: pd.DataFrame) -> dict[str, float]:
    """Tonnes (seller rights) and value moved into each region over the run."""
    out: dict[str, float] = {}
    for region in ("changshou", "guangan"):
        into = flows[flows["buyer_region"] == region]
        out[f"cross_border_to_{region}_t"] = float(into["quantity_t"].sum())
        out[f"cross_border_to_{region}_yuan"] = float(into["value_yuan"].sum())
    out["cross_border_delivered_t"] = float(flows["delivered_t"].sum()) if len(flows) \
        else 0.0
    return out
