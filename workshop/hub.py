"""Live updates: each screen's WebSocket gets what changed in its game, and only that.

A participant receives the clock, the books and anonymous trades of the markets its firm
may trade in, and its own team's state when that changed. The facilitator receives the
whole overview, at most twice a second. Each connection has its own outgoing queue and
sender task, so a slow phone never holds up the others; one that falls far behind is
closed, and its page reconnects and starts again from a full state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import WebSocket

from workshop.engine import Changes, Game
from workshop.service import Workshop
from workshop.views import clock_view, market_view, overview, team_view

QUEUE_LIMIT = 200
OVERVIEW_SECONDS = 0.5
CLOCK_SECONDS = 1.0


@dataclass(eq=False)
class Subscriber:
    """One open WebSocket: the game it watches, its role and team, its outgoing queue."""

    socket: WebSocket
    game_id: str
    team_id: int | None
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)

    def push(self, message: dict[str, Any]) -> None:
        self.push_text(_encode(message))

    def push_text(self, text: str) -> None:
        if self.queue.qsize() >= QUEUE_LIMIT:
            self.queue.put_nowait(None)  # too far behind: the sender closes the socket
            return
        self.queue.put_nowait(text)

    async def send_all(self) -> None:
        """Send queued messages until told to stop (None) or the socket fails."""
        while True:
            text = await self.queue.get()
            if text is None:
                with contextlib.suppress(Exception):
                    await self.socket.close(code=1013)
                return
            await self.socket.send_text(text)


class Hub:
    """Subscribers by game, and the fan-out of changes to them."""

    def __init__(self, workshop: Workshop) -> None:
        self.workshop = workshop
        self._subscribers: dict[str, set[Subscriber]] = {}
        self._overview_due: dict[str, float] = {}
        self._overview_sent: dict[str, float] = {}
        self._clock_sent: dict[str, float] = {}

    def add(self, subscriber: Subscriber) -> None:
        self._subscribers.setdefault(subscriber.game_id, set()).add(subscriber)
        subscriber.push(self.full_state(subscriber))

    def remove(self, subscriber: Subscriber) -> None:
        self._subscribers.get(subscriber.game_id, set()).discard(subscriber)

    def close_all(self) -> None:
        for subscribers in self._subscribers.values():
            for subscriber in subscribers:
                subscriber.queue.put_nowait(None)

    def full_state(self, subscriber: Subscriber) -> dict[str, Any]:
        game = self.workshop.game(subscriber.game_id)
        if subscriber.team_id is None:
            return {"type": "overview", **self._overview(game)}
        return {"type": "state", **participant_state(self.workshop, game, subscriber.team_id)}

    def publish(self, game: Game, changes: Changes) -> None:
        """Push what changed to every screen of the game.

        The market part of an update is encoded once for all participants who see the same
        markets; a team's own state goes only to that team's screens."""
        subscribers = self._subscribers.get(game.game_id)
        if not subscribers:
            return
        now = time.monotonic()
        clock_due = now - self._clock_sent.get(game.game_id, 0.0) >= CLOCK_SECONDS
        if changes or clock_due:
            self._clock_sent[game.game_id] = now
        clock = clock_view(game)
        views: dict[str, dict[str, Any]] = {}
        encoded: dict[tuple[str, ...], str] = {}
        for subscriber in subscribers:
            if subscriber.team_id is None:
                if changes or clock_due:
                    self._overview_due.setdefault(game.game_id, now)
                continue
            visible = {m.market_id: m for m in game.markets_of(subscriber.team_id)}
            changed = tuple(sorted(changes.markets & visible.keys()))
            if changed or clock_due or changes.status:
                if changed not in encoded:
                    for market_id in changed:
                        if market_id not in views:
                            views[market_id] = market_view(game, visible[market_id])
                    encoded[changed] = _encode({"type": "update", "clock": clock,
                                                "status": game.status,
                                                "markets": [views[m] for m in changed]})
                subscriber.push_text(encoded[changed])
            if subscriber.team_id in changes.teams or changes.status:
                names = self.workshop.names(game.game_id)
                subscriber.push({"type": "update", "clock": clock, "team": team_view(
                    game, subscriber.team_id, names.get(subscriber.team_id, ""))})
        if changes.status:
            self._overview_due[game.game_id] = 0.0  # now, not in half a second

    def flush_overviews(self) -> None:
        """Send the overview to facilitators of games whose overview is due."""
        now = time.monotonic()
        for game_id, due in list(self._overview_due.items()):
            if now - self._overview_sent.get(game_id, 0.0) < OVERVIEW_SECONDS and due:
                continue
            del self._overview_due[game_id]
            self._overview_sent[game_id] = now
            facilitators = [s for s in self._subscribers.get(game_id, ()) if s.team_id is None]
            if facilitators:
                message = {"type": "overview", **self._overview(self.workshop.game(game_id))}
                for subscriber in facilitators:
                    subscriber.push(message)

    def _overview(self, game: Game) -> dict[str, Any]:
        return overview(game, self.workshop.names(game.game_id),
                        self.workshop.codes(game.game_id))


def _encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def participant_state(workshop: Workshop, game: Game, team_id: int) -> dict[str, Any]:
    """Everything a participant's screen shows, in one message."""
    return {
        "game_id": game.game_id, "title": game.settings.title, "clock": clock_view(game),
        "team": team_view(game, team_id, workshop.names(game.game_id).get(team_id, "")),
        "markets": [market_view(game, m) for m in game.markets_of(team_id)],
    }


__all__ = ["Hub", "Subscriber", "participant_state"]
