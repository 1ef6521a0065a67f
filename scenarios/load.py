"""Reading scenario files: built-in names or YAML paths, with dotted overrides."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scenarios.files import describe, find_file, load_yaml, parse_mapping, read_text
from scenarios.schema import Scenario


class ScenarioError(ValueError):
    """A scenario could not be read: the message names the file, the field and the reason."""


def builtin_scenarios() -> dict[str, str]:
    """Built-in scenario names with their one-line descriptions."""
    out = {}
    for path in sorted(_builtin_dir().glob("*.yaml")):
        data = _read_yaml(path)
        out[path.stem] = str(data.get("description", "")).strip().splitlines()[0] \
            if data.get("description") else ""
    return out


def load_scenario(ref: str, overrides: Sequence[str] = ()) -> Scenario:
    """Load a built-in scenario by name, or a YAML file by path, and apply overrides.

    Args:
        ref: a built-in name (see :func:`builtin_scenarios`) or a path to a YAML file.
        overrides: ``dotted.path=value`` strings; values are parsed as YAML scalars or lists.

    Raises:
        ScenarioError: unknown name, unreadable or malformed file, bad override, or a value
            the schema refuses; the message is one line naming the file and the field.
    """
    path = _resolve(ref)
    data = _with_base(_read_yaml(path), path, seen=(path.resolve(),))
    for item in overrides:
        _apply_override(data, item, path)
    return validate(data, str(path))


def validate(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as plain data; raises ScenarioError naming the field."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(describe(e, source)) from None


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of scenario files, for editors."""
    return Scenario.model_json_schema()


def _builtin_dir() -> Path:
    return Path(str(resources.files("scenarios") / "builtin"))


def _resolve(ref: str) -> Path:
    return find_file(ref, _builtin_dir(), "scenario", builtin_scenarios(), ScenarioError)


def _read_yaml(path: Path) -> dict[str, Any]:
    return parse_mapping(read_text(path, ScenarioError), str(path), "scenario", ScenarioError)


def _with_base(data: dict[str, Any], path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """Resolve ``extends: NAME_OR_PATH``: the base's data with this file's keys merged in."""
    base_ref = data.pop("extends", None)
    if base_ref is None:
        return data
    if not isinstance(base_ref, str):
        raise ScenarioError(f"{path}: extends: must name a scenario")
    local = path.parent / base_ref
    base_path = local if local.suffix in (".yaml", ".yml") else _resolve(base_ref)
    if base_path.resolve() in seen:
        raise ScenarioError(f"{path}: extends: {base_ref} extends itself")
    base = _with_base(_read_yaml(base_path), base_path, (*seen, base_path.resolve()))
    return _merge(base, data)


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and "kind" not in value:
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _apply_override(data: dict[str, Any], item: str, path: Path) -> None:
    key, sep, raw = item.partition("=")
    if not sep or not key:
        raise ScenarioError(f"{path}: override {item!r} must look like dotted.path=value")
    try:
        value = load_yaml(raw)
    except (yaml.YAMLError, RecursionError):
        raise ScenarioError(f"{path}: override {key}: cannot parse value {raw!r}") from None
    node: Any = data
    parts = key.split(".")
    for depth, part in enumerate(parts[:-1]):
        node = _child(node, part, ".".join(parts[:depth + 1]), path)
    last = parts[-1]
    if isinstance(node, list):
        node[_index(last, key, len(node), path)] = copy.deepcopy(value)
    elif isinstance(node, dict):
        node[last] = copy.deepcopy(value)
    else:
        raise ScenarioError(f"{path}: override {key}: {'.'.join(parts[:-1])} is not a mapping")


def _child(node: Any, part: str, where: str, path: Path) -> Any:
    if isinstance(node, list):
        return node[_index(part, where, len(node), path)]
    if not isinstance(node, dict):
        raise ScenarioError(f"{path}: override {where}: parent is not a mapping")
    if part not in node or node[part] is None:
        node[part] = {}
    return node[part]


def _index(part: str, where: str, size: int, path: Path) -> int:
    if not part.isdigit() or int(part) >= size:
        raise ScenarioError(f"{path}: override {where}: {part!r} is not an index below {size}")
    return int(part)
