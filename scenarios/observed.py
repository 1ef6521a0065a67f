"""Observed monitoring data from a CSV file, to replay real years through every scheme.

The file has one row per sampling date: columns ``year``, ``month`` (1-12), ``section``,
``flow_m3s`` and one column per river pollutant (``COD``, ``NH3N``), in mg/L. An empty
cell is a missing measurement (a missing concentration is left out of the averages; a
missing flow leaves the sample out of flow-weighted ones). Lines starting with ``#`` are
comments. A year and section found in the file replace the simulated samples of that year
at that section (``agents.compensation.Compensation.observed``); other years and sections
are simulated.

A relative path is taken from the working directory, else from the built-in scenarios'
folder (where ``observed_example.csv`` lives).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from agents.monitoring import SectionYear, annual_means
from scenarios.load import ScenarioError

__all__ = ["observed_baseline", "read_observed", "resolve_observed"]

_FIXED = ("year", "month", "section", "flow_m3s")


def resolve_observed(ref: str) -> Path:
    """The file ``river.observed`` names (module docstring).

    Raises:
        ScenarioError: no such file.
    """
    path = Path(ref)
    if path.is_file():
        return path
    builtin = Path(str(resources.files("scenarios") / "builtin")) / ref
    if not path.is_absolute() and builtin.is_file():
        return builtin
    raise ScenarioError(f"river.observed: no such file {ref!r}")


def read_observed(path: Path, sections: Sequence[str], pollutants: Sequence[str]
                  ) -> dict[tuple[int, str], SectionYear]:
    """The samples of the file by (year, section), in file order within each.

    Raises:
        ScenarioError: naming the file, line and column of a missing column, an unknown
            section, a month out of 1-12 or a value that is not a non-negative number.
    """
    rows: dict[tuple[int, str], list[tuple[int, float, list[float]]]] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError(f"{path}: cannot read: {e.strerror}") from None
    lines = [(k + 1, line) for k, line in enumerate(text.splitlines())
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise ScenarioError(f"{path}: no header line")
    header_line, header = lines[0][0], next(csv.reader([lines[0][1]]))
    header = [h.strip() for h in header]
    for column in (*_FIXED, *pollutants):
        if column not in header:
            raise ScenarioError(f"{path}, line {header_line}: no column {column!r}")
    for number, line in lines[1:]:
        cells = dict(zip(header, next(csv.reader([line]))))
        year = int(_number(path, number, "year", cells, required=True))
        month = int(_number(path, number, "month", cells, required=True))
        if not 1 <= month <= 12 or month != _number(path, number, "month", cells, True):
            raise ScenarioError(f"{path}, line {number}, column 'month': not a month 1-12")
        section = cells.get("section", "").strip()
        if section not in sections:
            raise ScenarioError(f"{path}, line {number}, column 'section': no section "
                                f"{section!r} (choose from {', '.join(sections)})")
        flow = _number(path, number, "flow_m3s", cells)
        values = [_number(path, number, p, cells) for p in pollutants]
        rows.setdefault((year, section), []).append((month, flow, values))
    return {key: _section_year(samples, pollutants) for key, samples in sorted(rows.items())}


def observed_baseline(observed: dict[tuple[int, str], SectionYear], section: str,
                      years: Sequence[int], averaging: str) -> dict[str, float]:
    """The mean over ``years`` of the section's yearly means (by ``averaging``).

    Raises:
        ScenarioError: a baseline year without samples at the section.
    """
    means = []
    for year in years:
        if (year, section) not in observed:
            raise ScenarioError(f"compensation.index.baseline_years: no observed samples "
                                f"at {section} in {year}")
        means.append(annual_means(observed[(year, section)], averaging))  # type: ignore[arg-type]
    return {p: float(np.nanmean([m[p] for m in means])) for p in means[0]}


def _number(path: Path, line: int, column: str, cells: dict[str, str],
            required: bool = False) -> float:
    raw = (cells.get(column) or "").strip()
    if not raw:
        if required:
            raise ScenarioError(f"{path}, line {line}, column {column!r}: empty")
        return math.nan
    try:
        value = float(raw)
    except ValueError:
        raise ScenarioError(f"{path}, line {line}, column {column!r}: {raw!r} is not a "
                            "number") from None
    if value < 0 or math.isinf(value) or math.isnan(value):
        raise ScenarioError(f"{path}, line {line}, column {column!r}: {raw!r} is not a "
                            "non-negative number")
    return value


def _section_year(samples: list[tuple[int, float, list[float]]], pollutants: Sequence[str]
                  ) -> SectionYear:
    values = np.array([s[2] for s in samples], dtype=float).reshape(len(samples), -1)
    return SectionYear(np.array([s[0] for s in samples]),
                       {p: values[:, j] for j, p in enumerate(pollutants)},
                       np.array([s[1] for s in samples], dtype=float))
