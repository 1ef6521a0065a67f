"""The workshop: games kept in memory and in the database, tokens, joining, the clock.

Every accepted action is written to the database (committed) before its result is returned,
so whatever a screen was told survives a restart. A game missing from memory is rebuilt
from its stored settings and actions (:meth:`Game.replay`), which gives back the same books,
orders and trades.
"""

from __future__ import annotations

import secrets
import unicodedata
import sqlite3
import time
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field, NonNegativeInt, StrictStr, ValidationError, model_validator

from scenarios import Scenario, ScenarioError, build_world
from workshop.engine import Action, Game
from workshop.messages import Refused
from workshop.settings import (FirmId, GameSettings, Override, ScenarioRef, Strict,
                               build_game_world, load_game_scenario, scenario_firms,
                               suggest_firms)
from workshop.store import Store
from workshop.tokens import BadToken, Session, sign, verify

CHECKPOINT_SECONDS = 1.0  # how often a running clock's position is written
IDLE_SECONDS = 3600.0  # a game not running and unused this long leaves memory
MAX_GAMES_IN_MEMORY = 50  # beyond this, the least recently used idle games leave first
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


class CreateGame(Strict):
    """A facilitator's request for a new game: ``firms`` names the firm of each team, or
    ``teams`` asks for that many firms chosen across both regions and sizes."""

    title: Annotated[str, Field(max_length=80)] = ""
    scenario: ScenarioRef
    overrides: Annotated[list[Override], Field(max_length=50)] = []
    seed: NonNegativeInt | None = None
    firms: Annotated[list[FirmId], Field(min_length=1, max_length=200)] | None = None
    teams: Annotated[int, Field(ge=1, le=200)] | None = None
    banks: Annotated[list[FirmId], Field(max_length=50)] = []
    days_per_round: Annotated[int, Field(ge=1, le=2_000)] = 10
    seconds_per_day: Annotated[float, Field(ge=0.5, le=3_600)] = 15.0
    break_seconds: Annotated[float, Field(ge=0, le=3_600)] | None = None

    @model_validator(mode="after")
    def _teams_or_firms(self) -> CreateGame:
        if (self.firms is None) == (self.teams is None):
            raise ValueError("give either firms (one per team) or teams (how many)")
        return self


class Preview(Strict):
    """A look at a scenario's firms; ``teams`` asks for a suggestion of firms to play."""

    scenario: ScenarioRef
    overrides: Annotated[list[Override], Field(max_length=50)] = []
    seed: NonNegativeInt | None = None
    teams: Annotated[int, Field(ge=1, le=200)] | None = None


class Join(Strict):
    code: Annotated[StrictStr, Field(min_length=4, max_length=12)]
    team_name: Annotated[StrictStr, Field(min_length=1, max_length=40,
                                          pattern=r"^[^\x00-\x1f\x7f]+$")]


class Workshop:
    """All games of one server.

    Args:
        store: the database.
        wall: the wall clock in seconds (monotonic); rounds advance as it moves.
    """

    def __init__(self, store: Store, wall: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.secret = store.secret()
        self._wall = wall
        self._games: dict[str, Game] = {}
        self._names: dict[str, dict[int, str]] = {}
        self._codes: dict[str, dict[int, str]] = {}
        self._last_wall: dict[str, float] = {}
        self._used: dict[str, float] = {}
        self._break_since: dict[str, float] = {}
        self._checkpoint: dict[str, tuple[float, int]] = {}

    # ---- sessions ------------------------------------------------------------------------

    def session(self, token: str | None, game_id: str) -> Session:
        """The session of a token for a game.

        Raises:
            Refused: ``bad_token`` (401) if missing or forged, ``forbidden`` (403) if it
                belongs to another game.
        """
        if not token:
            raise Refused("bad_token", 401)
        try:
            session = verify(self.secret, token)
        except BadToken:
            raise Refused("bad_token", 401) from None
        if session.game_id != game_id:
            raise Refused("forbidden", 403)
        return session

    # ---- games ---------------------------------------------------------------------------

    def preview(self, request: Preview) -> dict[str, Any]:
        """A scenario's firms and calendar, for choosing who plays which firm."""
        scenario = _scenario(request.scenario, list(request.overrides))
        seed = scenario.seed if request.seed is None else request.seed
        world = build_world(scenario, seed)
        c = world.venue.calendar
        teams = min(request.teams or 0, len(world.firms))
        return {"scenario": scenario.name, "description": scenario.description, "seed": seed,
                "calendar": {"start_year": c.start_year, "years": c.years,
                             "days_per_year": c.days_per_year},
                "firms": scenario_firms(world), "banks": [],
                "suggested": suggest_firms(world, teams) if teams else []}

    def create(self, request: CreateGame) -> dict[str, Any]:
        """Store a new game; return its id, the facilitator's token and the join codes.

        Raises:
            Refused: a scenario that cannot be used, banks asked for, bad settings.
        """
        if request.banks:
            raise Refused("no_banks", 422)
        scenario = _scenario(request.scenario, list(request.overrides))
        seed = scenario.seed if request.seed is None else request.seed
        firms = request.firms
        if firms is None:
            try:
                firms = suggest_firms(build_world(scenario, seed), request.teams or 1)
            except ValueError as error:
                raise Refused("invalid_input", 422, detail=str(error)) from None
        try:
            settings = GameSettings(
                title=request.title, scenario=request.scenario, overrides=request.overrides,
                seed=seed, firms=firms, days_per_round=request.days_per_round,
                seconds_per_day=request.seconds_per_day, break_seconds=request.break_seconds)
        except ValidationError as error:
            raise Refused("invalid_input", 422, detail=_first_error(error)) from None
        try:
            world = build_game_world(settings)
        except ScenarioError as error:
            raise Refused("bad_scenario", 422, detail=str(error)) from None
        game_id = self._new_id()
        game = Game(game_id, settings, world)
        codes = {team_id: self._new_code() for team_id in game.teams}
        self.store.add_game(game_id, settings.model_dump_json(),
                            [(k, game.teams[k], codes[k]) for k in game.teams], game.now)
        self._games[game_id] = game
        self._names[game_id], self._codes[game_id] = {}, codes
        return {"game_id": game_id,
                "facilitator_token": sign(self.secret, Session(game_id, "facilitator")),
                "teams": [{"team_id": k, "firm": game.teams[k], "code": codes[k]}
                          for k in game.teams]}

    def join(self, request: Join) -> dict[str, Any]:
        """Join a team by its code; the first to join names it, teammates repeat the name.

        Raises:
            Refused: unknown code, a code taken under another name, a game that has ended.
        """
        found = self.store.team_by_code(request.code.strip().upper())
        if found is None:
            raise Refused("bad_code", 404)
        game_id, team = found
        game = self.game(game_id)
        if game.status == "ended":
            raise Refused("game_ended")
        name = team_name(request.team_name)
        if team.name is None and self.store.name_team(game_id, team.team_id, name):
            self._names[game_id][team.team_id] = name
        elif (team.name or self._stored_name(game_id, team.team_id)).casefold() \
                != name.casefold():
            raise Refused("code_taken")  # naming the team would give its name away
        token = sign(self.secret, Session(game_id, "team", team.team_id))
        return {"game_id": game_id, "team_id": team.team_id, "token": token,
                "team_name": self._names[game_id][team.team_id]}

    def game(self, game_id: str) -> Game:
        """A game, rebuilt from the database if it is not in memory.

        Raises:
            Refused: ``unknown_game`` (404).
        """
        game = self._games.get(game_id)
        if game is None:
            game = self._load(game_id)
        self._used[game_id] = self._wall()
        return game

    def in_memory(self) -> int:
        """How many games are held in memory (the others wait in the database)."""
        return len(self._games)

    def evict_idle(self) -> list[str]:
        """Let games that are not running leave memory once idle for ``IDLE_SECONDS``, or
        the least recently used of them while more than ``MAX_GAMES_IN_MEMORY`` are held.

        Nothing is lost: a game is rebuilt from the database when next used.

        Returns:
            The ids of the games that left memory.
        """
        now = self._wall()
        idle = sorted((self._used.get(gid, 0.0), gid) for gid, game in self._games.items()
                      if game.status not in ("open", "break"))
        excess = len(self._games) - MAX_GAMES_IN_MEMORY
        gone: list[str] = []
        for used, gid in idle:
            if now - used >= IDLE_SECONDS or len(gone) < excess:
                self.store.set_clock(gid, self._games[gid].now)
                self._forget(gid)
                gone.append(gid)
        return gone

    def names(self, game_id: str) -> dict[int, str]:
        return self._names[game_id]

    def codes(self, game_id: str) -> dict[int, str]:
        return self._codes[game_id]

    def load_running(self) -> list[str]:
        """Rebuild every game a round of which was open or about to open; return their ids."""
        running = [g.game_id for g in self.store.games() if g.status in ("open", "paused",
                                                                           "break")]
        for game_id in running:
            self.game(game_id)
        return running

    # ---- acting and the clock ------------------------------------------------------------

    def act(self, game_id: str, kind: str, team_id: int | None,
            payload: dict[str, Any]) -> dict[str, Any]:
        """Apply an action and store it; return its result once it is committed.

        Raises:
            Refused: the game refuses the action, or it could not be stored (then the game
                is rebuilt from the database, so the action leaves no trace).
        """
        game = self.game(game_id)
        action, result = game.act(kind, team_id, payload)
        self._record(game, action)
        return result

    def tick(self) -> list[Game]:
        """Move every open round on by the wall time since the last tick, close rounds whose
        time is up, open rounds whose break is over; return the games that moved."""
        now = self._wall()
        moved = []
        for game in list(self._games.values()):
            gid = game.game_id
            if game.status == "open":
                last = self._last_wall.get(gid, now)
                self._last_wall[gid] = now
                for action in game.advance((now - last) / game.settings.seconds_per_day):
                    self._record(game, action)
                self._maybe_checkpoint(game, now)
                moved.append(game)
            elif game.status == "break" and game.settings.break_seconds is not None:
                if now - self._break_since.setdefault(gid, now) >= game.settings.break_seconds:
                    self.act(gid, "open_round", None, {})
                    moved.append(game)
        return moved

    def checkpoint_all(self) -> None:
        """Write every game's clock (at shutdown)."""
        for game in self._games.values():
            self.store.set_clock(game.game_id, game.now)

    def _record(self, game: Game, action: Action) -> None:
        try:
            self.store.append(game.game_id, action, game.status, game.now)
        except sqlite3.Error:
            self._forget(game.game_id)  # memory is ahead of the log: rebuild from the log
            raise Refused("server_error", 503) from None
        now = self._wall()
        self._checkpoint[game.game_id] = (now, len(game.trades))
        if action.kind in ("open_round", "resume"):
            self._last_wall[game.game_id] = now  # the round's clock starts now
        elif action.kind in ("pause", "end_round", "end_game"):
            self._last_wall.pop(game.game_id, None)
        if action.team_id is None:
            self._break_since.pop(game.game_id, None)

    def _maybe_checkpoint(self, game: Game, now: float) -> None:
        """Write the clock when trades happened (so every trade a screen showed comes back
        after a restart) or at least every CHECKPOINT_SECONDS."""
        when, trades = self._checkpoint.get(game.game_id, (0.0, 0))
        if len(game.trades) != trades or now - when >= CHECKPOINT_SECONDS:
            self.store.set_clock(game.game_id, game.now)
            self._checkpoint[game.game_id] = (now, len(game.trades))

    def _load(self, game_id: str) -> Game:
        stored = self.store.game(game_id)
        if stored is None:
            raise Refused("unknown_game", 404)
        settings = GameSettings.model_validate_json(stored.settings_json)
        game = Game(game_id, settings, build_game_world(settings))
        for _, action in self.store.actions(game_id):
            game.replay(action)
        game.resume_clock(stored.clock)
        game.drain()
        teams = self.store.teams(game_id)
        self._names[game_id] = {t.team_id: t.name for t in teams if t.name}
        self._codes[game_id] = {t.team_id: t.join_code for t in teams}
        self._games[game_id] = game
        return game

    def _forget(self, game_id: str) -> None:
        self._games.pop(game_id, None)
        self._used.pop(game_id, None)
        self._last_wall.pop(game_id, None)
        self._break_since.pop(game_id, None)
        self._checkpoint.pop(game_id, None)

    def _stored_name(self, game_id: str, team_id: int) -> str:
        return next((t.name or "" for t in self.store.teams(game_id) if t.team_id == team_id),
                    "")

    def _new_id(self) -> str:
        while True:
            game_id = secrets.token_urlsafe(6).replace("-", "x").replace("_", "y")
            if self.store.game(game_id) is None:
                return game_id

    def _new_code(self) -> str:
        while True:
            code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))
            if not self.store.code_exists(code):
                return code


MAX_GAME_FIRMS = 2_000  # a game's world is built and stepped on the server's event loop


def _scenario(ref: ScenarioRef, overrides: list[str]) -> Scenario:
    try:
        scenario = load_game_scenario(ref, overrides)
    except ScenarioError as error:
        raise Refused("bad_scenario", 422, detail=str(error)) from None
    firms = len(scenario.firms) + sum(sum(r.firms.values()) for r in scenario.regions.values())
    if firms > MAX_GAME_FIRMS:
        raise Refused("scenario_too_large", 422, firms=firms, max_firms=MAX_GAME_FIRMS)
    return scenario


def team_name(text: str) -> str:
    """A team name in NFKC form, stripped; refused unless it is printable text.

    Raises:
        Refused: ``bad_team_name`` for control, format (zero-width, bidirectional
            override) or other unprintable characters, or nothing left after stripping.
    """
    name = unicodedata.normalize("NFKC", text).strip()
    if not name or not name.isprintable():
        raise Refused("bad_team_name", 422)
    return name


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    return f"{where}: {first['msg'].removeprefix('Value error, ')}"


__all__ = ["CreateGame", "Join", "Preview", "Workshop"]
