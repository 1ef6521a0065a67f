"""Observed monitoring data replayed from a CSV file through the schemes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scenarios import ScenarioError, build_world, load_scenario, run_scenario
from scenarios.observed import read_observed, resolve_observed

SECTIONS = ["dahong_border", "yulin_border", "dahonghu_dam", "shantuo"]
HEADER = "year,month,section,flow_m3s,COD,NH3N\n"


def test_the_example_file_reads_with_its_gaps() -> None:
    data = read_observed(resolve_observed("observed_example.csv"), SECTIONS, ["COD", "NH3N"])

    dahong = data[(2025, "dahong_border")]
    assert dahong.month.tolist() == [1, 1, 2, 3, 4]
    assert np.isnan(dahong.flow_m3s[3]) and np.isnan(dahong.mg_l["COD"][4])
    assert sorted(data) == [(2025, "dahong_border"), (2025, "yulin_border")]


@pytest.mark.parametrize(("body", "message"), [
    ("2025,13,shantuo,1,1,1\n", "line 3, column 'month': not a month"),
    ("2025,1,nowhere,1,1,1\n", "line 3, column 'section': no section 'nowhere'"),
    ("2025,1,shantuo,1,abc,1\n", "line 3, column 'COD': 'abc' is not a number"),
    ("2025,1,shantuo,-1,1,1\n", "line 3, column 'flow_m3s': '-1' is not a non-negative"),
])
def test_bad_rows_name_the_file_line_and_column(tmp_path: Path, body: str,
                                                message: str) -> None:
    path = tmp_path / "obs.csv"
    path.write_text("# comment\n" + HEADER + body)
    with pytest.raises(ScenarioError, match=f"obs.csv, {message}"):
        read_observed(path, SECTIONS, ["COD", "NH3N"])


def test_a_missing_column_and_a_missing_file_are_named(tmp_path: Path) -> None:
    path = tmp_path / "obs.csv"
    path.write_text("year,month,section,flow_m3s,COD\n")
    with pytest.raises(ScenarioError, match="obs.csv, line 1: no column 'NH3N'"):
        read_observed(path, SECTIONS, ["COD", "NH3N"])
    with pytest.raises(ScenarioError, match="river.observed: no such file 'nope.csv'"):
        resolve_observed("nope.csv")


def test_observed_year_replays_through_the_chongqing_rule() -> None:
    scenario = load_scenario("tiny", [
        "river={observed: observed_example.csv}",
        "compensation={kind: chongqing, parties: {yulin_border: {upstream: guangan, "
        "downstream: central}}}"])
    world = build_world(scenario, seed=3)
    result = world.run()
    paid = result["compensation"].query("year == 2025")

    # By hand from the file (Class III: COD 20, NH3-N 1.0; arithmetic monthly means):
    # dahong Jan COD 18.5, NH3-N 0.925 met -> Changshou pays 1 m; Feb COD 21 missed ->
    # Guang'an pays 1 m; Mar COD 20, NH3-N 1.0 (on the limits) met -> 1 m to Guang'an;
    # Apr has no concentration: nothing. yulin Jan, Feb met -> 1 m each from the centre;
    # Mar COD 23 missed -> Guang'an pays the centre 1 m.
    got = [(r.section, r.month, r.payer, r.payee, r.amount_yuan) for r in paid.itertuples()]
    assert sorted(got) == [
        ("dahong_border", 1, "gov:changshou", "gov:guangan", 1e6),
        ("dahong_border", 2, "gov:guangan", "gov:changshou", 1e6),
        ("dahong_border", 3, "gov:changshou", "gov:guangan", 1e6),
        ("yulin_border", 1, "outside", "gov:guangan", 1e6),
        ("yulin_border", 2, "outside", "gov:guangan", 1e6),
        ("yulin_border", 3, "gov:guangan", "outside", 1e6)]
    env = result["environment"]
    assert set(env.query("year == 2025 and cross_border")["source"]) == {"observed"}
    assert set(env.query("year == 2026")["source"]) == {"simulated"}
    world.registry.audit()


@pytest.mark.parametrize(("averaging", "yulin_base", "yulin_payer"), [
    ("arithmetic", 17.0, "outside"), ("arithmetic", 16.8, "gov:guangan"),
    ("flow_weighted", 17.0, "outside")])
def test_observed_year_replays_through_the_xinan_bet(averaging: str, yulin_base: float,
                                                     yulin_payer: str) -> None:
    # dahong 2025 COD: 18, 19, 21, 20 and a missing one. Arithmetic 78 / 4 = 19.5,
    # P = 0.85 * 19.5 / 20 = 0.82875; flow-weighted over the samples with a flow,
    # (18*14 + 19*16 + 21*12) / 42 = 19.238, P = 0.8177: met either way, Changshou pays.
    # yulin: 17, 19.5, 23, arithmetic 19.8333 (flows 11, 10, 9: 19.6167); against 17,
    # P = 0.85 * 19.8333 / 17 = 0.99167 met, the municipal budget pays; against 16.8,
    # P = 1.00347 missed, Guang'an pays.
    scenario = load_scenario("tiny", [
        "river={observed: observed_example.csv}",
        "compensation={kind: bet, index: {k0: 0.85, averaging: " + averaging + ", "
        "baseline_mg_l: {dahong_border: {COD: 20}, yulin_border: {COD: " + str(yulin_base)
        + "}}}, parties: {yulin_border: {upstream: guangan, downstream: central}}}"])
    paid = run_scenario(scenario, seed=3)["compensation"].query("year == 2025")
    by = paid.set_index("section")

    dahong_p = 0.85 * (19.5 if averaging == "arithmetic" else 808 / 42) / 20
    assert by.loc["dahong_border", "payer"] == "gov:changshou"
    assert by.loc["dahong_border", "index"] == pytest.approx(dahong_p)
    assert by.loc["yulin_border", "payer"] == yulin_payer
    yulin_mean = 59.5 / 3 if averaging == "arithmetic" else (17 * 11 + 19.5 * 10 + 23 * 9) / 30
    assert by.loc["yulin_border", "index"] == pytest.approx(0.85 * yulin_mean / yulin_base)


def test_a_baseline_from_observed_years() -> None:
    # the baseline is 2025's own mean, so 2025's index is K0 exactly: 0.9 <= 1, met
    scenario = load_scenario("tiny", [
        "river={observed: observed_example.csv}",
        "compensation={kind: bet, index: {k0: 0.9, baseline_years: [2025]}, sections: "
        "[dahong_border]}"])
    paid = run_scenario(scenario, seed=3)["compensation"].query("year == 2025")

    assert paid["index"].tolist() == [pytest.approx(0.9)]
    with pytest.raises(ScenarioError, match="baseline_years: needs river.observed"):
        load_scenario("tiny", ["river={}", "compensation={kind: bet, index: "
                               "{baseline_years: [2025]}}"])
