"""The bank-firm exposure network of a run, built from its ``exposures`` table."""

from __future__ import annotations

import networkx as nx
import pandas as pd


def exposure_graph(exposures: pd.DataFrame) -> nx.DiGraph:
    """A directed graph bank -> firm weighted by exposure in yuan; nodes carry ``kind``
    (``bank`` or ``firm``) and ``region``."""
    graph = nx.DiGraph()
    for row in exposures.itertuples(index=False):
        graph.add_node(f"bank:{row.bank}", kind="bank", region=row.bank_region)
        graph.add_node(f"firm:{row.firm}", kind="firm", region=row.firm_region)
        graph.add_edge(f"bank:{row.bank}", f"firm:{row.firm}", weight=float(row.exposure_yuan))
    return graph


def concentration(graph: nx.DiGraph) -> pd.DataFrame:
    """Per bank: exposure, borrowers, the largest borrower's share and the Herfindahl index
    of its loan book (1 = a single borrower)."""
    rows = []
    for node, data in graph.nodes(data=True):
        if data["kind"] != "bank":
            continue
        weights = [w for _, _, w in graph.out_edges(node, data="weight")]
        total = sum(weights)
        shares = [w / total for w in weights] if total else []
        rows.append({"bank": node.removeprefix("bank:"), "exposure_yuan": total,
                     "borrowers": len(weights), "largest_share": max(shares, default=0.0),
                     "herfindahl": sum(s * s for s in shares)})
    return pd.DataFrame(rows, columns=["bank", "exposure_yuan", "borrowers", "largest_share",
                                       "herfindahl"])


def contagion_paths(graph: nx.DiGraph, firm: str) -> list[list[str]]:
    """Banks a firm's default reaches, and the other borrowers of those banks: each path is
    ``[firm, bank, other firm]`` — the routes by which one default spreads to other firms'
    credit when its banks pull back."""
    node = f"firm:{firm}"
    paths = []
    for bank in sorted(graph.predecessors(node)):
        for other in sorted(graph.successors(bank)):
            if other != node:
                paths.append([node, bank, other])
    return paths


def shared_borrowers(graph: nx.DiGraph) -> pd.DataFrame:
    """Bank pairs linked by common borrowers, with how many and how much they lend them."""
    banks = sorted(n for n, d in graph.nodes(data=True) if d["kind"] == "bank")
    rows = []
    for i, a in enumerate(banks):
        for b in banks[i + 1:]:
            common = set(graph.successors(a)) & set(graph.successors(b))
            if common:
                rows.append({"bank_a": a.removeprefix("bank:"), "bank_b": b.removeprefix("bank:"),
                             "common_borrowers": len(common),
                             "exposure_yuan": sum(graph[a][f]["weight"] + graph[b][f]["weight"]
                                                  for f in common)})
    return pd.DataFrame(rows, columns=["bank_a", "bank_b", "common_borrowers",
                                       "exposure_yuan"])
