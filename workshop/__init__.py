"""Workshop mode: a browser game in which people play firms next to simulated agents.

A facilitator creates a game from any scenario, hands out join codes, and runs rounds of
trading days; participants trade in the same order books as the simulated firms. The server
(:mod:`workshop.server`) keeps every game in an SQLite file as its settings plus the actions
applied to it, and rebuilds a game exactly from them after a restart. See docs/workshop.md.
"""

from workshop.engine import Action, Changes, Game, ReplayDiverged
from workshop.messages import Refused
from workshop.server import create_app, serve
from workshop.service import CreateGame, Join, Preview, Workshop
from workshop.settings import GameSettings, ScenarioRef
from workshop.store import Store

__all__ = [
    "Action", "Changes", "CreateGame", "Game", "GameSettings", "Join", "Preview", "Refused",
    "ReplayDiverged", "ScenarioRef", "Store", "Workshop", "create_app", "serve",
]
