"""The game engine: trading time, rounds, replay, and what a team sees."""

from __future__ import annotations

import math

import pytest

from exchange import Calendar, Side, clock_fraction
from workshop import Game, GameSettings, ReplayDiverged, ScenarioRef
from workshop.clock import REST, TradingClock
from workshop.settings import build_game_world
from workshop.views import team_view

FIRMS = ["ch-paper_food-0003", "gu-paper_food-0007"]
# Only paper mills, every one played by people: no simulated firm sends an order, so the
# book holds what the teams send and nothing else.
NOBODY_ELSE = [
    "regions.changshou.firms={paper_food: 4}", "regions.guangan.firms={paper_food: 8}",
    "trading.manual_firms=[" + ", ".join(
        [f"ch-paper_food-{k:04d}" for k in range(1, 5)]
        + [f"gu-paper_food-{k:04d}" for k in range(1, 9)]) + "]"]


def make_game(*overrides: str, days_per_round: int = 4) -> Game:
    settings = GameSettings(scenario=ScenarioRef(name="tiny"), seed=1, firms=FIRMS,
                            days_per_round=days_per_round, overrides=list(overrides))
    return Game("g", settings, build_game_world(settings))


def test_trading_time_skips_nights_and_breaks() -> None:
    calendar = Calendar(2025, 1, 10, ((clock_fraction("09:30"), clock_fraction("11:30")),
                                      (clock_fraction("13:00"), clock_fraction("15:00"))),
                        clock_fraction("09:15"))
    clock = TradingClock.of(calendar, 4)
    assert clock.rounds == 3 and clock.round_days(3) == (8, 10)
    assert clock.time_at(1, 0.0) == pytest.approx(clock_fraction("09:15"))
    # half of 4.25 open hours: past the 15 min call, 1 h 52.5 min into the morning session
    assert clock.time_at(2, 1.5) == pytest.approx(5 + clock_fraction("09:30") + 1.875 / 24)
    for position in (0.0, 0.3, 1.0, 2.7, 3.999):
        time = clock.time_at(2, position)
        inside = [a < time - math.floor(time) < b for a, b in clock.windows]
        assert any(inside), position
        assert clock.position_of(2, time) == pytest.approx(position, abs=1e-6)
    assert clock.rest_after(1) == 4 + REST


def test_rounds_open_pause_and_close_at_their_end() -> None:
    game = make_game()
    assert game.status == "lobby" and game.now == REST
    game.act("open_round", None, {})
    assert game.advance(1.5) == [] and game.status == "open"
    assert int(game.now) == 1
    (closed,) = game.advance(10)
    assert closed.kind == "end_round" and closed.payload == {"by": "timer"}
    assert game.status == "break" and game.now == 4 + REST


def test_replaying_the_actions_gives_the_same_market() -> None:
    live = make_game("exchange.opening_auction=false")
    actions = [live.act("open_round", None, {})[0]]
    live.advance(0.4)
    for team, side, edge in ((1, "sell", 1), (2, "buy", 1), (2, "buy", 0)):
        market = live.markets_of(1)[0]
        price = market.band()[edge]  # type: ignore[index]
        actions.append(live.act("order", team, {"market": market.market_id, "side": side,
                                                "lots": 2, "price_ticks": price})[0])
        live.advance(0.37)
    actions.append(live.act("abate", 1, {"pollutant": "COD", "abatement_t": 4.0})[0])
    live.advance(1.3)
    again = make_game("exchange.opening_auction=false")
    for action in actions:
        again.replay(action)
    again.resume_clock(live.now)
    assert [s.trade for s in again.trades] == [s.trade for s in live.trades]
    assert again.now == live.now and again.position == pytest.approx(live.position)
    assert team_view(again, 1) == team_view(live, 1)
    assert [m.book.depth(20) for m in again.world.venue.markets.values()] == \
        [m.book.depth(20) for m in live.world.venue.markets.values()]


def test_a_stored_action_that_no_longer_fits_is_reported() -> None:
    live = make_game()
    opened, _ = live.act("open_round", None, {})
    again = make_game()
    again.replay(opened)
    with pytest.raises(ReplayDiverged):
        again.replay(opened)  # a round is open already


def test_a_team_sees_its_position_and_cost_curve() -> None:
    game = make_game()
    view = team_view(game, 1, "Alpha")
    (cod,) = view["pollutants"]
    assert view["firm"] == FIRMS[0] and view["finance"] == {"available": False}
    assert cod["held_t"] == pytest.approx(cod["allocation_t"], abs=1e-3)
    assert cod["cost_of_next_t_yuan"] > cod["mac_at_plan_yuan_per_t"] > 0
    game.act("abate", 1, {"pollutant": "COD", "abatement_t": 5.0})
    cod = team_view(game, 1)["pollutants"][0]
    assert cod["abatement_plan_t"] == 5.0
    assert cod["cost_at_plan_yuan"] == pytest.approx(cod["slope_yuan_per_t2"] * 12.5)


def test_a_teams_resting_order_stays_until_it_trades_or_is_cancelled() -> None:
    game = make_game("exchange.opening_auction=false", *NOBODY_ELSE, days_per_round=10)
    game.act("open_round", None, {})
    game.advance(0.3)
    market = game.markets_of(1)[0]
    band = market.band()
    assert band is not None
    ask, high = band[1] - 1, band[1]
    _, placed = game.act("order", 1, {"market": market.market_id, "side": "sell", "lots": 3,
                                      "price_ticks": ask, "tif": "gtc"})
    order_id = placed["order_id"]
    assert placed == {"order_id": order_id, "resting_lots": 3, "filled_lots": 0,
                      "trades": []}
    for _ in range(60):
        game.advance(0.05)
    assert int(game.now) == 3 and market.band() == band  # three closes, no trade in between
    assert [row[1:] for row in game.open_orders(1)] == [(order_id, Side.SELL, ask, 3)]
    assert market.open_orders(FIRMS[0]) == [(order_id, Side.SELL, ask, 3)]
    assert game.trades == []
    # The other team bids two lots above it: they trade at the resting order's price.
    _, bought = game.act("order", 2, {"market": market.market_id, "side": "buy", "lots": 2,
                                      "price_ticks": high})
    assert (bought["filled_lots"], bought["resting_lots"]) == (2, 0)
    (seen,) = game.trades
    trade = seen.trade
    assert (trade.seller, trade.buyer, trade.lots, trade.price_ticks) == (FIRMS[0], FIRMS[1],
                                                                          2, ask)
    assert game.trades_of_team == {1: [seen], 2: [seen]}
    assert [row[1:] for row in game.open_orders(1)] == [(order_id, Side.SELL, ask, 1)]
    _, cancelled = game.act("cancel", 1, {"order_id": order_id})
    assert cancelled == {"order_id": order_id, "cancelled_lots": 1}
    assert game.open_orders(1) == [] and market.open_orders(FIRMS[0]) == []
