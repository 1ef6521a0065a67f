"""The engine's packages type-check strictly: mypy with the settings of pyproject.toml."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    # The configured files (exchange, agents, scenarios) and the cache are relative to the
    # project root.
    monkeypatch.chdir(ROOT)
    report, errors, status = api.run(["--config-file", str(ROOT / "pyproject.toml")])
    assert status == 0, f"mypy exited with {status}:\n{report}{errors}"
