"""Turn a scenario's sectors, firm counts and hand-made firms into the firm columns."""

from __future__ import annotations

from typing import Any

import numpy as np

from agents import STRATEGIES, Firms
from agents.streams import Streams
from agents.water import WaterUsers
from scenarios.schema import Scenario
from scenarios.schema.base import Pollutant

_MAC_AT = 0.10  # sector MACs are quoted at 10 % abatement


def build_firms(scenario: Scenario, streams: Streams) -> tuple[Firms, np.ndarray]:
    """Draw the generated population (lognormal across firms), add the listed firms, and
    return them with each firm's starting cash in yuan.

    Each firm's MAC slope is ``mac10 / (0.1 * baseline)``, so that abating 10 % of its
    baseline costs ``mac10`` yuan at the margin. Regions, sectors and pollutants are taken
    in sorted order, and each quantity of a region's sector is drawn from a stream of its
    own (``("population", region, sector, quantity)``), one number per firm in firm order:
    how a file lists them never changes a draw, and adding a sector, a pollutant or firms
    of a sector leaves every other firm as it was.
    """
    pollutants = tuple(sorted(scenario.pollutants))
    rows: list[dict[str, Any]] = []
    for region in sorted(scenario.regions):
        for sector_name, count in sorted(scenario.regions[region].firms.items()):
            rows.extend(_drawn(scenario, region, sector_name, count, pollutants,
                               streams.child("population", region, sector_name)))
    rows.extend(_listed(scenario, pollutants))
    manual = set(scenario.trading.manual_firms)
    unknown = manual - {r["id"] for r in rows}
    if unknown:
        raise ValueError(f"trading.manual_firms: no firms {sorted(unknown)} in the scenario")
    for row in rows:
        if row["id"] in manual:
            row["strategy"] = "manual"
        elif scenario.trading.frictionless:
            row["strategy"] = "truthful"
    baseline = np.array([r["baseline"] for r in rows], dtype=float)
    mac10 = np.array([r["mac10"] for r in rows], dtype=float)
    slope = np.where(baseline > 0, _slope(mac10, np.where(baseline > 0, baseline, 1)), 1.0)
    given = np.array([r.get("slope", [np.nan] * len(pollutants)) for r in rows], dtype=float)
    slope = np.where(np.isnan(given), slope, given)
    intercept = np.array([r["intercept"] for r in rows], dtype=float)
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
        intercept=intercept,
    ), np.array([r["cash"] for r in rows], dtype=float)


def draw_water_users(scenario: Scenario, firms: Firms, streams: Streams) -> WaterUsers:
    """Water withdrawals and saving costs of the firms of the sectors ``water`` lists:
    lognormal across firms and scaled with firm size; the saving-cost slope is set like the
    MAC slope, from the marginal cost of saving the first 10 %. Permits are the region's
    ``permit_share`` of the withdrawal at normal output. Each firm draws from a stream of
    its own, ``("water", "use", firm id)``."""
    spec = scenario.water
    assert spec is not None
    demand, slope = np.zeros(len(firms)), np.ones(len(firms))
    for i, sector in enumerate(firms.sector):
        use = spec.sectors.get(sector)
        if use is not None:
            size = firms.output[i] / scenario.sectors[sector].output \
                if sector in scenario.sectors else 1.0
            use_draw, save_draw = streams("water", "use", firms.ids[i]).standard_normal(2)
            demand[i] = use.m3_per_year * size * np.exp(use.sigma * use_draw)
            slope[i] = _slope(use.save10_yuan_per_m3 * np.exp(use.save_sigma * save_draw),
                              demand[i])
    regions = [spec.regions[r] for r in firms.region]
    return WaterUsers(
        demand_m3=demand, slope=slope,
        tax=np.array([r.resource_tax_yuan_per_m3 for r in regions]) * (demand > 0),
        permit_m3=np.floor(demand * np.array([r.permit_share for r in regions])))


def _slope(cost_at_10: np.ndarray | float, quantity: np.ndarray | float) -> np.ndarray | float:
    """Slope of a linear marginal cost that reaches ``cost_at_10`` at 10 % of
    ``quantity``."""
    return cost_at_10 / (_MAC_AT * quantity)


def _drawn(scenario: Scenario, region: str, sector_name: str, count: int,
           pollutants: tuple[Pollutant, ...], streams: Streams) -> list[dict[str, Any]]:
    sector = scenario.sectors[sector_name]
    names = sorted(scenario.trading.strategies)
    shares = np.array([scenario.trading.strategies[n] for n in names])
    baseline = np.zeros((count, len(pollutants)))
    mac10 = np.zeros((count, len(pollutants)))
    for j, p in enumerate(pollutants):
        e = sector.emissions.get(p)
        if e is not None:
            baseline[:, j] = e.baseline_t * streams("baseline", p).lognormal(
                0, e.baseline_sigma, count)
            mac10[:, j] = e.mac10_yuan_per_t * streams("mac", p).lognormal(0, e.mac_sigma, count)
    scale = streams("size").lognormal(0, 0.5, count)  # output, cash and profit move together
    strategy = streams("strategy").random(count)
    picks = np.searchsorted(np.cumsum(shares / shares.sum()), strategy, side="right")
    return [{
        "id": f"{region[:2]}-{sector_name}-{k + 1:04d}", "region": region,
        "sector": sector_name, "baseline": baseline[k].tolist(), "mac10": mac10[k].tolist(),
        "intercept": [sector.emissions[p].intercept_yuan_per_t if p in sector.emissions
                      else 0.0 for p in pollutants],
        "output": sector.output * scale[k],
        "cash": sector.cash_yuan * scale[k], "profit": sector.profit_yuan * scale[k],
        "strategy": names[min(int(picks[k]), len(names) - 1)],
        "output_sigma": sector.output_sigma,
    } for k in range(count)]


def _listed(scenario: Scenario, pollutants: tuple[Pollutant, ...]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for firm in scenario.firms:
        sector = scenario.sectors.get(firm.sector)
        rows.append({
            "id": firm.name, "region": firm.region, "sector": firm.sector,
            "baseline": [firm.emissions[p].baseline_t if p in firm.emissions else 0.0
                         for p in pollutants],
            "mac10": [(firm.emissions[p].mac10_yuan_per_t or 1.0) if p in firm.emissions
                      else 0.0 for p in pollutants],
            "slope": [firm.emissions[p].slope_yuan_per_t2 or np.nan
                      if p in firm.emissions else np.nan for p in pollutants],
            "intercept": [firm.emissions[p].intercept_yuan_per_t if p in firm.emissions
                          else 0.0 for p in pollutants],
            "output": firm.output, "cash": firm.cash_yuan, "profit": firm.profit_yuan,
            "strategy": firm.strategy,
            "output_sigma": sector.output_sigma if sector else 0.0,
        })
    return rows
