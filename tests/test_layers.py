"""Dependencies point one way: exchange <- agents <- scenarios <- experiments <- the
interfaces (the ``cgx`` package: command line and Python facade; the ``workshop`` server)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["exchange", "agents", "scenarios", "experiments"]
INTERFACES = ["cgx", "workshop"]


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ORDER)
def test_no_package_imports_a_higher_one(package: str) -> None:
    higher = set(ORDER[ORDER.index(package) + 1:]) | set(INTERFACES)
    for path in (ROOT / package).rglob("*.py"):
        wrong = imported_packages(path) & higher
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


def test_the_workshop_does_not_import_the_command_line() -> None:
    for path in (ROOT / "workshop").rglob("*.py"):
        assert "cgx" not in imported_packages(path), path.relative_to(ROOT)


def test_exchange_core_has_no_clock_or_randomness() -> None:
    for name in ("book", "registry", "market", "orders", "instruments", "designs"):
        used = imported_packages(ROOT / "exchange" / f"{name}.py")
        assert not used & {"simpy", "random", "numpy", "logging"}, name


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    marker = readme.index("<!-- test-command -->")
    command = readme[marker:].splitlines()[1].strip()
    assert command.endswith("python -m pytest")
    assert "test-command" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
