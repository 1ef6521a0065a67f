"""Bad scenario files, experiment files and command lines: one line, nothing written.

Every case used to pass validation and then fail or hang, fail with a traceback, or be
silently coerced. Each now gets one line ``cgx: error: <file>: <field>: <reason>`` and
exit status 2, and leaves the folder it ran in exactly as it was.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from cgx.cli import main

TINY = "extends: tiny\n"
DOUBLE_CALENDAR = "calendar: {years: 1}\ncalendar: {years: 2}\n"

SCENARIOS: dict[str, tuple[str | bytes, str]] = {
    # name: (file contents after `extends: tiny`, words the error line must hold)
    "duplicate_top_key": ("name: a\nname: b\n", "duplicate key 'name'"),
    "duplicate_nested_key": ("calendar:\n  years: 1\n  years: 2\n", "duplicate key 'years'"),
    "duplicate_mapping": (DOUBLE_CALENDAR, "duplicate key 'calendar'"),
    "years_true": ("calendar: {years: true}\n", "calendar.years"),
    "years_text": ("calendar: {years: '2'}\n", "calendar.years"),
    "seed_arabic_indic": ("seed: ١٢٣\n", "seed"),
    "seed_true": ("seed: true\n", "seed"),
    "firm_count_true": ("regions: {changshou: {firms: {chemical: true}}}\n",
                        "regions.changshou.firms.chemical"),
    "baseline_inf": ("sectors: {chemical: {emissions: {COD: {baseline_t: .inf, "
                     "mac10_yuan_per_t: 4200}}}}\n", "baseline_t"),
    "baseline_nan": ("sectors: {chemical: {emissions: {COD: {baseline_t: .nan, "
                     "mac10_yuan_per_t: 4200}}}}\n", "baseline_t"),
    "band_inf": ("exchange: {band: .inf}\n", "exchange.band"),
    "tax_inf": ("pollutants: {COD: {env_tax_yuan_per_t: {changshou: .inf, guangan: 1}}}\n",
                "env_tax_yuan_per_t"),
    "sessions_reversed": ("calendar: {sessions: [['13:00', '15:00'], ['09:30', '11:30']]}\n",
                          "calendar.sessions.1"),
    "session_backwards": ("calendar: {sessions: [['11:30', '09:30']]}\n",
                          "calendar.sessions.0"),
    "no_sessions": ("calendar: {sessions: []}\n", "calendar.sessions"),
    "call_after_open": ("calendar: {call_auction_open: '10:00'}\n",
                        "calendar.call_auction_open"),
    "firms_hundred_million": ("regions: {changshou: {firms: {chemical: 100000000}}}\n",
                              "regions.changshou.firms.chemical"),
    "firms_over_cap_together": ("regions: {changshou: {firms: {chemical: 15000}}, "
                                "guangan: {firms: {chemical: 15000}}}\n", "regions"),
    "not_utf8": (b"name: caf\xe9\n", "not UTF-8"),
    "deep_lists": ("x: " + "[" * 5000 + "]" * 5000 + "\n", "nest"),
    "deep_mappings": ("x: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n", "nest"),
}


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("cgx: error: ")
    return err


def write(path: Path, contents: str | bytes) -> Path:
    if isinstance(contents, bytes):
        path.write_bytes(contents)
    else:
        path.write_text(contents, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_scenario_file(name: str, command: str, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    contents, words = SCENARIOS[name]
    head = TINY if isinstance(contents, str) else TINY.encode()
    path = write(tmp_path / "bad.yaml", head + contents)  # type: ignore[operator]
    monkeypatch.chdir(tmp_path)
    before = tree(tmp_path)
    args = [command, str(path)] + (["--out", str(tmp_path / "out")] if command == "run" else [])
    assert main(args) == 2
    line = error_line(capsys)
    assert "bad.yaml" in line and words in line
    assert tree(tmp_path) == before


OVERRIDES = {
    "years_true": ("calendar.years=true", "calendar.years"),
    "band_inf": ("exchange.band=.inf", "exchange.band"),
    "band_nan": ("exchange.band=.nan", "exchange.band"),
    "seed_arabic_indic": ("seed=١٢٣", "seed"),
    "days_text": ("calendar.days_per_year='40'", "calendar.days_per_year"),
}


@pytest.mark.parametrize("name", OVERRIDES)
def test_bad_override(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    override, words = OVERRIDES[name]
    monkeypatch.chdir(tmp_path)
    assert main(["run", "tiny", "--set", override]) == 2
    assert words in error_line(capsys)
    assert tree(tmp_path) == {}


SEEDS = {"two_to_64": str(2**64), "two_to_63": str(2**63), "arabic_indic": "١٢٣",
         "fullwidth": "１２３", "negative": "-1"}


@pytest.mark.parametrize("name", SEEDS)
def test_bad_seed(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "tiny", "--seed", SEEDS[name]])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--seed" in err.splitlines()[-1] and "whole number" in err
    assert tree(tmp_path) == {}


def test_workers_in_arabic_indic_digits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        main(["experiment", "resume", str(tmp_path / "none"), "--workers", "٢"])
    assert "--workers" in capsys.readouterr().err
    assert tree(tmp_path) == {}


def test_out_under_a_file_is_refused_before_simulating(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "file", "keep me")
    started = time.monotonic()
    assert main(["run", "tiny", "--set", "calendar.years=50", "--out",
                 str(tmp_path / "file" / "run")]) == 2
    assert time.monotonic() - started < 3  # the 50-year run takes far longer
    assert "file" in error_line(capsys)
    assert tree(tmp_path) == {"file": hashlib.sha256(b"keep me").hexdigest()}


def test_experiment_out_under_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    write(tmp_path / "file", "keep me")
    assert main(["experiment", "run", "cross_border", "--out",
                 str(tmp_path / "file" / "xb")]) == 2
    assert "file" in error_line(capsys)
    assert tree(tmp_path) == {"file": hashlib.sha256(b"keep me").hexdigest()}


def factorial(factors: int, levels: int) -> str:
    lines = ["name: huge", "scenario: tiny", "design: {kind: factorial}", "factors:"]
    values = ", ".join(str(0.5 + k / (10 * levels)) for k in range(levels))
    lines += [f"  - {{name: f{k}, path: exchange.band, levels: [{values}]}}"
              for k in range(factors)]
    return "\n".join(lines) + "\n"


RANGE = "factors:\n  - {name: band, path: exchange.band, range: [0.1, 0.3]}\n"
SMALL = "name: e\nscenario: tiny\ndesign: {kind: factorial}\n" \
        "factors:\n  - {name: band, path: exchange.band, levels: [0.1]}\n"

EXPERIMENTS: dict[str, tuple[str | bytes, str]] = {
    "factorial_10_12": (factorial(6, 100), "design"),
    "lhs_100000": ("name: e\nscenario: tiny\ndesign: {kind: lhs, samples: 100000}\n" + RANGE,
                   "design"),
    "sobol_65536": ("name: e\nscenario: tiny\ndesign: {kind: sobol, n: 65536}\n" + RANGE,
                    "design"),
    "runs_over_a_million": (SMALL.replace("[0.1]", "[" + ", ".join(
        str(0.1 + k / 1000) for k in range(100)) + "]") + "replications: 100000\n",
        "replications"),
    "replications_true": (SMALL + "replications: true\n", "replications"),
    "seed_arabic_indic": (SMALL + "seed: ١٢٣\n", "seed"),
    "duplicate_key": (SMALL + "seed: 1\nseed: 2\n", "duplicate key 'seed'"),
    "not_utf8": (b"name: \xff\xfe\n", "not UTF-8"),
    "deep_nesting": ("name: e\nx: " + "[" * 5000 + "]" * 5000 + "\n", "nest"),
    "range_inf": ("name: e\nscenario: tiny\ndesign: {kind: lhs, samples: 4}\n"
                  "factors:\n  - {name: band, path: exchange.band, range: [0.1, .inf]}\n",
                  "factors.0.range"),
}


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_bad_experiment_file(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    contents, words = EXPERIMENTS[name]
    path = write(tmp_path / "bad.yaml", contents)
    monkeypatch.chdir(tmp_path)
    before = tree(tmp_path)
    started = time.monotonic()
    assert main(["experiment", "validate", str(path)]) == 2
    assert time.monotonic() - started < 10
    line = error_line(capsys)
    assert "bad.yaml" in line and words in line
    assert main(["experiment", "run", str(path), "--out", str(tmp_path / "out")]) == 2
    error_line(capsys)
    assert tree(tmp_path) == before
