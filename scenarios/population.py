"""Turn a scenario's sectors, firm counts and hand-made firms into the firm columns."""

from __future__ import annotations

import numpy as np

from agents import STRATEGIES, Firms
from scenarios.schema import Scenario

_MAC_AT = 0.10  # sector MACs are quoted at 10 % abatement


def build_firms(scenario: Scenario, rng: np.random.Generator) -> tuple[Firms, np.ndarray]:
    """Draw the generated population (lognormal across firms), add the listed firms, and
    return them with each firm's starting cash in yuan.

    Each firm's MAC slope is ``mac10 / (0.1 * baseline)``, so that abating 10 % of its
    baseline costs ``mac10`` yuan at the margin.
    """
    pollutants = tuple(scenario.pollutants)
    rows: list[dict] = []
    for region, spec in scenario.regions.items():
        for sector_name, count in spec.firms.items():
            rows.extend(_drawn(scenario, region, sector_name, count, pollutants, rng))
    rows.extend(_listed(scenario, pollutants))
    manual = set(scenario.trading.manual_firms)
    unknown = manual - {r["id"] for r in rows}
    if unknown:
        raise ValueError(f"trading.manual_firms: no firms {sorted(unknown)} in the scenario")
    for row in rows:
        if row["id"] in manual:
            row["strategy"] = "manual"
    baseline = np.array([r["baseline"] for r in rows], dtype=float)
    mac10 = np.array([r["mac10"] for r in rows], dtype=float)
    slope = np.where(baseline > 0, mac10 / (_MAC_AT * np.where(baseline > 0, baseline, 1)), 1.0)
    tax = np.array([[scenario.pollutants[p].env_tax_yuan_per_t[r["region"]] if b > 0 else 0.0
                     for p, b in zip(pollutants, r["baseline"])] for r in rows])
    return Firms(
        ids=tuple(r["id"] for r in rows),
        region=np.array([r["region"] for r in rows], dtype=object),
        sector=np.array([r["sector"] for r in rows], dtype=object),
        pollutants=pollutants,
        baseline_t=baseline, slope=slope, tax=tax,
        output=np.array([r["output"] for r in rows], dtype=float),
        strategy=np.array([STRATEGIES.index(r["strategy"]) for r in rows], dtype=np.int64),
        output_sigma=np.array([r["output_sigma"] for r in rows], dtype=float),
        profit_yuan=np.array([r["profit"] for r in rows], dtype=float),
    ), np.array([r["cash"] for r in rows], dtype=float)


def _drawn(scenario: Scenario, region: str, sector_name: str, count: int,
           pollutants: tuple[str, ...], rng: np.random.Generator) -> list[dict]:
    sector = scenario.sectors[sector_name]
    names = list(scenario.trading.strategies)
    shares = np.array([scenario.trading.strategies[n] for n in names])
    rows = []
    for k in range(count):
        baseline, mac10 = [], []
        for p in pollutants:
            e = sector.emissions.get(p)
            baseline.append(e.baseline_t * rng.lognormal(0, e.baseline_sigma) if e else 0.0)
            mac10.append(e.mac10_yuan_per_t * rng.lognormal(0, e.mac_sigma) if e else 0.0)
        scale = rng.lognormal(0, 0.5)  # firm size: output, cash and profit move together
        rows.append({
            "id": f"{region[:2]}-{sector_name}-{k + 1:04d}", "region": region,
            "sector": sector_name, "baseline": baseline, "mac10": mac10,
            "output": sector.output * scale,
            "cash": sector.cash_yuan * scale, "profit": sector.profit_yuan * scale,
            "strategy": names[rng.choice(len(names), p=shares)],
            "output_sigma": sector.output_sigma,
        })
    return rows


def _listed(scenario: Scenario, pollutants: tuple[str, ...]) -> list[dict]:
    rows = []
    for firm in scenario.firms:
        sector = scenario.sectors.get(firm.sector)
        rows.append({
            "id": firm.name, "region": firm.region, "sector": firm.sector,
            "baseline": [firm.emissions[p].baseline_t if p in firm.emissions else 0.0
                         for p in pollutants],
            "mac10": [firm.emissions[p].mac10_yuan_per_t if p in firm.emissions else 0.0
                      for p in pollutants],
            "output": firm.output, "cash": firm.cash_yuan, "profit": firm.profit_yuan,
            "strategy": firm.strategy,
            "output_sigma": sector.output_sigma if sector else 0.0,
        })
    return rows
