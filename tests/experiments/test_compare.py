"""``cgx compare``: scenarios on the same seeds, one self-contained HTML report."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pandas as pd
import pytest

from cgx.cli import main
from experiments.compare import (GAINS_LABELS, KPI_LABELS, kpi_summary, paired_summary,
                                 seeds_warning)


def scenario_file(folder: Path, name: str, compensation: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"extends: tiny\nname: {name}\nriver: {{}}\n"
                    f"compensation: {compensation}\n", encoding="utf-8")
    return path


def test_compare_writes_a_self_contained_report(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    bet = scenario_file(tmp_path, "tiny_bet", "{kind: bet}")
    pool = scenario_file(tmp_path, "tiny_pool", "{kind: pool, central_topup_yuan: 1000000}")
    out = tmp_path / "cmp"

    code = main(["compare", str(bet), str(pool), "--seeds", "2", "--out", str(out)])

    assert code == 0
    assert "report.html" in capsys.readouterr().out
    page = (out / "report.html").read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 4
    assert all(base64.b64decode(b).startswith(b"\x89PNG") for b in images)
    assert "tiny_bet" in page and "tiny_pool" in page
    assert not re.search(r'src="(?!data:)', page)  # nothing loaded from elsewhere
    kpis = pd.read_csv(out / "kpis.csv")
    assert sorted(zip(kpis["scenario"], kpis["seed"])) == [
        ("tiny_bet", 1), ("tiny_bet", 2), ("tiny_pool", 1), ("tiny_pool", 2)]
    assert (kpis.loc[kpis["scenario"] == "tiny_pool", "central_topup_yuan"] == 2e6).all()
    assert "Who gains and who pays" in page and "Differences from tiny_bet" in page
    assert "Guang&#x27;an: net fiscal balance" in page
    assert "Warning: only 2 seeds" in page


def test_compare_refuses_an_existing_report_and_a_single_scenario(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "report.html").write_text("earlier", encoding="utf-8")

    assert main(["compare", "tiny", "tiny", "--out", str(tmp_path)]) == 2
    assert main(["compare", "tiny", "--out", str(tmp_path / "new")]) == 2
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == "earlier"
    assert capsys.readouterr().err.count("cgx: error:") == 2


def test_kpi_summary_gives_mean_and_interval_per_scenario() -> None:
    kpis = pd.DataFrame({"scenario": ["a", "a", "a", "b"],
                         **{k: [1.0, 2.0, 3.0, 5.0] for k in (*KPI_LABELS, *GAINS_LABELS)}})

    summary = kpi_summary(kpis, ["a", "b"]).set_index(["kpi", "scenario"])

    a = summary.loc[("cross_border_index", "a")]
    assert a["mean"] == pytest.approx(2.0)
    assert a["low"] == pytest.approx(2.0 - 4.302653 / 3**0.5, rel=1e-5)
    b = summary.loc[("cross_border_index", "b")]
    assert b["mean"] == 5.0 and pd.isna(b["low"])


def test_paired_differences_are_seed_by_seed_against_the_reference() -> None:
    # b - a per seed: seeds 1, 2, 3 give 1, 2, 3 -> mean 2, t(0.975, 2) = 4.302653,
    # s = 1: 2 -/+ 4.302653 / sqrt(3); seed 4 exists only in b and is left out
    columns = (*KPI_LABELS, *GAINS_LABELS)
    kpis = pd.DataFrame({"scenario": ["a"] * 3 + ["b"] * 4, "seed": [1, 2, 3, 1, 2, 3, 4],
                         **{k: [10.0, 20.0, 30.0, 11.0, 22.0, 33.0, 99.0] for k in columns}})

    diff = paired_summary(kpis, ["a", "b"], "a").set_index(["kpi", "scenario"])
    row = diff.loc[("guangan_fiscal_balance_yuan", "b")]

    assert row["n"] == 3 and row["mean"] == pytest.approx(2.0)
    assert row["low"] == pytest.approx(2.0 - 4.302653 / 3**0.5, rel=1e-5)


def test_the_report_warns_when_seeds_are_few() -> None:
    assert "no interval" in seeds_warning(1)
    assert "only 5 seeds" in seeds_warning(5)
    assert seeds_warning(10) == ""


def test_yearly_transfer_counts_the_central_party_but_not_top_ups() -> None:
    from experiments.compare import _net_to_upstream
    from scenarios import COLUMNS

    rows = [("r", 2025, 0, "dahong_border", "gov:guangan", "gov:changshou", 12e6, "bet",
             "missed", 1.1),
            ("r", 2025, 0, "yulin_border", "outside", "gov:guangan", 12e6, "bet", "met", 0.9),
            ("r", 2025, 0, "", "outside", "gov:guangan", 5e6, "bet", "central top-up",
             float("nan"))]
    comp = pd.DataFrame(rows, columns=list(COLUMNS["compensation"]))

    # -12 m to Changshou, +12 m from the municipal budget as yulin's party; the top-up apart
    assert _net_to_upstream(comp) == {2025: 0.0}
