"""Shared test setup: make the repository importable and keep hypothesis runs short."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

if importlib.util.find_spec("exchange") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# The whole exchange suite should run in about a minute; for an occasional deep run pass
# ``--hypothesis-profile=thorough`` to pytest.
settings.register_profile("default", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=2_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")
