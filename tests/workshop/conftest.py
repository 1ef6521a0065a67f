"""Shared setup for the workshop tests: a wall clock moved by hand, and test clients."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from workshop import create_app

# Two teams on the tiny scenario, in compliance years of two trading days and rounds of two
# days, so that ending a round trues up a year.
TINY_GAME: dict[str, Any] = {
    "title": "test", "scenario": {"name": "tiny"}, "teams": 2, "days_per_round": 2,
    "seconds_per_day": 10, "overrides": ["calendar.days_per_year=2"],
}


class Wall:
    """A wall clock that only moves when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Player:
    """A test client acting with one token."""

    def __init__(self, client: TestClient, game_id: str, token: str) -> None:
        self.client, self.game_id, self.token = client, game_id, token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/games/{self.game_id}/{path}", headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(f"/api/games/{self.game_id}/{path}", json=body,
                                headers=self.headers)

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api/games/{self.game_id}/{path}", headers=self.headers)

    def control(self, action: str) -> Any:
        return self.post("control", {"action": action})

    def order(self, side: str, lots: int, price_ticks: int, market: str = "COD@basin") -> Any:
        return self.post("orders", {"market": market, "side": side, "lots": lots,
                                    "price_ticks": price_ticks})


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture
def serve(tmp_path: Path, wall: Wall) -> Iterator[Callable[[], TestClient]]:
    """Start apps on one database file (each call is a new server on the same file)."""
    clients: list[TestClient] = []

    def start() -> TestClient:
        client = TestClient(create_app(tmp_path / "workshop.db", wall=wall,
                                       tick_seconds=0.01))
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def start_game(client: TestClient, **changes: Any) -> tuple[Player, list[Player]]:
    """Create a game, join every team; return the facilitator and the teams."""
    response = client.post("/api/games", json={**TINY_GAME, **changes})
    assert response.status_code == 201, response.json()
    game = response.json()
    host = Player(client, game["game_id"], game["facilitator_token"])
    teams = []
    for k, team in enumerate(game["teams"]):
        joined = client.post("/api/join", json={"code": team["code"], "team_name": f"T{k}"})
        assert joined.status_code == 200, joined.json()
        teams.append(Player(client, game["game_id"], joined.json()["token"]))
    return host, teams


def move_clock(host: Player, wall: Wall, seconds: float) -> dict[str, Any]:
    """Move the wall clock and wait until the server's ticker has moved the game."""
    before = host.get("overview").json()["clock"]
    wall.now += seconds
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        clock = host.get("overview").json()["clock"]
        if clock["sim_time"] != before["sim_time"] or clock["status"] != before["status"]:
            time.sleep(0.05)  # let the tick that moved it finish its checkpoint
            return host.get("overview").json()["clock"]
        time.sleep(0.01)
    raise AssertionError("the game's clock did not move")


@pytest.fixture
def new_game() -> Callable[..., tuple[Player, list[Player]]]:
    """Create a game and join every team: ``new_game(client, **settings)``."""
    return start_game


@pytest.fixture
def run_clock() -> Callable[[Player, Wall, float], dict[str, Any]]:
    """Move the wall clock and wait for the game: ``run_clock(host, wall, seconds)``."""
    return move_clock


@pytest.fixture
def as_player() -> type[Player]:
    """``as_player(client, game_id, token)``: a client acting with a token."""
    return Player


@pytest.fixture
def tiny_game() -> dict[str, Any]:
    return dict(TINY_GAME)
