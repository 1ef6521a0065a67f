"""The workshop's SQLite database: games, teams and every accepted action.

A game is stored as its settings plus the list of actions applied to it, each with the
simulation time it was applied at, and the last simulation time its clock reached. That is
enough to rebuild it exactly (see :mod:`workshop.engine`). Each write is its own committed
transaction; the journal is in WAL mode with ``synchronous=NORMAL``, so a committed action
survives the server process dying (not the machine losing power mid-write).

Tables (all times of day in UTC ISO format)::

    meta(key, value)                          schema version

The token-signing secret is in its own file, ``<db>.secret``, readable by its owner only.
    games(game_id, created_utc, settings_json, status, clock)
    teams(game_id, team_id, firm, join_code, name, joined_utc)
    actions(game_id, seq, at, kind, team_id, payload_json, recorded_utc)
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workshop.engine import Action

SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS games (
    game_id TEXT PRIMARY KEY, created_utc TEXT NOT NULL, settings_json TEXT NOT NULL,
    status TEXT NOT NULL, clock REAL NOT NULL);
CREATE TABLE IF NOT EXISTS teams (
    game_id TEXT NOT NULL REFERENCES games(game_id), team_id INTEGER NOT NULL,
    firm TEXT NOT NULL, join_code TEXT NOT NULL UNIQUE, name TEXT, joined_utc TEXT,
    PRIMARY KEY (game_id, team_id));
CREATE TABLE IF NOT EXISTS actions (
    game_id TEXT NOT NULL REFERENCES games(game_id), seq INTEGER NOT NULL, at REAL NOT NULL,
    kind TEXT NOT NULL, team_id INTEGER, payload_json TEXT NOT NULL,
    recorded_utc TEXT NOT NULL, PRIMARY KEY (game_id, seq));
"""


@dataclass(frozen=True, slots=True)
class StoredGame:
    game_id: str
    created_utc: str
    settings_json: str
    status: str
    clock: float


@dataclass(frozen=True, slots=True)
class StoredTeam:
    team_id: int
    firm: str
    join_code: str
    name: str | None


class Store:
    """One SQLite file. Use from a single thread; every write commits before returning."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        self._next_seq: dict[str, int] = {}
        version = self._meta("schema_version")
        if version is None:
            self._set_meta("schema_version", SCHEMA_VERSION)
        elif version != SCHEMA_VERSION:
            raise RuntimeError(f"{self.path}: workshop database schema {version}, this "
                               f"server reads {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    @property
    def secret_path(self) -> Path:
        """The file of the token-signing secret: ``<db>.secret`` beside the database."""
        return self.path.with_name(self.path.name + ".secret")

    def secret(self) -> bytes:
        """The server's token-signing secret, from its own file (owner-only, 0600).

        Made on first use. A secret kept in the database by an earlier version moves to
        the file (so its tokens stay valid) and leaves the database.
        """
        path = self.secret_path
        if not path.exists():
            legacy = self._meta("token_secret")
            _write_secret(path, legacy or secrets.token_hex(32), replace=False)
        if self._meta("token_secret") is not None:
            self._db.execute("DELETE FROM meta WHERE key = 'token_secret'")
        path.chmod(0o600)
        return bytes.fromhex(path.read_text(encoding="ascii").strip())

    def rotate_secret(self) -> None:
        """Replace the signing secret: every token signed so far stops working."""
        _write_secret(self.secret_path, secrets.token_hex(32), replace=True)

    # ---- games and teams -----------------------------------------------------------------

    def add_game(self, game_id: str, settings_json: str, teams: list[tuple[int, str, str]],
                 clock: float) -> None:
        """Store a new game with its teams ``(team_id, firm, join_code)``, in one commit."""
        with _transaction(self._db):
            self._db.execute("INSERT INTO games VALUES (?, ?, ?, 'lobby', ?)",
                             (game_id, _utc(), settings_json, clock))
            self._db.executemany(
                "INSERT INTO teams (game_id, team_id, firm, join_code) VALUES (?, ?, ?, ?)",
                [(game_id, *team) for team in teams])

    def games(self) -> list[StoredGame]:
        rows = self._db.execute("SELECT * FROM games ORDER BY created_utc, game_id")
        return [StoredGame(*row) for row in rows]

    def game(self, game_id: str) -> StoredGame | None:
        row = self._db.execute("SELECT * FROM games WHERE game_id = ?", (game_id,)).fetchone()
        return StoredGame(*row) if row else None

    def teams(self, game_id: str) -> list[StoredTeam]:
        rows = self._db.execute("SELECT team_id, firm, join_code, name FROM teams "
                                "WHERE game_id = ? ORDER BY team_id", (game_id,))
        return [StoredTeam(*row) for row in rows]

    def team_by_code(self, code: str) -> tuple[str, StoredTeam] | None:
        row = self._db.execute("SELECT game_id, team_id, firm, join_code, name FROM teams "
                               "WHERE join_code = ?", (code,)).fetchone()
        return (row[0], StoredTeam(*row[1:])) if row else None

    def code_exists(self, code: str) -> bool:
        return self._db.execute("SELECT 1 FROM teams WHERE join_code = ?",
                                (code,)).fetchone() is not None

    def name_team(self, game_id: str, team_id: int, name: str) -> bool:
        """Give a team its name if it has none; True if the name is now ``name``."""
        with _transaction(self._db):
            self._db.execute("UPDATE teams SET name = ?, joined_utc = ? WHERE game_id = ? AND "
                             "team_id = ? AND name IS NULL", (name, _utc(), game_id, team_id))
            row = self._db.execute("SELECT name FROM teams WHERE game_id = ? AND team_id = ?",
                                   (game_id, team_id)).fetchone()
        return bool(row) and row[0] == name

    # ---- actions and the clock -----------------------------------------------------------

    def append(self, game_id: str, action: Action, status: str, clock: float) -> int:
        """Store an accepted action with the game's status and clock after it; return its
        sequence number. Committed when this returns."""
        seq = self._seq(game_id)
        with _transaction(self._db):
            self._db.execute(
                "INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, ?)",
                (game_id, seq, action.at, action.kind, action.team_id,
                 json.dumps(action.payload, sort_keys=True), _utc()))
            self._db.execute("UPDATE games SET status = ?, clock = ? WHERE game_id = ?",
                             (status, clock, game_id))
        self._next_seq[game_id] = seq + 1
        return seq

    def set_clock(self, game_id: str, clock: float) -> None:
        """Record how far the game's clock has run (a checkpoint between actions)."""
        with _transaction(self._db):
            self._db.execute("UPDATE games SET clock = ? WHERE game_id = ?", (clock, game_id))

    def actions(self, game_id: str, kind: str | None = None) -> list[tuple[int, Action]]:
        """The game's actions in order, as ``(seq, action)``."""
        query = "SELECT seq, kind, at, team_id, payload_json FROM actions WHERE game_id = ?"
        args: tuple[Any, ...] = (game_id,)
        if kind is not None:
            query += " AND kind = ?"
            args += (kind,)
        rows = self._db.execute(query + " ORDER BY seq", args)
        return [(seq, Action(k, at, team, json.loads(payload)))
                for seq, k, at, team, payload in rows]

    def _seq(self, game_id: str) -> int:
        if game_id not in self._next_seq:
            row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM actions WHERE game_id = ?",
                                   (game_id,)).fetchone()
            self._next_seq[game_id] = row[0] + 1
        return self._next_seq[game_id]

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        with _transaction(self._db):
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


class _transaction:
    """BEGIN ... COMMIT, or ROLLBACK on an error (the connection is in autocommit mode)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


def _write_secret(path: Path, value: str, *, replace: bool) -> None:
    """Write the secret to ``path`` with mode 0600 from the start (never readable by
    others, not even for a moment), atomically."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(value + "\n")
        file.flush()
        os.fsync(file.fileno())
    if replace:
        os.replace(temporary, path)
    else:
        try:
            os.link(temporary, path)  # fails if another server made it meanwhile
        except FileExistsError:
            pass
        finally:
            temporary.unlink()


def _utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


__all__ = ["SCHEMA_VERSION", "Store", "StoredGame", "StoredTeam"]
