"""Bad input to the workshop server: refused plainly, revealing nothing, changing nothing."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

BIG_YAML = ("extends: tiny\nregions: {changshou: {firms: {chemical: 200000}, "
            "regulator: {cap_share: {COD: 0.85}}}}\n")
MANY_YAML = ("extends: tiny\nregions: {changshou: {firms: {chemical: 5000}, "
             "regulator: {cap_share: {COD: 0.85}}}}\n")


@pytest.mark.parametrize("yaml_text", [BIG_YAML, MANY_YAML], ids=["200000", "5000"])
@pytest.mark.parametrize("path", ["/api/preview", "/api/games"])
def test_huge_scenarios_are_refused_at_once(path: str, yaml_text: str,
                                            serve: Callable[[], TestClient]) -> None:
    client = serve()
    started = time.monotonic()
    response = client.post(path, json={"scenario": {"yaml": yaml_text}, "teams": 2})
    assert time.monotonic() - started < 5
    assert response.status_code == 422
    assert response.json()["error"] in ("bad_scenario", "scenario_too_large")
    assert "\n" not in response.json()["message"]


def test_a_wrong_name_does_not_reveal_the_team(serve: Callable[[], TestClient],
                                               new_game: Any) -> None:
    client = serve()
    host, _ = new_game(client)
    code = host.get("overview").json()["teams"][0]["code"]
    answer = client.post("/api/join", json={"code": code, "team_name": "guess"})
    assert answer.json()["error"] == "code_taken"
    assert "T0" not in answer.text


def test_join_guessing_is_rate_limited(serve: Callable[[], TestClient]) -> None:
    client = serve()
    answers = [client.post("/api/join", json={"code": f"ZZZZ{k:02d}", "team_name": "x"})
               for k in range(30)]
    assert answers[-1].status_code == 429
    assert answers[-1].json()["error"] == "too_many_attempts"
    assert sum(a.status_code == 404 for a in answers) <= 10


@pytest.mark.parametrize("name", ["evil\u202etxt", "a\u200bb", "\u2066x\u2069", "x\u200d",
                                  "\u00ad"])
def test_team_names_are_printable_text(name: str, serve: Callable[[], TestClient],
                                       tiny_game: dict[str, Any]) -> None:
    client = serve()
    game = client.post("/api/games", json=tiny_game).json()
    code = game["teams"][0]["code"]
    answer = client.post("/api/join", json={"code": code, "team_name": name})
    assert answer.status_code == 422 and answer.json()["error"] == "bad_team_name"
    fine = client.post("/api/join", json={"code": code, "team_name": "Ｔｅａｍ１"})
    assert fine.status_code == 200 and fine.json()["team_name"] == "Team1"  # NFKC


def test_security_headers_and_no_api_schema(serve: Callable[[], TestClient]) -> None:
    client = serve()
    page = client.get("/")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert client.get("/api/health").headers["x-frame-options"] == "DENY"
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 404


@pytest.mark.parametrize("frame", [b"\x00\x01binary", {"token": 12345}, {"token": ["a"]},
                                   "not json"], ids=["binary", "int", "list", "text"])
def test_malformed_first_frame_is_one_log_line(frame: Any, serve: Callable[[], TestClient],
                                               new_game: Any,
                                               caplog: pytest.LogCaptureFixture) -> None:
    client = serve()
    host, _ = new_game(client)
    caplog.clear()
    with caplog.at_level(logging.WARNING), \
            client.websocket_connect(f"/api/games/{host.game_id}/ws") as socket:
        if isinstance(frame, bytes):
            socket.send_bytes(frame)
        elif isinstance(frame, str):
            socket.send_text(frame)
        else:
            socket.send_json(frame)
        with pytest.raises(Exception):  # noqa: B017 - closed by the server (4400)
            socket.receive_json()
    records = [r for r in caplog.records if r.name.startswith(("workshop", "uvicorn"))]
    assert len(records) == 1 and records[0].exc_info is None
    assert "\n" not in records[0].getMessage()
    assert host.get("overview").status_code == 200  # the server still answers


def test_the_secret_is_in_its_own_owner_only_file(serve: Callable[[], TestClient],
                                                   new_game: Any, tmp_path: Any) -> None:
    import sqlite3

    client = serve()
    host, _ = new_game(client)
    secret = tmp_path / "workshop.db.secret"
    assert secret.stat().st_mode & 0o777 == 0o600
    db = sqlite3.connect(tmp_path / "workshop.db")
    try:
        rows = db.execute("SELECT key FROM meta WHERE key = 'token_secret'").fetchall()
    finally:
        db.close()
    assert rows == []
    assert host.get("overview").status_code == 200


def test_rotating_the_secret_ends_every_token(serve: Callable[[], TestClient], new_game: Any,
                                              tmp_path: Any) -> None:
    from cgx.cli import main

    client = serve()
    host, _ = new_game(client)
    client.__exit__(None, None, None)
    assert main(["workshop", "rotate-secret", "--db", str(tmp_path / "workshop.db")]) == 0
    again = serve()
    answer = again.get(f"/api/games/{host.game_id}/overview", headers=host.headers)
    assert answer.status_code == 401


def test_a_preview_still_answers(serve: Callable[[], TestClient]) -> None:
    client = serve()
    answer = client.post("/api/preview", json={"scenario": {"name": "tiny"}, "teams": 2})
    assert answer.status_code == 200, answer.json()
    assert len(answer.json()["firms"]) == 24 and len(answer.json()["suggested"]) == 2


def test_ended_idle_games_leave_memory_and_come_back(serve: Callable[[], TestClient],
                                                     new_game: Any, wall: Any) -> None:
    from workshop.service import IDLE_SECONDS

    client = serve()
    host, _ = new_game(client)
    assert host.control("end_game").status_code == 200
    before = host.get("overview").json()
    time.sleep(0.5)  # the end's updates are sent (each use of a game counts)
    wall.now += IDLE_SECONDS + 1
    deadline = time.monotonic() + 5
    while client.get("/api/health").json()["games_in_memory"] and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.get("/api/health").json()["games_in_memory"] == 0
    after = host.get("overview").json()
    assert after["teams"] == before["teams"] and after["clock"] == before["clock"]
    assert client.get("/api/health").json()["games_in_memory"] == 1
