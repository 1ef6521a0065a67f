"""Reading YAML files by built-in name or path, with one-line errors naming file and field.

Shared by scenario files and experiment files; ``error`` is the caller's exception class.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

# A validator's message that starts by naming a field below the one that failed.
_FIELD_PREFIX = re.compile(r"^[a-z_][a-z0-9_.]*: ")


def find_file(ref: str, folder: Path, kind: str, names: Iterable[str],
              error: type[ValueError]) -> Path:
    """The YAML file ``ref`` names: a path, or a built-in ``<folder>/<ref>.yaml``."""
    candidate = Path(ref)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_file():
            raise error(f"{ref}: no such {kind} file")
        return candidate
    builtin = folder / f"{ref}.yaml"
    if not builtin.is_file():
        raise error(f"{ref}: not a built-in {kind} (choose from {', '.join(names)}) "
                    "nor a file")
    return builtin


def read_text(path: Path, error: type[ValueError]) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise error(f"{path}: cannot read: {e.strerror}") from None


def parse_mapping(text: str, source: str, kind: str, error: type[ValueError]
                  ) -> dict[str, Any]:
    """YAML text that must hold a mapping at the top level."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        reason = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise error(f"{source}: malformed YAML at {where}: {reason}") from None
    if not isinstance(data, dict):
        raise error(f"{source}: a {kind} file must hold a mapping at the top level")
    return data


def describe(e: ValidationError, source: str) -> str:
    """The first validation error as ``source: dotted.field: reason (and N more)``."""
    first = e.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if _FIELD_PREFIX.match(message):
        field, message = message.split(": ", 1)
        where = ".".join(filter(None, [where, field]))
    more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
    return f"{source}: {where or '(top level)'}: {message}{more}"
