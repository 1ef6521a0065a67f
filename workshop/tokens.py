"""Signed session tokens: who may act for which team of which game.

A token is ``base64url(claims JSON) "." base64url(HMAC-SHA256(secret, claims))``. The secret
lives in the workshop database, so tokens stay valid across restarts of the server. Claims:
``g`` the game, ``r`` the role (``facilitator`` or ``team``) and, for a team, ``t`` its id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Literal

Role = Literal["facilitator", "team"]


@dataclass(frozen=True, slots=True)
class Session:
    """What a verified token allows: a role in one game (and one team)."""

    game_id: str
    role: Role
    team_id: int | None = None


class BadToken(ValueError):
    """A token that is malformed or not signed with this server's secret."""


def sign(secret: bytes, session: Session) -> str:
    claims: dict[str, str | int] = {"g": session.game_id, "r": session.role}
    if session.team_id is not None:
        claims["t"] = session.team_id
    body = _encode(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_encode(_mac(secret, body))}"


def verify(secret: bytes, token: str) -> Session:
    """The session a token grants.

    Raises:
        BadToken: malformed, or the signature does not match.
    """
    body, dot, mac = token.partition(".")
    if not dot or len(token) > 512:
        raise BadToken("malformed token")
    try:
        given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise BadToken("malformed token") from None
    if not hmac.compare_digest(given, _mac(secret, body)):
        raise BadToken("token not signed by this server")
    role, game, team = claims.get("r"), claims.get("g"), claims.get("t")
    if role not in ("facilitator", "team") or not isinstance(game, str) \
            or (role == "team") != isinstance(team, int):
        raise BadToken("malformed claims")
    return Session(game, role, team)


def _mac(secret: bytes, body: str) -> bytes:
    return hmac.new(secret, body.encode(), hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


__all__ = ["BadToken", "Role", "Session", "sign", "verify"]
