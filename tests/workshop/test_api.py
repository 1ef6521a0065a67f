"""The workshop API: every refusal, live updates, and restarts that lose nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

Player = Wall = Any  # the conftest's Player and Wall, handed out by fixtures


@pytest.fixture
def game(serve: Callable[[], TestClient], wall: Wall, new_game: Any,
         run_clock: Any) -> tuple[Player, list[Player]]:
    host, teams = new_game(serve())
    assert host.control("open_round").json() == {"round": 1}
    run_clock(host, wall, 2.0)
    return host, teams


def band(player: Player) -> tuple[int, int]:
    market = player.get("me").json()["markets"][0]
    return tuple(market["band"])  # type: ignore[return-value]


def resting_order(player: Player, lots: int) -> dict[str, Any]:
    """Place an order that meets nothing in the book (the clock stands still between
    requests, so it rests whole): a sell above the best bid, or, when bids reach the top of
    the band, a buy below the best ask."""
    market = player.get("me").json()["markets"][0]
    low, high = market["band"]
    best_bid = max((price for price, _ in market["bids"]), default=low - 1)
    if best_bid < high:
        placed = player.order("sell", lots, max(best_bid + 1, low)).json()
    else:
        best_ask = min((price for price, _ in market["asks"]), default=high + 1)
        placed = player.order("buy", lots, min(best_ask - 1, high)).json()
    assert placed["filled_lots"] == 0, placed
    return placed  # type: ignore[no-any-return]


# ---- tokens and other games ----------------------------------------------------------------


def test_requests_without_a_valid_token_are_refused(game: Any, as_player: Any) -> None:
    host, (alice, _) = game
    for token in ("", "nonsense", alice.token[:-2] + "xx", host.token.replace("Z", "Y", 1)):
        response = as_player(alice.client, alice.game_id, token).get("me")
        assert response.status_code == 401
        assert response.json()["error"] == "bad_token"
        assert response.json()["message_zh"]


def test_a_participant_cannot_use_the_facilitators_controls(game: Any) -> None:
    host, (alice, _) = game
    for path, body in (("control", {"action": "end_game"}),):
        assert alice.post(path, body).status_code == 403
    assert alice.get("overview").status_code == 403
    assert alice.get("log").status_code == 403
    assert alice.get("debrief").json()["error"] == "not_finished"
    assert host.order("buy", 1, 100).status_code == 403


def test_another_games_players_cannot_read_or_act(game: Any, new_game: Any,
                                                 as_player: Any) -> None:
    host, (alice, _) = game
    other_host, (mallory, _) = new_game(host.client)
    for intruder in (mallory, other_host):
        spy = as_player(host.client, host.game_id, intruder.token)
        for response in (spy.get("me"), spy.get("overview"), spy.get("trades"),
                         spy.get("debrief"), spy.order("buy", 1, 20_000)):
            assert response.status_code == 403
            assert response.json()["error"] == "forbidden"
    with host.client.websocket_connect(f"/api/games/{host.game_id}/ws") as socket:
        socket.send_json({"token": mallory.token})
        assert socket.receive_json()["error"] == "forbidden"
        with pytest.raises(WebSocketDisconnect):
            socket.receive_json()


def test_a_team_cannot_cancel_another_teams_order(game: Any) -> None:
    host, (alice, bob) = game
    placed = resting_order(alice, 2)
    response = bob.delete(f"orders/{placed['order_id']}")
    assert response.status_code == 409
    assert response.json()["error"] == "unknown_order"
    orders = alice.get("me").json()["team"]["orders"]
    assert any(o["order_id"] == placed["order_id"] for o in orders)
    assert alice.delete(f"orders/{placed['order_id']}").json()["cancelled_lots"] == 2


# ---- malformed input -----------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    {"market": "COD@basin", "side": "buy", "lots": -1, "price_ticks": 20_000},
    {"market": "COD@basin", "side": "buy", "lots": 0, "price_ticks": 20_000},
    {"market": "COD@basin", "side": "buy", "lots": "5", "price_ticks": 20_000},
    {"market": "COD@basin", "side": "buy", "lots": 1.5, "price_ticks": 20_000},
    {"market": "COD@basin", "side": "hold", "lots": 1, "price_ticks": 20_000},
    {"market": "COD@basin", "side": "buy", "lots": 1},
    {"market": "COD@basin", "side": "buy", "lots": 1, "price_ticks": 20_000, "owner": "x"},
    {"market": "COD@basin", "side": "buy", "lots": 1, "price_ticks": 20_000, "tif": "ioc"},
    {"market": "x" * 100, "side": "buy", "lots": 1, "price_ticks": 20_000},
    [1, 2, 3],
])
def test_malformed_orders_are_refused_in_plain_words(game: Any, body: Any) -> None:
    _, (alice, _) = game
    response = alice.post("orders", body)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"
    assert response.json()["message"].startswith("Invalid input")


def test_market_rules_are_refused_in_plain_words(game: Any) -> None:
    _, (alice, _) = game
    low, high = band(alice)
    cases = {
        "outside_band": alice.order("buy", 1, high + 1),
        "unknown_market": alice.order("buy", 1, high, market="SO2@basin"),
        "insufficient_units": alice.order("sell", 10**9, high),
        "insufficient_cash": alice.order("buy", 10**9, high),
    }
    for code, response in cases.items():
        assert response.status_code == 409, code
        assert response.json()["error"] == code
    assert "band" in cases["outside_band"].json()["message"]


@pytest.mark.parametrize("body", [
    {"pollutant": "COD", "abatement_t": -1},
    {"pollutant": "COD", "abatement_t": "lots"},
    {"pollutant": "COD"},
])
def test_malformed_abatement_is_refused(game: Any, body: dict[str, Any]) -> None:
    _, (alice, _) = game
    assert alice.post("abatement", body).status_code == 422


def test_abatement_beyond_emissions_or_of_another_pollutant_is_refused(game: Any) -> None:
    _, (alice, _) = game
    too_much = alice.post("abatement", {"pollutant": "COD", "abatement_t": 1e9})
    assert too_much.json()["error"] == "bad_abatement"
    assert alice.post("abatement", {"pollutant": "SO2", "abatement_t": 1}).json()["error"] \
        == "unknown_pollutant"
    chosen = alice.post("abatement", {"pollutant": "COD", "abatement_t": 3.25})
    assert chosen.json()["abatement_t"] == 3.25
    me = alice.get("me").json()["team"]["pollutants"][0]
    assert me["abatement_plan_t"] == 3.25


def test_bad_codes_names_and_settings_are_refused(serve: Callable[[], TestClient],
                                                 new_game: Any) -> None:
    client = serve()
    host, (alice, _) = new_game(client)
    assert client.post("/api/join", json={"code": "ZZZZZZ", "team_name": "x"}).json()[
        "error"] == "bad_code"
    code = host.get("overview").json()["teams"][0]["code"]
    taken = client.post("/api/join", json={"code": code, "team_name": "Someone else"})
    assert taken.json()["error"] == "code_taken"
    again = client.post("/api/join", json={"code": code.lower(), "team_name": "t0"})
    assert again.status_code == 200 and again.json()["team_id"] == 1
    for body in ({"scenario": {"name": "nope"}, "teams": 2},
                 {"scenario": {"name": "tiny"}, "firms": ["no-such-firm"]},
                 {"scenario": {"name": "tiny"}, "teams": 2, "banks": ["bank-1"]},
                 {"scenario": {"name": "tiny"}, "teams": 2, "overrides": ["exchange.band=9"]},
                 {"scenario": {"yaml": "extends: /etc/passwd\n"}, "teams": 1},
                 {"scenario": {"name": "tiny"}, "teams": 500},
                 {"scenario": {"name": "tiny"}}):
        response = client.post("/api/games", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"] in ("bad_scenario", "no_banks", "invalid_input")


# ---- rounds --------------------------------------------------------------------------------


def test_orders_are_refused_when_no_round_is_open(serve: Callable[[], TestClient],
                                                 wall: Wall, new_game: Any,
                                                 run_clock: Any) -> None:
    host, (alice, _) = new_game(serve())
    assert alice.order("buy", 1, 20_000).json()["error"] == "not_started"
    host.control("open_round")
    run_clock(host, wall, 1.0)
    host.control("pause")
    assert alice.order("buy", 1, 20_000).json()["error"] == "round_paused"
    host.control("resume")
    assert host.control("end_round").json() == {"round": 1, "status": "break"}
    refused = alice.order("buy", 1, 20_000)
    assert refused.status_code == 409
    assert refused.json()["error"] == "round_closed"
    assert "closed" in refused.json()["message"]
    assert host.control("pause").json()["error"] == "round_closed"
    host.control("end_game")
    assert alice.order("buy", 1, 20_000).json()["error"] == "game_ended"
    assert host.control("open_round").json()["error"] == "game_ended"


def test_a_round_closes_on_its_timer_and_the_true_up_shows(serve: Callable[[], TestClient],
                                                          wall: Wall, new_game: Any,
                                                          run_clock: Any) -> None:
    host, (alice, _) = new_game(serve())
    host.control("open_round")
    clock = run_clock(host, wall, 25.0)  # rounds last 2 days of 10 s
    assert clock["status"] == "break"
    compliance = alice.get("me").json()["team"]["compliance"]
    assert [(r["year"], r["pollutant"]) for r in compliance] == [(2025, "COD")]
    log = host.get("log").json()["actions"]
    assert [a["kind"] for a in log] == ["open_round", "end_round"]
    assert log[-1]["payload"] == {"by": "timer"}


# ---- live updates --------------------------------------------------------------------------


# Only paper mills, every one played by people: no simulated firm sends an order, so the
# book holds what the teams send and nothing else.
NOBODY_ELSE = [
    "calendar.days_per_year=2",
    "regions.changshou.firms={paper_food: 4}", "regions.guangan.firms={paper_food: 8}",
    "trading.manual_firms=[" + ", ".join(
        [f"ch-paper_food-{k:04d}" for k in range(1, 5)]
        + [f"gu-paper_food-{k:04d}" for k in range(1, 9)]) + "]"]


def test_both_sides_see_a_trade_on_their_sockets(serve: Callable[[], TestClient], wall: Wall,
                                                 new_game: Any, run_clock: Any) -> None:
    host, (alice, bob) = new_game(serve(), overrides=NOBODY_ELSE)
    host.control("open_round")
    run_clock(host, wall, 2.0)
    low, high = band(alice)
    path = f"/api/games/{host.game_id}/ws"
    with alice.client.websocket_connect(path) as a, bob.client.websocket_connect(path) as b:
        a.send_json({"token": alice.token})
        b.send_json({"token": bob.token})
        assert a.receive_json()["type"] == "state" and b.receive_json()["type"] == "state"
        placed = alice.order("sell", 3, high - 1).json()
        assert (placed["resting_lots"], placed["filled_lots"]) == (3, 0)
        ack = bob.order("buy", 3, high).json()
        assert (ack["resting_lots"], ack["filled_lots"]) == (0, 3)
        (key,) = ack["trades"]
        (trade,) = host.get("trades").json()["trades"]
        firms = [p.get("me").json()["team"]["firm"] for p in (alice, bob)]
        assert (trade["key"], trade["seller"], trade["buyer"], trade["lots"],
                trade["price_ticks"]) == (key, *firms, 3, high - 1)  # at the resting price
        for socket, side in ((a, "sell"), (b, "buy")):
            _until(socket, lambda m: any(t["key"] == key for market in m.get("markets", [])
                                         for t in market["trades"]))
            mine = _until(socket, lambda m: any(
                t["key"] == key for t in m.get("team", {}).get("trades", [])))
            (row,) = mine["team"]["trades"]
            assert (row["key"], row["mine"], row["lots"], row["price_ticks"]) == (
                key, side, 3, high - 1)


def _until(socket: Any, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    for _ in range(20):
        message = socket.receive_json()
        if wanted(message):
            return message  # type: ignore[no-any-return]
    raise AssertionError("no such message")


# ---- restarts ------------------------------------------------------------------------------


def snapshot(host: Player, teams: list[Player]) -> dict[str, Any]:
    """What must survive a restart: trades, books, positions, orders, clock, log."""
    trades = host.get("trades").json()["trades"]
    for trade in trades:
        trade.pop("time")  # when a screen first saw it: not part of the trade
    overview = host.get("overview").json()
    markets = [{k: m[k] for k in ("market", "instrument", "bids", "asks", "reference_ticks")}
               for m in overview["markets"]]
    me = [t.get("me").json()["team"] for t in teams]
    for team in me:
        for trade in team["trades"]:
            trade.pop("time")
    return {"trades": trades, "markets": markets, "teams": me, "clock": overview["clock"],
            "log": host.get("log").json()["actions"]}


def play_a_little(host: Player, teams: list[Player], wall: Wall, run_clock: Any) -> None:
    alice, bob = teams
    host.control("open_round")
    run_clock(host, wall, 3.0)
    low, high = band(alice)
    alice.order("sell", 4, high)
    bob.order("buy", 2, high)
    resting = bob.order("buy", 5, low).json()
    alice.post("abatement", {"pollutant": "COD", "abatement_t": 2.5})
    run_clock(host, wall, 4.0)
    bob.delete(f"orders/{resting['order_id']}")
    run_clock(host, wall, 2.0)
    resting_order(bob, 1)


def test_a_restarted_server_has_every_game_order_and_trade(serve: Callable[[], TestClient],
                                                           wall: Wall, new_game: Any,
                                                           run_clock: Any,
                                                           as_player: Any) -> None:
    first = serve()
    host, teams = new_game(first)
    play_a_little(host, teams, wall, run_clock)
    before = snapshot(host, teams)
    assert len(before["trades"]) > 2 and before["teams"][1]["orders"]
    first.__exit__(None, None, None)  # the server stops
    second = serve()
    host, *teams = [as_player(second, p.game_id, p.token) for p in (host, *teams)]
    after = snapshot(host, teams)
    assert after == before
    run_clock(host, wall, 2.0)  # the round goes on where it was
    placed = teams[0].order("buy", 1, band(teams[0])[0])
    assert placed.status_code == 200, placed.json()


def test_a_crashed_server_loses_no_acknowledged_order(tmp_path: Any, wall: Wall,
                                                      tiny_game: dict[str, Any]) -> None:
    from workshop import CreateGame, Join, Store, Workshop

    path = tmp_path / "crash.db"
    shop = Workshop(Store(path), wall)
    game = shop.create(CreateGame.model_validate(tiny_game))
    gid = game["game_id"]
    teams = [shop.join(Join(code=t["code"], team_name=f"T{k}"))["team_id"]
             for k, t in enumerate(game["teams"])]
    shop.act(gid, "open_round", None, {})
    acks = []
    for step in range(12):
        wall.now += 1.5
        shop.tick()
        market = shop.game(gid).markets_of(teams[0])[0]
        low, high = market.band()  # type: ignore[misc]
        side, price = ("sell", high) if step % 2 else ("buy", low + step)
        acks.append(shop.act(gid, "order", teams[step % 2], {
            "market": market.market_id, "side": side, "lots": 1, "price_ticks": price}))
    wall.now += 1.5
    shop.tick()
    live = shop.game(gid)
    assert live.trades
    expected = [(s.key, s.trade) for s in live.trades]
    books = {m: (x.book.depth(50)) for m, x in live.world.venue.markets.items()}
    # No shutdown, no final checkpoint: a second server opens the same file.
    again = Workshop(Store(path), wall).game(gid)
    assert [(s.key, s.trade) for s in again.trades] == expected
    assert {m: x.book.depth(50) for m, x in again.world.venue.markets.items()} == books
    stored = {a.payload["order_id"] for _, a in Workshop(Store(path), wall).store.actions(
        gid, "order")}
    assert {a["order_id"] for a in acks} <= stored
