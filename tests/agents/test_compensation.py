"""Compensation schemes on hand-made index series, and their settlement in the registry."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.compensation import (CENTRAL, POOL, Compensation, Judged, Parties, Payment,
                                 SchemeRules, net_to_upstream, pool_payments,
                                 scheme_payments)
from agents.hydrology import Hydrology
from agents.monitoring import SectionYear
from agents.schemes import IndexRules
from agents.firms import Firms
from agents.regulator import Regulator, RegulatorRules
from agents.river import Reach, Section, river_graph
from agents.streams import Streams
from exchange import CASH, OUTSIDE, Registry

UP, DOWN = "gov:guangan", "gov:changshou"
PARTIES = {"dahong": Parties(UP, DOWN), "yulin": Parties(UP, DOWN)}


def flows(payments: list[Payment]) -> list[tuple[str, str, float]]:
    return [(p.payer, p.payee, round(p.amount_yuan, 2)) for p in payments]


def one(cod: list[float]) -> SectionYear:
    return SectionYear(np.arange(1, len(cod) + 1), {"COD": np.array(cod)},
                       np.full(len(cod), np.nan))


JUDGED = {"dahong": Judged(PARTIES["dahong"], {"COD": 20.0}, {"COD": 20.0}),
          "yulin": Judged(PARTIES["yulin"], {"COD": 20.0}, {"COD": 20.0})}
INDEX = IndexRules(1.0, {"COD": 1.0})


def test_bet_follows_the_index_both_ways() -> None:
    # dahong mean 18 -> P = 0.9 met; yulin mean 22 -> P = 1.1 missed
    out = scheme_payments(SchemeRules("bet", index=INDEX),
                          {"dahong": one([17.0, 19.0]), "yulin": one([22.0])}, {}, JUDGED)
    assert flows(out) == [(DOWN, UP, 12e6), (UP, DOWN, 12e6)]
    assert "missed" in out[1].reason and out[1].index == pytest.approx(1.1)


def test_parties_are_per_section_and_the_top_up_is_shared_by_upstreams() -> None:
    judged = {"dahong": JUDGED["dahong"],
              "yulin": Judged(Parties(UP, CENTRAL), {"COD": 20.0}, {"COD": 20.0})}
    out = scheme_payments(SchemeRules("bet", index=INDEX, central_topup_yuan=6e6),
                          {"dahong": one([22.0]), "yulin": one([18.0])}, {}, judged)
    assert flows(out) == [(UP, DOWN, 12e6), (CENTRAL, UP, 12e6), (CENTRAL, UP, 6e6)]
    # Guang'an lost 12 m to Changshou and won 12 m from the centre as yulin's party; the
    # 6 m top-up does not count
    assert net_to_upstream(out, PARTIES["dahong"]) == 0.0
    assert net_to_upstream(out[:1] + out[2:], PARTIES["dahong"]) == -12e6


def test_pool_takes_shares_and_pays_out_by_the_samples_that_met() -> None:
    samples = {"dahong": np.array([0.8, 1.2, 0.9, 1.1, np.nan]), "yulin": np.array([0.5] * 4)}

    out = pool_payments(samples, PARTIES, 300e6, 0.4, 20e6)

    # 6 of the 8 samples present met: 320 m * 0.75 = 240 m upstream
    assert flows(out) == [(UP, POOL, 120e6), (DOWN, POOL, 180e6), (CENTRAL, POOL, 20e6),
                          (POOL, UP, 240e6), (POOL, DOWN, 80e6)]
    assert net_to_upstream(out, PARTIES["dahong"]) == pytest.approx(240e6 - 120e6 - 15e6)


@given(st.lists(st.floats(0.1, 3.0), min_size=1, max_size=30), st.floats(0, 1e9),
       st.floats(0, 1), st.floats(0, 1e8))
def test_the_pool_pays_out_exactly_what_went_in(samples: list[float], pool: float,
                                                 share: float, topup: float) -> None:
    out = pool_payments({"dahong": np.array(samples)}, PARTIES, pool, share, topup)

    paid_in = sum(p.amount_yuan for p in out if p.payee == POOL)
    paid_out = sum(p.amount_yuan for p in out if p.payer == POOL)
    assert paid_out == pytest.approx(paid_in, abs=1e-6)
    assert paid_in == pytest.approx(pool + topup, abs=1e-6)


def test_market_pays_nothing() -> None:
    assert scheme_payments(SchemeRules("market", central_topup_yuan=5e6),
                           {"dahong": one([30.0])}, {}, JUDGED) == []


def settled(rules: SchemeRules, background_cod: float, hydrology: Hydrology = Hydrology(),
            seed: int = 7, final_year: int = 2025
            ) -> tuple[Compensation, Registry, dict[str, Regulator]]:
    """Two firms, one on each side of the border, and one year settled under ``rules``
    (its index on COD alone)."""
    rules = replace(rules, index=IndexRules(rules.index.k0, {"COD": 1.0}))
    graph = river_graph([
        Reach("a", "guangan", "b", 43.2, 10.0, 0.5, {"COD": 0.2}, {"COD": background_cod},
              Section("border", "III", True)),
        Reach("b", "changshou", None, 43.2, 20.0, 0.5, {"COD": 0.2}, {"COD": 5.0},
              Section("mouth", "III", False))])
    # g1 on reach a, c1 on reach b, g2 in Guang'an off the river; COD and SO2
    firms = Firms(("g1", "c1", "g2"), np.array(["guangan", "changshou", "guangan"],
                                               dtype=object),
                  np.array(["x"] * 3, dtype=object), ("COD", "SO2"), np.full((3, 2), 100.0),
                  np.ones((3, 2)), np.zeros((3, 2)), np.ones(3), np.zeros(3, dtype=int),
                  np.zeros(3), np.zeros(3))
    registry = Registry(lambda: 0)
    for gov in (UP, DOWN):
        registry.open_account(gov)
        registry.issue(OUTSIDE, gov, CASH, 1_000_000_00)
    regulators = {r: Regulator(RegulatorRules(r, "free", {"COD": 0.9, "SO2": 0.9}, 0.0, 5.0,
                                              {}), firms, registry)
                  for r in ("guangan", "changshou")}
    judged = {"border": Judged(Parties(UP, DOWN), {"COD": 25.0}, {"COD": 20.0})}
    baselines = {"border": {"COD": 25.0}, "mouth": {"COD": 25.0}}
    comp = Compensation(graph, np.array([0, 1, -1]), ("COD", "SO2"), rules, registry,
                        regulators, Streams(seed), judged, baselines, hydrology,
                        final_year=final_year)
    comp.close_year(2025, np.array([[80.0, 50.0], [90.0, 50.0], [70.0, 50.0]]),
                    np.full((3, 2), 100.0))
    return comp, registry, regulators


@pytest.mark.parametrize("rules", [
    SchemeRules("bet", amount_yuan=3e8, central_topup_yuan=1e6),
    SchemeRules("chongqing"), SchemeRules("excess"), SchemeRules("load", yuan_per_t={"COD": 1e4}),
    SchemeRules("graded", central_topup_yuan=2.5e6),
    SchemeRules("pool", pool_yuan=5e8, upstream_share=0.3, central_topup_yuan=1e7),
    SchemeRules("market")])
def test_settlement_conserves_money_and_records_every_transfer(rules: SchemeRules) -> None:
    comp, registry, _ = settled(rules, background_cod=30.0)

    registry.audit()
    moved = sum(e.amount for e in registry.journal if e.memo.startswith("compensation"))
    assert moved == sum(round(p.amount_yuan * 100) for _, p in comp.payments)
    if rules.kind == "pool":
        assert registry.cash(POOL) == 0
    assert len(comp.records) == 2 and comp.records[0][3].mg_l["COD"].shape == (24,)


def test_a_government_short_of_cash_draws_on_its_budget() -> None:
    comp, registry, _ = settled(SchemeRules("bet", amount_yuan=3e8), background_cod=30.0)

    assert [(p.payer, p.payee) for _, p in comp.payments] == [(UP, DOWN)]
    assert registry.cash(DOWN) == 1_000_000_00 + 3e8 * 100
    assert registry.cash(UP) == 0
    assert any(e.memo == "budget appropriation for compensation" for e in registry.journal)


def test_upstream_tightens_only_the_river_firms_water_caps_after_paying_on_balance() -> None:
    _, _, lost = settled(SchemeRules("bet", tighten_cap=0.1), background_cod=30.0)
    _, _, won = settled(SchemeRules("bet", tighten_cap=0.1), background_cod=5.0)

    guangan = lost["guangan"]  # members g1 (on reach a) and g2 (off the river)
    assert guangan.firm_scale["COD"].tolist() == pytest.approx([0.9, 1.0])
    assert guangan.firm_scale["SO2"].tolist() == [1.0, 1.0]
    # cap = 0.9 * (100 * 0.9 + 100) = 171 t of COD; SO2 stays 0.9 * 200 = 180 t
    assert guangan.cap_t("COD", 0) == pytest.approx(171.0)
    assert guangan.cap_t("SO2", 0) == pytest.approx(180.0)
    # free allocation: g2 keeps 90 t, g1 gets 81 t
    assert guangan.allocation_t("COD", 0).tolist() == pytest.approx([81.0, 90.0])
    assert lost["changshou"].firm_scale["COD"].tolist() == [1.0]
    assert won["guangan"].firm_scale["COD"].tolist() == [1.0, 1.0]


def test_expected_value_rule_buys_the_cheapest_treatment_that_wins_the_bet() -> None:
    # Without treatment the border is 30 + 0.2077 mg/L: P = 0.85 * 30.2077 / 25 = 1.027,
    # missed. Winning needs C <= 25 / 0.85 = 29.4118, a cut of 0.7959 mg/L = 687.7 kg/day
    # (* 864) = 251.0 t/yr = 5.02 m yuan at 20,000 yuan/t. Candidates 0, 2, 4, 6, 8 m with
    # two years left (2026, 2027) score -24, -26, -28, +18, +16 m: 6 m it is. No flow
    # variation, so every draw agrees.
    rules = SchemeRules("bet", response_rule="expected", budget_yuan=8e6, planning_steps=4,
                        planning_draws=3)
    comp, registry, _ = settled(rules, 30.0, Hydrology(sampling_sigma=0.0), final_year=2027)

    assert comp.plans == [(2025, UP, pytest.approx(-12e6), pytest.approx(6e6))]
    assert comp.funds == [(2025, UP, pytest.approx(6e6), pytest.approx(300.0))]
    # 300 t/yr = 821.9 kg/day = 0.95129 mg/L off reach a's background of 30
    cut = 300_000 / 365 / 864
    assert comp.graph.nodes["a"]["background_mg_l"]["COD"] == pytest.approx(30.0 - cut)
    assert comp.graph.nodes["b"]["background_mg_l"]["COD"] == 5.0  # Changshou's reach
    registry.audit()


def test_expected_value_rule_spends_nothing_when_the_bet_is_won_anyway() -> None:
    rules = SchemeRules("bet", response_rule="expected", budget_yuan=8e6, planning_draws=3)
    comp, _, _ = settled(rules, 19.0, Hydrology(sampling_sigma=0.0), final_year=2027)

    assert comp.plans == [(2025, UP, pytest.approx(12e6), 0.0)] and comp.funds == []


# The simulated run by hand. Reach a: 43.2 km at 0.5 m/s is one day, d = exp(-0.2).
# Firm g1's 80 t/yr = 80,000/365 = 219.178 kg/day, * 0.818731 = 179.448 kg/day at the
# border, / (86.4 * 10 m3/s) = 0.207695 mg/L over the background.
ROUTED_80T = 80_000 / 365 * np.exp(-0.2) / 864


def test_the_simulated_year_samples_the_routed_concentration_by_hand() -> None:
    comp, _, _ = settled(SchemeRules("bet"), 30.0, Hydrology(sampling_sigma=0.0))
    border = comp.records[0][3]

    assert border.mg_l["COD"] == pytest.approx(np.full(24, 30.0 + ROUTED_80T))
    assert border.month.tolist() == [m for m in range(1, 13) for _ in range(2)]
    # P = 0.85 * 30.2077 / 25 = 1.02706: missed, Guang'an pays
    p = 0.85 * (30.0 + ROUTED_80T) / 25.0
    assert [(q.payer, q.payee, q.index) for _, q in comp.payments] == [
        (UP, DOWN, pytest.approx(p))]
    assert p == pytest.approx(1.02706, abs=1e-5)


def test_a_dry_year_concentrates_the_river_and_fails_the_bet() -> None:
    # background 19: P = 0.85 * 19.2077 / 25 = 0.6531 at the mean flow, met. A year's flow
    # factor F = exp(0.6 z0 - 0.18) (stream ("river", "hydrology", 2025)) divides every
    # concentration; the first seed with F < 0.6531 must fail.
    seed = next(s for s in range(1, 100) if np.exp(
        0.6 * Streams(s)("river", "hydrology", 2025).standard_normal(13)[0] - 0.18) < 0.6531)
    z0 = Streams(seed)("river", "hydrology", 2025).standard_normal(13)[0]
    factor = np.exp(0.6 * z0 - 0.18)
    rules = SchemeRules("bet")
    dry, _, _ = settled(rules, 19.0, Hydrology(sigma_year=0.6, sampling_sigma=0.0), seed)
    calm, _, _ = settled(rules, 19.0, Hydrology(sampling_sigma=0.0), seed)

    assert dry.records[0][3].mg_l["COD"] == pytest.approx(
        np.full(24, (19.0 + ROUTED_80T) / factor))
    assert dry.payments[0][1].payer == UP
    assert calm.payments[0][1].payer == DOWN


def test_missing_samples_are_drawn_whatever_the_values() -> None:
    comp, _, _ = settled(SchemeRules("market"), 19.0, Hydrology(missing_share=0.5))
    gaps = Streams(7)("river", "gaps", 2025).random(24) < 0.5  # the first section: border
    border = comp.records[0][3].mg_l["COD"]

    assert np.isnan(border).tolist() == gaps.tolist()
