"""Whole runs: determinism, conservation and the least-cost property."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from exchange import CASH, OUTSIDE
from scenarios import build_world, load_scenario, run_scenario

FRICTIONLESS = [
    "trading.strategies={truthful: 1.0}", "exchange.fee_rate=0",
    "pollutants.COD.env_tax_yuan_per_t={changshou: 3000, guangan: 3000}",
    "sectors.chemical.output_sigma=0", "sectors.paper_food.output_sigma=0",
    "regions.changshou.firms={chemical: 20, paper_food: 10}",
    "regions.guangan.firms={chemical: 10, paper_food: 20}",
    "calendar.days_per_year=120", "calendar.years=2",
]


def test_same_scenario_and_seed_give_identical_tables() -> None:
    scenario = load_scenario("tiny")
    first, second = run_scenario(scenario, 5), run_scenario(scenario, 5)
    for name, table in first.tables.items():
        if name == "run":
            table = table.drop(columns=["started_utc", "wall_seconds"])
            other = second[name].drop(columns=["started_utc", "wall_seconds"])
        else:
            other = second[name]
        pd.testing.assert_frame_equal(table, other)
    assert len(first["trades"]) > 0


JOURNAL_DIGEST = """
import hashlib
from scenarios import build_world, load_scenario
world = build_world(load_scenario("tiny"), 1)
world.run()
rows = "\\n".join(repr(e) for e in world.registry.journal)
print(hashlib.sha256(rows.encode()).hexdigest())
"""


def test_the_journal_does_not_depend_on_the_process_string_hashing() -> None:
    digests = {subprocess.run([sys.executable, "-c", JOURNAL_DIGEST], check=True,
                              capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2")}

    assert len(digests) == 1


def test_different_seeds_give_different_runs() -> None:
    scenario = load_scenario("tiny")
    a, b = run_scenario(scenario, 1), run_scenario(scenario, 2)
    assert not a["trades"]["price_yuan"].equals(b["trades"]["price_yuan"])


@pytest.mark.parametrize("design", ["autarky", "integrated", "linked"])
def test_registry_conserves_rights_and_cash(design: str) -> None:
    # Changshou's cap above its emissions: its firms end each year with rights to retire.
    scenario = load_scenario("tiny", [f"exchange.design={{kind: {design}}}",
                                      "exchange.settlement_lag_days=1",
                                      "regions.changshou.regulator.cap_share={COD: 1.3}"])
    world = build_world(scenario, 3)
    result = world.run()
    world.registry.audit()  # every asset sums to zero; the journal replays to the balances
    issued: dict[str, int] = {}
    for entry in world.registry.journal:
        if entry.kind == "issue" and entry.asset != CASH:
            issued[entry.asset] = issued.get(entry.asset, 0) + entry.amount
    for asset, amount in issued.items():
        where = {a: world.registry.holding(a, asset).total for a in world.registry.accounts()
                 if not a.startswith("issuer:")}
        assert sum(where.values()) == amount  # held, surrendered or retired, never lost
    firms = world.firms.ids
    assert set(world.firms.region) == {"changshou", "guangan"} and len(firms) == 24
    holders = [*firms, *(f"gov:{region}" for region in world.regulators)]
    left = {(a, asset): world.registry.total(a, asset) for a in holders for asset in issued}
    assert set(left.values()) == {0}  # every firm's rights were surrendered or retired
    expired = {e.debit for e in world.registry.journal
               if e.kind == "retire" and e.memo == "expired" and e.asset != CASH}
    assert "changshou" in {str(world.firms.region[firms.index(a)])
                           for a in expired & set(firms)}  # held rights until they expired
    cash_in = -world.registry.holding(OUTSIDE, CASH).total
    cash_held = sum(world.registry.holding(a, CASH).total for a in world.registry.accounts()
                    if a != OUTSIDE)
    assert cash_in == cash_held
    assert result.kpis["trades"] > 0


def test_a_run_in_which_nobody_trades_still_gives_its_tables() -> None:
    # Caps above every firm's emissions and no output shocks: nobody ever needs a right.
    scenario = load_scenario("tiny", [
        "regions.changshou.regulator.cap_share={COD: 1.3}",
        "regions.guangan.regulator.cap_share={COD: 1.3}",
        "sectors.chemical.output_sigma=0", "sectors.paper_food.output_sigma=0"])
    result = run_scenario(scenario, 1)
    assert result["trades"].empty and result.kpis["trades"] == 0
    assert (result["firm_years"]["shortfall_t"] == 0).all()


def test_firm_years_add_up() -> None:
    result = run_scenario(load_scenario("tiny"), 4)
    fy = result["firm_years"]
    assert (fy["emissions_t"] + fy["abatement_t"] - fy["baseline_t"]).abs().max() < 1e-6
    assert (fy["surrendered_t"] + fy["shortfall_t"] - fy["emissions_t"]).abs().max() < 1e-2
    trades = result["trades"]
    assert fy["bought_t"].sum() == pytest.approx(trades["delivered_quantity"].sum())
    assert fy["sold_t"].sum() == pytest.approx(trades["quantity"].sum())


@pytest.mark.parametrize("seed", [11, 12])
def test_truthful_frictionless_market_reaches_least_cost(seed: int) -> None:
    """Montgomery (1972): with MAC-truthful firms and no frictions one market finds the
    equilibrium price and the least-cost allocation of the cap."""
    scenario = load_scenario("tiny", [*FRICTIONLESS, "exchange.design={kind: integrated}"])
    result = run_scenario(scenario, seed)
    years = result["market_years"]
    first = years[years["year"] == years["year"].min()]
    assert (first["volume_t"] > 0).all()
    for row in first.itertuples():  # the year-end reference: last close or standing quotes
        gap = row.last_price_yuan / row.equilibrium_price_yuan - 1
        assert abs(gap) < 0.02, (row.zone, gap)
    kpis = result.kpis
    assert kpis["design_efficiency"] == pytest.approx(1.0, abs=0.01)
    assert kpis["cost_efficiency"] == pytest.approx(1.0, abs=0.01)
    assert kpis["compliance_rate"] == 1.0


def test_truthful_frictionless_linked_markets_approach_the_ratio_equilibrium() -> None:
    """Hung & Shaw (2005): linked markets under a trading ratio have an equilibrium of their
    own. A cross-border purchase is converted at once and cannot be sold back, so early
    flows are irreversible and one seed's year can end well away from it (in one of ten
    seeds the Changshou price ended 39 % below); across seeds the market finds it."""
    scenario = load_scenario("tiny", [
        *FRICTIONLESS, "exchange.design={kind: linked, ratio_guangan_to_changshou: 0.8}"])
    gaps, efficiency = [], []
    for seed in range(11, 17):
        result = run_scenario(scenario, seed)
        years = result["market_years"]
        first = years[years["year"] == years["year"].min()]
        assert (first["volume_t"] > 0).all()
        gaps += (first["last_price_yuan"] / first["equilibrium_price_yuan"] - 1).tolist()
        efficiency.append(result.kpis["design_efficiency"])
        assert result.kpis["compliance_rate"] == 1.0
    assert float(np.median(np.abs(gaps))) < 0.05, gaps
    assert float(np.mean(efficiency)) == pytest.approx(1.0, abs=0.02), efficiency


def test_trading_rules_are_set_in_each_pollutants_own_lots() -> None:
    """A block trade needs 1,000 t whatever the lot: 1,000 lots of 1 t of COD, 10,000 lots of
    0.1 t of NH3-N (the review found 10,000 t of COD when one product had the smaller lot)."""
    world = build_world(load_scenario("baseline", [
        "pollutants.COD.lot_t=1.0", "exchange.max_order_t=50", "calendar.years=1"]), 1)
    world.env.run(until=0.5)
    rules = {m.instrument.product: (m.instrument.lot_quantity, m.rules)
             for m in world.venue.markets.values()}
    assert rules["COD"][0] == 1.0 and rules["NH3N"][0] == 0.1
    assert rules["COD"][1].block_min_lots == 1_000 and rules["NH3N"][1].block_min_lots == 10_000
    assert rules["COD"][1].max_order_lots == 50 and rules["NH3N"][1].max_order_lots == 500


def test_every_journal_entry_carries_the_business_day_it_happened_on() -> None:
    world = build_world(load_scenario("tiny"), 1)
    world.run()
    cal, journal = world.venue.calendar, world.registry.journal
    cash_days = {e.day for e in journal if e.memo == "operating cash flow"}
    assert cash_days == {d for d in range(cal.horizon_days) if cal.month_index(d) is not None}
    expired = {e.day for e in journal if e.memo == "expired"}
    assert expired <= {cal.first_day(y + 1) for y in cal.years_list}  # at the year's close
    trades = {f"{t.market}#{t.trade_id}": t.day for t in world.venue.trades}
    paid = {e.memo: e.day for e in journal if e.kind == "pay"}
    assert len(paid) > 10 and paid == {k: trades[k] for k in paid}  # T+0: paid that day
    assert [e.day for e in journal] == sorted(e.day for e in journal)
