"""Firms trading on the venue: when they act and what they see when they do."""

from __future__ import annotations

import numpy as np
import pytest

from agents import STRATEGIES
from exchange import Side
from scenarios import build_world, load_scenario


def test_firms_act_at_their_own_arrival_times() -> None:
    world = build_world(load_scenario("tiny"), 2)
    traders, env = world.traders, world.env
    acted: list[tuple[float, int, int]] = []
    act = traders.act

    def recording(firm: int, pollutant: int) -> None:
        acted.append((env.now, firm, pollutant))
        act(firm, pollutant)

    traders.act = recording  # type: ignore[method-assign]
    env.run(until=3)
    assert acted == [*traders.arrivals(0), *traders.arrivals(1), *traders.arrivals(2)]
    assert acted and all(int(t) == d for d in range(3) for t, *_ in traders.arrivals(d))


def test_a_trader_quotes_on_the_emissions_after_an_output_cut() -> None:
    """Facing an empty book a truthful firm quotes its own marginal permit value
    ``slope * (need - q) - tax`` on both sides. After its output falls by 90 % it holds far
    more than it needs (``need`` < 0): no lot is worth buying, and a lot sold is worth
    nothing to it, so it bids nothing and asks the bottom of the band."""
    world = build_world(load_scenario("tiny"), 2)
    world.env.run(until=5.42)  # 10:05 on day 5, in the morning session
    traders, firms, registry = world.traders, world.firms, world.registry
    market = next(iter(world.venue.markets.values()))

    def quotes_alone(firm: int) -> list[tuple[Side, int]]:
        for owner in firms.ids:
            market.cancel_all(owner)
        traders.act(firm, 0)
        return [(side, price) for _, side, price, _ in market.open_orders(firms.ids[firm])]

    truthful = np.flatnonzero(firms.strategy == STRATEGIES.index("truthful")).tolist()
    firm = next(f for f in truthful if any(side is Side.BUY for side, _ in quotes_alone(f)))
    held_t = registry.total(firms.ids[firm], market.instrument.symbol) / market.instrument.scale
    assert 0.1 * firms.current_t[firm, 0] < held_t  # the cut leaves it long
    hit = np.zeros(len(firms), dtype=bool)
    hit[firm] = True
    firms.cut_output(hit, 0.9)
    band = market.band()
    assert band is not None
    assert quotes_alone(firm) == [(Side.SELL, band[0])]


def test_buyers_route_across_the_border_only_while_the_quota_lasts() -> None:
    """200 firms in linked markets with a cross-border quota of 20 t a year per book, far
    below what the linked equilibrium would move (the benchmark's unconstrained flow, from
    the independent solver of agents.equilibrium). A buyer sent to a book whose quota is
    used up would be refused and, bidding nowhere else, stop trading: no order may be
    refused for the quota, the quota is used in full where it binds, and Changshou buyers
    keep buying at home after the last cross-border trade."""
    from agents.equilibrium import RegionFirms, linked_outcome
    from scenarios.benchmark import year_inputs

    world = build_world(load_scenario("linked", [
        "calendar.years=1", "calendar.days_per_year=200",
        "regions.changshou.firms={chemical: 50, power: 3, cement: 8, paper_food: 20, "
        "metals: 19}",
        "regions.guangan.firms={chemical: 20, power: 4, cement: 16, paper_food: 35, "
        "metals: 25}",
        "exchange.design={kind: linked, quota_t_per_year: 20}"]), 1)
    assert len(world.firms) == 200
    trades = world.run().tables["trades"]
    assert world.traders.rejections["quota_exhausted"] == 0
    binding = 0
    for pollutant in world.firms.pollutants:
        inputs = year_inputs(world, 2025, pollutant)
        regions = {r: RegionFirms(inputs.baseline_t[inputs.region == r],
                                  inputs.slope[inputs.region == r],
                                  inputs.tax[inputs.region == r], inputs.supply_t[r])
                   for r in ("changshou", "guangan")}
        free = linked_outcome(regions, world.years.design.ratios_for(pollutant))
        if free.flow_t["guangan", "changshou"] < 40:
            continue  # the quota does not bind by a clear margin
        binding += 1
        mine = trades[trades["product"] == pollutant]
        cross = mine[mine["cross_border"]]
        assert cross["quantity"].sum() == pytest.approx(20.0), pollutant
        home = mine[(mine["market"] == f"{pollutant}@changshou")
                    & (mine["buyer_region"] == "changshou")]
        assert (home["day"] > cross["day"].max()).sum() > 10, pollutant
    assert binding >= 2
