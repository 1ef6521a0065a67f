"""Load check of the workshop server: many simulated participants trading on loopback.

Starts ``cgx workshop serve`` on a free port of 127.0.0.1 with a fresh database, creates a
game with one team per participant, and lets every participant place limit orders around
the reference price (and now and then cancel one) while listening on its WebSocket. It
measures:

- order acknowledgement latency: from sending an order to its HTTP answer;
- trade broadcast latency: from sending an order that traded to each participant's socket
  showing the trade (over every participant that sees the market);
- lost orders: acknowledged orders missing from the server's stored actions (must be 0),
  and, after a restart of the server on the same database, trades or orders that did not
  come back (must be 0).

    python benchmarks/workshop_load.py                    # 60 participants, 2 minutes
    python benchmarks/workshop_load.py --seconds 20 --participants 10

Every loop is bounded by the duration; only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets


@dataclass
class Participant:
    team_id: int
    token: str
    markets: dict[str, dict[str, Any]] = field(default_factory=dict)
    acked: list[int] = field(default_factory=list)
    open_orders: list[int] = field(default_factory=list)
    seen: dict[str, float] = field(default_factory=dict)  # trade key -> first seen


@dataclass
class Results:
    ack_seconds: list[float] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)
    sent_at: dict[str, float] = field(default_factory=dict)  # trade key -> order sent
    owner: dict[str, int] = field(default_factory=dict)  # trade key -> team that traded
    cancels: int = 0
    unanswered: int = 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=120.0, help="trading time")
    parser.add_argument("--rate", type=float, default=1.0,
                        help="orders per participant per second (default 1)")
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--seed", type=int, default=1, help="seed of the participants' choices")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--db", type=Path, help="keep the server's database here (default: "
                        "a temporary file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or Path(folder) / "load.db"
        report = asyncio.run(run(args, db))
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if report["lost_orders"] == 0 and report["restart"]["lost"] == 0 else 1


async def run(args: argparse.Namespace, db: Path) -> dict[str, Any]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = await _start(port, db)
    try:
        # Idle connections are dropped before the server's 5 s keep-alive ends, so that no
        # order goes out on a connection the server is closing.
        limits = httpx.Limits(max_connections=200, keepalive_expiry=3)
        async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
            game, host, people = await _set_up(http, args)
            results = Results()
            deadline = time.monotonic() + args.seconds
            rng = random.Random(args.seed)
            tasks = [asyncio.create_task(_listen(port, game, p, deadline + 3)) for p in people]
            await asyncio.sleep(1.0)  # sockets connected and first states read
            tasks += [asyncio.create_task(_trade(http, game, p, results, deadline,
                                                 random.Random(rng.random()), args.rate))
                      for p in people]
            await asyncio.gather(*tasks)
            await http.post(f"/api/games/{game}/control", json={"action": "pause"},
                            headers=_auth(host))  # so the clock stands still across restart
            stored = await _stored_orders(http, game, host)
            before = await _evidence(http, game, host)
    finally:
        _stop(server)
    server = await _start(port, db)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            after = await _evidence(http, game, host)
    finally:
        _stop(server)
    return _report(args, people, results, stored, before, after)


async def _set_up(http: httpx.AsyncClient, args: argparse.Namespace
                  ) -> tuple[str, str, list[Participant]]:
    created = (await http.post("/api/games", json={
        "title": "load check", "scenario": {"name": args.scenario},
        "teams": args.participants, "days_per_round": 200, "seconds_per_day": 10})).json()
    game, host = created["game_id"], created["facilitator_token"]
    people = []
    for k, team in enumerate(created["teams"]):
        joined = (await http.post("/api/join", json={"code": team["code"],
                                                     "team_name": f"team {k + 1}"})).json()
        people.append(Participant(joined["team_id"], joined["token"]))
    await http.post(f"/api/games/{game}/control", json={"action": "open_round"},
                    headers=_auth(host))
    return game, host, people


async def _listen(port: int, game: str, person: Participant, until: float) -> None:
    """Read the participant's socket until ``until``; note when each trade is first seen."""
    async with websockets.connect(f"ws://127.0.0.1:{port}/api/games/{game}/ws",
                                  max_size=None) as ws:
        await ws.send(json.dumps({"token": person.token}))
        while time.monotonic() < until:
            try:
                text = await asyncio.wait_for(ws.recv(), timeout=until - time.monotonic())
            except (asyncio.TimeoutError, websockets.ConnectionClosed):
                return
            now = time.monotonic()
            message = json.loads(text)
            for market in message.get("markets", []):
                person.markets[market["market"]] = market
                for trade in market["trades"]:
                    person.seen.setdefault(trade["key"], now)
            for trade in message.get("team", {}).get("trades", []):
                person.seen.setdefault(trade["key"], now)


async def _trade(http: httpx.AsyncClient, game: str, person: Participant, results: Results,
                 deadline: float, rng: random.Random, rate: float) -> None:
    """Send orders at about ``rate`` per second until the deadline."""
    headers = _auth(person.token)
    while time.monotonic() < deadline:
        await asyncio.sleep(rng.expovariate(rate))
        if not person.markets or time.monotonic() >= deadline:
            continue
        if person.open_orders and rng.random() < 0.2:
            order_id = person.open_orders.pop(rng.randrange(len(person.open_orders)))
            try:
                response = await http.delete(f"/api/games/{game}/orders/{order_id}",
                                             headers=headers)
            except httpx.TransportError:
                results.unanswered += 1
                continue
            results.cancels += response.status_code == 200
            continue
        market = rng.choice(list(person.markets.values()))
        reference = market["reference_ticks"]
        side = rng.choice(("buy", "sell"))
        # Buyers bid a little above the reference and sellers ask a little below, often
        # enough for orders to cross; a band rejection is a measured answer too.
        drift = rng.uniform(-0.03, 0.05) * (1 if side == "buy" else -1)
        body = {"market": market["market"], "side": side, "lots": rng.randint(1, 5),
                "price_ticks": max(1, round(reference * (1 + drift)))}
        sent = time.monotonic()
        try:
            response = await http.post(f"/api/games/{game}/orders", json=body,
                                       headers=headers)
        except httpx.TransportError:  # no answer: not acknowledged, so not counted as lost
            results.unanswered += 1
            continue
        results.ack_seconds.append(time.monotonic() - sent)
        answer = response.json()
        if response.status_code != 200:
            results.refused[answer.get("error", "?")] = results.refused.get(
                answer.get("error", "?"), 0) + 1
            continue
        person.acked.append(answer["order_id"])
        if answer["resting_lots"]:
            person.open_orders.append(answer["order_id"])
        for key in answer["trades"]:
            results.sent_at[key] = sent
            results.owner[key] = person.team_id


async def _stored_orders(http: httpx.AsyncClient, game: str, host: str) -> set[int]:
    log = (await http.get(f"/api/games/{game}/log", params={"kind": "order"},
                          headers=_auth(host))).json()["actions"]
    return {a["payload"]["order_id"] for a in log}


async def _evidence(http: httpx.AsyncClient, game: str, host: str) -> dict[str, Any]:
    trades = (await http.get(f"/api/games/{game}/trades", headers=_auth(host))).json()
    log = (await http.get(f"/api/games/{game}/log", headers=_auth(host))).json()
    return {"trades": {t["key"]: (t["buyer"], t["seller"], t["lots"], t["price_ticks"])
                       for t in trades["trades"]},
            "actions": [(a["seq"], a["kind"], a["payload"]) for a in log["actions"]]}


def _report(args: argparse.Namespace, people: list[Participant], results: Results,
            stored: set[int], before: dict[str, Any], after: dict[str, Any]
            ) -> dict[str, Any]:
    acked = [o for p in people for o in p.acked]
    broadcast = [p.seen[key] - sent for key, sent in results.sent_at.items()
                 for p in people if key in p.seen]
    unseen = sum(1 for key in results.sent_at for p in people
                 if p.team_id == results.owner[key] and key not in p.seen)
    lost_trades = set(before["trades"]) - set(after["trades"])
    changed = [k for k in before["trades"] if k in after["trades"]
               and before["trades"][k] != after["trades"][k]]
    if before["trades"] != after["trades"]:
        changed.append("(trade lists differ)")
    return {
        "participants": args.participants, "seconds": args.seconds, "scenario": args.scenario,
        "orders_sent": len(results.ack_seconds), "orders_acknowledged": len(acked),
        "orders_refused": results.refused, "orders_unanswered": results.unanswered,
        "cancels": results.cancels,
        "orders_per_second": round(len(results.ack_seconds) / args.seconds, 1),
        "ack_ms": _quantiles(results.ack_seconds),
        "trades_by_participants": len(results.sent_at),
        "trade_broadcast_ms": _quantiles(broadcast), "broadcasts_measured": len(broadcast),
        "own_trades_never_shown": unseen,
        "lost_orders": len(set(acked) - stored),
        "restart": {"trades_before": len(before["trades"]),
                    "trades_after": len(after["trades"]),
                    "actions_identical": before["actions"] == after["actions"],
                    "lost": len(lost_trades) + len(changed)
                    + (before["actions"] != after["actions"])},
    }


def _quantiles(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {}
    ms = sorted(s * 1000 for s in seconds)
    return {"median": round(statistics.median(ms), 1),
            "p99": round(ms[min(len(ms) - 1, int(0.99 * len(ms)))], 1),
            "max": round(ms[-1], 1)}


async def _start(port: int, db: Path) -> subprocess.Popen[bytes]:
    log = open(db.with_suffix(".log"), "ab")  # the server's output, beside its database
    process = subprocess.Popen(
        [sys.executable, "-m", "cgx.cli", "workshop", "serve", "--port", str(port),
         "--db", str(db)], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    async with httpx.AsyncClient() as http:
        for _ in range(1500):  # a restarted server first rebuilds its running games
            try:
                if (await http.get(f"http://127.0.0.1:{port}/api/health")).status_code == 200:
                    return process
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
    _stop(process)
    raise RuntimeError(f"the workshop server did not start: see {db.with_suffix('.log')}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()  # uvicorn shuts down cleanly on SIGTERM
    process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


if __name__ == "__main__":
    sys.exit(main())
