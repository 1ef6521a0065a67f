"""What a facilitator chooses for a game, and the scenario it is played on.

A game is fully described by its settings: the scenario (a built-in name or a YAML text),
overrides, the root seed, the firms played by teams, the length of a round and the pace of
the clock. The simulation is deterministic from these, which is what lets a server rebuild
a game from its stored actions.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import yaml
from pydantic import (BaseModel, ConfigDict, Field, NonNegativeInt, StrictStr,
                      model_validator)

from scenarios import Scenario, ScenarioError, World, build_world, builtin_scenarios, \
    load_scenario

FirmId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]
Override = Annotated[StrictStr, Field(min_length=3, max_length=300)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioRef(Strict):
    """A built-in scenario by ``name``, or a scenario file's text as ``yaml``."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9_\-]{1,40}$")] | None = None
    yaml: Annotated[StrictStr, Field(max_length=200_000)] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ScenarioRef:
        if (self.name is None) == (self.yaml is None):
            raise ValueError("scenario: give either name or yaml")
        return self


class GameSettings(Strict):
    """A game as the facilitator set it up (stored as JSON with the game).

    Attributes:
        title: shown on every screen.
        scenario: where the world comes from.
        overrides: ``dotted.path=value`` changes to the scenario.
        seed: root seed of the simulation.
        firms: the firm each team plays, team 1 first.
        banks: banks played by people; empty until the simulator has banks.
        days_per_round: trading days in a round.
        seconds_per_day: wall-clock seconds one trading day's open time lasts.
        break_seconds: when set, the next round opens by itself this long after a round
            closes; otherwise the facilitator opens it.
    """

    title: Annotated[str, Field(max_length=80)] = ""
    scenario: ScenarioRef
    overrides: Annotated[list[Override], Field(max_length=50)] = []
    seed: NonNegativeInt
    firms: Annotated[list[FirmId], Field(min_length=1, max_length=200)]
    banks: Annotated[list[FirmId], Field(max_length=0)] = []
    days_per_round: Annotated[int, Field(ge=1, le=2_000)] = 10
    seconds_per_day: Annotated[float, Field(ge=0.5, le=3_600)] = 15.0
    break_seconds: Annotated[float, Field(ge=0, le=3_600)] | None = None

    @model_validator(mode="after")
    def _distinct_firms(self) -> GameSettings:
        if len(set(self.firms)) != len(self.firms):
            raise ValueError("firms: each team plays a different firm")
        return self


def load_game_scenario(ref: ScenarioRef, overrides: Sequence[str],
                       manual_firms: Sequence[str] = ()) -> Scenario:
    """The scenario with overrides, the given firms added to ``trading.manual_firms``.

    Raises:
        ScenarioError: the scenario cannot be read, an override is bad, a firm is unknown.
    """
    with tempfile.TemporaryDirectory() as folder:
        source = ref.name or _write_yaml(ref.yaml or "", Path(folder))
        scenario = load_scenario(source, list(overrides))
        if not manual_firms:
            return scenario
        manual = [*scenario.trading.manual_firms,
                  *(f for f in manual_firms if f not in scenario.trading.manual_firms)]
        return load_scenario(source, [*overrides, f"trading.manual_firms={json.dumps(manual)}"])


def build_game_world(settings: GameSettings) -> World:
    """The world of a game: its scenario with the teams' firms played by people.

    Raises:
        ScenarioError: as :func:`load_game_scenario`, or a team's firm is not in the world.
    """
    scenario = load_game_scenario(settings.scenario, list(settings.overrides),
                                  list(settings.firms))
    try:
        return build_world(scenario, settings.seed)
    except ValueError as error:  # an unknown manual firm is found when firms are drawn
        raise ScenarioError(str(error)) from None


def scenario_firms(world: World) -> list[dict[str, Any]]:
    """Each firm of a world with what a facilitator needs to choose it for a team."""
    f = world.firms
    rows = []
    for i, firm in enumerate(f.ids):
        rows.append({
            "id": firm, "region": str(f.region[i]), "sector": str(f.sector[i]),
            "emissions_t": {p: round(float(f.baseline_t[i, j]), 2)
                            for j, p in enumerate(f.pollutants) if f.baseline_t[i, j] > 0},
        })
    return rows


def suggest_firms(world: World, teams: int) -> list[str]:
    """``teams`` firms spread over both regions and over firm sizes, regions alternating.

    Raises:
        ValueError: more teams than firms.
    """
    f = world.firms
    if teams > len(f):
        raise ValueError(f"teams: the scenario has only {len(f)} firms")
    size = f.baseline_t.sum(axis=1)
    regions = sorted(set(f.region.tolist()))
    by_region = {r: sorted(np.flatnonzero(f.region == r).tolist(), key=lambda i: size[i])
                 for r in regions}
    wanted = {r: teams // len(regions) + (k < teams % len(regions))
              for k, r in enumerate(regions)}
    for r in regions:  # a region short of firms passes its seats to the other
        spare = wanted[r] - len(by_region[r])
        if spare > 0:
            wanted[r] -= spare
            other = next(o for o in regions if o != r)
            wanted[other] += spare
    picks = {r: [by_region[r][int(k)] for k in
                 np.linspace(0, len(by_region[r]) - 1, wanted[r] + 2)[1:-1].round()]
             if wanted[r] else [] for r in regions}
    for r in regions:  # evenly spaced picks can repeat in a small region
        picks[r] = list(dict.fromkeys(picks[r]))
        rest = [i for i in by_region[r] if i not in picks[r]]
        picks[r] += rest[:wanted[r] - len(picks[r])]
    order = [picks[r][k] for k in range(max(wanted.values())) for r in regions
             if k < len(picks[r])]
    return [f.ids[i] for i in order]


def _write_yaml(text: str, folder: Path) -> str:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None  # load_scenario reports where the YAML is malformed
    base = data.get("extends") if isinstance(data, dict) else None
    if base is not None and base not in builtin_scenarios():
        raise ScenarioError(f"extends: an uploaded scenario may extend only a built-in "
                            f"scenario, not {base!r}")
    path = folder / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


__all__ = ["GameSettings", "ScenarioRef", "build_game_world", "load_game_scenario",
           "scenario_firms", "suggest_firms"]
