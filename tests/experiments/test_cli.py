"""The ``cgx`` command line, end to end against the scenarios package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from experiments import read_manifest
from cgx.cli import main


def quick_scenario() -> str:
    """A built-in scenario, preferring a small one."""
    from scenarios import builtin_scenarios

    names = sorted(builtin_scenarios())
    return next((name for name in names if "tiny" in name or "small" in name), names[0])


def scenario_file(folder: Path, **extra: object) -> Path:
    """A built-in scenario written out as a YAML file, with extra top-level keys."""
    from scenarios import load_scenario

    path = folder / "scenario.yaml"
    data = load_scenario(quick_scenario()).model_dump(mode="json") | extra
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cgx: error: ")
    return lines[0]


def test_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])

    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("run", "scenarios", "validate", "schema"))


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([])

    assert exit_.value.code == 2


def test_scenarios_lists_every_builtin(capsys: pytest.CaptureFixture[str]) -> None:
    from scenarios import builtin_scenarios

    assert main(["scenarios"]) == 0

    out = capsys.readouterr().out
    for name, description in builtin_scenarios().items():
        assert any(line.split()[0] == name and description in line
                   for line in out.splitlines())


def test_validate_accepts_a_scenario_file(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from scenarios import load_scenario

    path = scenario_file(tmp_path)

    assert main(["validate", str(path)]) == 0

    assert capsys.readouterr().out.strip() == f"ok: {load_scenario(str(path)).name}"


def test_validate_reports_an_unknown_field_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario_file(tmp_path, bogus_field=1)

    assert main(["validate", str(path)]) == 2

    assert "bogus_field" in one_error_line(capsys)


def test_validate_reports_a_bad_override_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario_file(tmp_path)

    assert main(["validate", str(path), "--set", "no_such_field.at_all=1"]) == 2

    assert "no_such_field" in one_error_line(capsys)


def test_validate_reports_broken_yaml_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n  seed: 1\n", encoding="utf-8")

    assert main(["validate", str(path)]) == 2

    one_error_line(capsys)


def test_validate_reports_a_missing_file_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 2

    assert "missing.yaml" in one_error_line(capsys)


def test_schema_prints_the_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    from scenarios import scenario_json_schema

    assert main(["schema"]) == 0

    assert json.loads(capsys.readouterr().out) == scenario_json_schema()


def test_schema_writes_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from scenarios import scenario_json_schema

    out = tmp_path / "scenario.schema.json"

    assert main(["schema", "--out", str(out)]) == 0

    assert json.loads(out.read_text(encoding="utf-8")) == scenario_json_schema()
    assert str(out) in capsys.readouterr().out


def test_run_an_unknown_scenario_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)

    assert main(["run", "no-such-scenario"]) == 2

    assert "no-such-scenario" in one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_run_refuses_an_existing_output(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")

    assert main(["run", quick_scenario(), "--out", str(out)]) == 2

    assert str(out) in one_error_line(capsys)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_run_stores_results_and_prints_the_summary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from scenarios import load_scenario

    name = quick_scenario()
    scenario = load_scenario(name)
    monkeypatch.chdir(tmp_path)

    assert main(["run", name]) == 0

    out = Path("runs") / f"{scenario.name}-seed{scenario.seed}"
    manifest = read_manifest(out)
    assert (manifest["scenario"], manifest["seed"]) == (scenario.name, scenario.seed)
    assert (out / "plots" / "price_paths.png").is_file()
    printed = capsys.readouterr().out
    assert "KPIs" in printed
    assert str(out) in printed


def test_run_with_seed_out_and_without_plots(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mine"

    assert main(["run", quick_scenario(), "--seed", "7", "--out", str(out), "--no-plots"]) == 0

    assert read_manifest(out)["seed"] == 7
    assert not (out / "plots").exists()
