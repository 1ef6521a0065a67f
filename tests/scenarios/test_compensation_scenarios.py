"""The river and compensation in whole runs: tables, conservation, response and ratios."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agents.river import sections, transfer_coefficients
from scenarios import COLUMNS, ScenarioError, build_world, load_scenario, run_scenario

RIVER_KPIS = ("section_compliance_rate", "cross_border_index", "cross_border_index_reduction",
              "transfers_to_upstream_yuan", "transfers_to_downstream_yuan",
              "central_topup_yuan", "cost_per_index_reduction_yuan")


def test_builtin_compensation_scenarios_differ_only_in_the_scheme() -> None:
    every = ("bet", "graded", "pool", "chongqing", "excess", "load", "market")
    dumps = {kind: load_scenario(f"compensation_{kind}").model_dump() for kind in every}

    kinds = set()
    for dump in dumps.values():
        kinds.add(dump.pop("compensation")["kind"])
        dump.pop("name")
        dump.pop("description")
    assert kinds == set(every)
    assert all(d == dumps["bet"] for d in dumps.values())
    assert dumps["bet"]["river"]["samples_per_month"] == 2


def test_a_run_with_a_bet_conserves_money_and_records_its_transfers() -> None:
    world = build_world(load_scenario("tiny", ["river={}", "compensation={kind: bet, "
                                               "central_topup_yuan: 1000000}"]), seed=2)
    result = world.run()

    world.registry.audit()
    comp, env = result["compensation"], result["environment"]
    assert list(comp.columns) == list(COLUMNS["compensation"])
    assert len(comp) == 2 * (2 + 1)  # two years: two border sections and a top-up
    journal = sum(e.amount for e in world.registry.journal if e.memo.startswith("compensation"))
    assert journal == round(comp["amount_yuan"].sum() * 100)
    assert len(env) == 2 * 24 * 4  # years x samples x sections, COD only
    assert set(env["section"]) == {"dahong_border", "yulin_border", "dahonghu_dam", "shantuo"}
    kpis = result.kpis
    assert kpis["central_topup_yuan"] == 2e6
    # each year both border bets go one way (24 m net) or cancel out (0)
    assert kpis["transfers_to_upstream_yuan"] + kpis["transfers_to_downstream_yuan"] in (
        0, 24e6, 48e6)
    assert 0 <= kpis["section_compliance_rate"] <= 1


def test_runs_without_a_river_have_empty_tables_and_missing_kpis() -> None:
    result = run_scenario(load_scenario("tiny"), seed=1)

    assert len(result["environment"]) == len(result["compensation"]) == 0
    assert all(math.isnan(result.kpis[k]) for k in RIVER_KPIS)


def test_the_same_seed_gives_the_same_river_tables() -> None:
    scenario = load_scenario("tiny", ["river={}", "compensation={kind: graded}"])

    a, b = run_scenario(scenario, 5), run_scenario(scenario, 5)

    assert a["environment"].equals(b["environment"])
    assert a["compensation"].equals(b["compensation"])


def test_upstream_tightens_caps_after_losing_the_bet() -> None:
    hard = ["river={}", "compensation={kind: bet, index: {k0: 1.5}, "
            "response: {tighten_cap: 0.1}}"]
    world = build_world(load_scenario("tiny", hard), seed=1)
    result = world.run()

    assert (result["compensation"]["payer"] == "gov:guangan").all()
    guangan = world.regulators["guangan"]
    assert guangan.cap_scale == 1.0  # only the river firms' part is cut
    scale = guangan.firm_scale["COD"]
    # two losing years: firms on the Guang'an reaches 0.9 ** 2, firms off the river 1
    assert set(np.round(scale, 12).tolist()) == {0.81, 1.0}
    assert (world.regulators["changshou"].firm_scale["COD"] == 1.0).all()
    caps = result["market_years"].set_index("year")["cap_t"]
    untightened = build_world(load_scenario("tiny", hard[:1] + [
        "compensation={kind: bet, index: {k0: 1.5}}"]), 1)
    caps_before = untightened.run()["market_years"].set_index("year")["cap_t"]
    assert caps[2025] == pytest.approx(caps_before[2025])
    assert caps[2026] < caps_before[2026]


def test_upstream_funds_abatement_after_losing_the_bet_and_the_river_gets_cleaner() -> None:
    hard = ["river={}"]
    funded = build_world(load_scenario("tiny", hard + [
        "compensation={kind: bet, index: {k0: 1.5}, response: {fund_abatement: 1.0}}"]),
        seed=1)
    plain = build_world(load_scenario("tiny", hard + [
        "compensation={kind: bet, index: {k0: 1.5}}"]), seed=1)
    a, b = funded.run(), plain.run()

    paid = a["compensation"].query("year == 2025")["amount_yuan"].sum()
    assert [(y, g, round(yuan)) for y, g, yuan, _ in funded.compensation.funds] == [
        (2025, "gov:guangan", round(paid)), (2026, "gov:guangan", round(paid))]
    spent = [e.amount for e in funded.registry.journal if e.memo == "abatement fund"]
    assert sum(spent) == round(2 * paid * 100)
    funded.registry.audit()
    # Same firms, same samples: only the background upstream changed, from 2026 on.
    index = {k: r["environment"].query("section == 'dahong_border'").groupby("year")["index"]
             .mean() for k, r in (("funded", a), ("plain", b))}
    assert index["funded"][2025] == pytest.approx(index["plain"][2025])
    assert index["funded"][2026] < index["plain"][2026]


def test_linked_ratio_from_the_river_graph() -> None:
    overrides = ["exchange.design={kind: linked}", "river={set_trading_ratio: true}"]
    world = build_world(load_scenario("tiny", overrides), seed=1)

    ratio = world.years.design.ratios_for("COD")["guangan", "changshou"]
    # By its definition (docs/river_trading.md), recomputed here from each reach's own
    # transfer coefficient: at each section, the Guang'an firms' coefficients weighted by
    # 1/slope over the Changshou firms' likewise; the smallest over the sections that
    # Changshou's firms reach.
    comp, firms = world.compensation, world.firms
    assert comp is not None
    reaches, j = list(comp.graph), firms.pollutant("COD")
    ratios = []
    for section in sections(comp.graph):
        d = transfer_coefficients(comp.graph, "COD", section)
        def weighted(region: str) -> float:
            num = den = 0.0
            for k in np.flatnonzero(firms.region == region):
                at = comp.assignment[k]
                num += (d.get(reaches[at], 0.0) if at >= 0 else 0.0) / firms.slope[k, j]
                den += 1 / firms.slope[k, j]
            return num / den
        if weighted("changshou") > 0:
            ratios.append(weighted("guangan") / weighted("changshou"))
    assert ratio == pytest.approx(min(ratios), rel=1e-12)
    assert 0 < ratio < 0.79


@pytest.mark.parametrize(("overrides", "field"), [
    (["compensation={kind: bet}"], "compensation"),
    (["river={set_trading_ratio: true}"], "river.set_trading_ratio"),
    (["river={reaches: [{name: a, region: guangan, length_km: 1, flow_m3s: 1, "
      "velocity_ms: 1, section: {name: s, cross_border: true}}]}"], "river"),
    (["river={firms: {nobody: yangtze_changshou}}"], "river.firms"),
])
def test_river_settings_that_do_not_fit_are_refused(overrides: list[str], field: str) -> None:
    with pytest.raises(ScenarioError, match=field):
        load_scenario("tiny", overrides)


def test_a_scheme_that_makes_upstream_pay_leaves_cleaner_water_than_no_scheme() -> None:
    river = "river={flow_sigma_year: 0.25, flow_sigma_month: 0.3, flow_scale: 0.8}"
    paying = build_world(load_scenario("tiny", [river, "compensation={kind: chongqing, "
                                                "response: {fund_abatement: 1.0}}"]), 6)
    plain = build_world(load_scenario("tiny", [river, "compensation={kind: market}"]), 6)
    a, b = paying.run(), plain.run()

    # in a dry regime Guang'an loses most months at the Class III borders and spends its
    # 2025 net payment on treatment
    paid = a["fiscal"].set_index(["year", "region"]).loc[(2025, "guangan")]
    net = paid["compensation_paid_yuan"] - paid["compensation_received_yuan"]
    assert net > 0
    assert paying.compensation is not None
    assert [(y, round(yuan)) for y, _, yuan, _ in paying.compensation.funds][:1] == [
        (2025, round(net))]
    # same flows and noise: 2025 is the same river, 2026 is cleaner at both borders
    cod = {k: r["section_years"].query("judged or cross_border").set_index(
        ["year", "section"])["cod_mg_l"] for k, r in (("paying", a), ("plain", b))}
    for section in ("dahong_border", "yulin_border"):
        assert cod["paying"][(2025, section)] == pytest.approx(cod["plain"][(2025, section)])
        assert cod["paying"][(2026, section)] < cod["plain"][(2026, section)]
