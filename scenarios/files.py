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
# Deeper nesting than any scenario or experiment needs; deeper input is refused before it
# can exhaust the parser's or the validator's recursion.
MAX_DEPTH = 40


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a mapping naming the same key twice (YAML's last one
    would otherwise win silently) and nesting deeper than ``MAX_DEPTH``."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False
                          ) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # ``<<: *base`` may be overridden
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key; the base class reports it
                break
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, f"nesting deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# YAML 1.1 (PyYAML's resolver) reads ``5.0e9`` and ``1e6`` as text; YAML 1.2 and every
# reader of these files expect numbers. Numbers are refused as text by the schema, so the
# loader reads them as YAML 1.2 does.
_UniqueKeyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."))


def load_yaml(text: str) -> Any:
    """Parse YAML text with the strict loader: duplicate keys refused, nesting bounded,
    ``1e6`` read as a number.

    Raises:
        yaml.YAMLError: malformed, a duplicate key or too deep (with the line).
        RecursionError: nested too deeply for the parser.
    """
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a safe loader


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
    """The file's text, decoded as UTF-8.

    Raises:
        error: the file cannot be read or is not UTF-8 text; one line naming the file.
    """
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise error(f"{path}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise error(f"{path}: not UTF-8 text (invalid byte at offset {e.start})") from None


def parse_mapping(text: str, source: str, kind: str, error: type[ValueError]
                  ) -> dict[str, Any]:
    """YAML text that must hold a mapping at the top level."""
    try:
        data = load_yaml(text)
    except RecursionError:
        raise error(f"{source}: malformed YAML: nested too deeply") from None
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
