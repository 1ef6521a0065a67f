"""Golden results: digests of every table of a few built-in runs, checked in.

Any change of behaviour changes a digest and fails this test. When a change is intended,
refresh the digests with one line, and say why in the commit::

    python tests/scenarios/test_golden.py --refresh
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from scenarios import load_scenario, run_scenario

GOLDEN = Path(__file__).with_name("golden.json")
SHORT = ["calendar.years=2", "calendar.days_per_year=60"]
RUNS: dict[str, tuple[str, list[str], int]] = {
    "tiny": ("tiny", [], 1),
    "baseline": ("baseline", SHORT, 1),
    "linked": ("linked", SHORT, 2),
    "auction": ("auction", SHORT, 3),
    "credit_joint": ("credit_joint", SHORT, 1),
    "credit_stress": ("credit_stress", [*SHORT, "stress.0.day=70", "stress.1.day=70"], 1),
    "compensation_bet": ("compensation_bet", SHORT, 1),
    "water_rights": ("water_rights", SHORT, 1),
    "forest_market": ("forest_market", SHORT, 1),
}
VOLATILE = {"run": ["started_utc", "wall_seconds", "python", "code_version"]}


def digest(table: pd.DataFrame) -> str:
    """Of the table's text with floats to 10 significant digits: the last bits of a float
    may differ between numpy builds, behaviour does not."""
    text = table.to_csv(index=False, float_format="%.10g", lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def digests(run: str) -> dict[str, str]:
    name, overrides, seed = RUNS[run]
    tables = run_scenario(load_scenario(name, overrides), seed).tables
    return {table: digest(frame.drop(columns=VOLATILE.get(table, [])))
            for table, frame in sorted(tables.items())}


@pytest.mark.parametrize("run", sorted(RUNS))
def test_tables_match_the_golden_digests(run: str) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))[run]
    got = digests(run)
    changed = sorted(t for t in expected.keys() | got.keys() if expected.get(t) != got.get(t))
    assert not changed, (f"{run}: tables {changed} changed; if intended, refresh with "
                         "`python tests/scenarios/test_golden.py --refresh` and say why")


def refresh() -> None:
    text = json.dumps({run: digests(run) for run in sorted(RUNS)}, indent=1, sort_keys=True)
    partial = GOLDEN.with_suffix(".json.tmp")
    partial.write_text(text + "\n", encoding="utf-8")
    partial.replace(GOLDEN)  # never a half-written file under the real name


if __name__ == "__main__":
    if sys.argv[1:] != ["--refresh"]:
        sys.exit("usage: python tests/scenarios/test_golden.py --refresh")
    refresh()
