"""Compensation schemes on hand-made index series, and their settlement in the registry."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.compensation import (CENTRAL, POOL, Compensation, Parties, Payment, SchemeRules,
                                 bet_payments, graded_payments, net_to_upstream,
                                 pool_payments, scheme_payments)
from agents.firms import Firms
from agents.regulator import Regulator, RegulatorRules
from agents.river import Reach, Section, river_graph
from agents.streams import Streams
from exchange import CASH, OUTSIDE, Registry

UP, DOWN = "gov:guangan", "gov:changshou"
PARTIES = {"dahong": Parties(UP, DOWN), "yulin": Parties(UP, DOWN)}


def flows(payments: list[Payment]) -> list[tuple[str, str, float]]:
    return [(p.payer, p.payee, round(p.amount_yuan, 2)) for p in payments]


def test_bet_is_symmetric_around_the_target() -> None:
    met = bet_payments({"dahong": 0.9, "yulin": 1.0}, PARTIES, 12e6)
    missed = bet_payments({"dahong": 1.1, "yulin": 1.3}, PARTIES, 12e6)

    assert flows(met) == [(DOWN, UP, 12e6), (DOWN, UP, 12e6)]
    assert flows(missed) == [(UP, DOWN, 12e6), (UP, DOWN, 12e6)]
    assert "missed" in missed[0].reason and missed[0].index == 1.1


def test_chongqing_rule_makes_a_section_met_but_worse_pay_upstream() -> None:
    last_year = {"dahong": 0.8, "yulin": 0.95}

    out = bet_payments({"dahong": 0.9, "yulin": 0.9}, PARTIES, 12e6, last_year)
    xinan = scheme_payments(SchemeRules("bet"), {"dahong": np.array([0.9])},
                            {"dahong": PARTIES["dahong"]}, last_year)
    chongqing = scheme_payments(SchemeRules("bet", worsening_pays=True),
                                {"dahong": np.array([0.9])}, {"dahong": PARTIES["dahong"]},
                                last_year)

    assert flows(out) == [(UP, DOWN, 12e6), (DOWN, UP, 12e6)]  # worse, then better
    assert "worse than 0.800" in out[0].reason
    assert flows(xinan) == [(DOWN, UP, 12e6)]  # the Xin'an bet looks at the target only
    assert flows(chongqing) == [(UP, DOWN, 12e6)]


def test_graded_payments_are_proportional_and_capped() -> None:
    out = graded_payments({"dahong": 0.9, "yulin": 1.05}, PARTIES, 40e6, 12e6)
    capped = graded_payments({"dahong": 0.2, "yulin": 1.0}, PARTIES, 40e6, 12e6)

    assert flows(out) == [(DOWN, UP, 4e6), (UP, DOWN, 2e6)]
    assert flows(capped) == [(DOWN, UP, 12e6)]  # exactly on target pays nothing


def test_pool_takes_shares_and_pays_out_by_the_samples_that_met() -> None:
    samples = {"dahong": np.array([0.8, 1.2, 0.9, 1.1]), "yulin": np.array([0.5] * 4)}

    out = pool_payments(samples, PARTIES, 300e6, 0.4, 20e6)

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


def test_market_pays_nothing_and_top_ups_go_upstream() -> None:
    samples = {"dahong": np.array([1.5, 1.5])}

    assert scheme_payments(SchemeRules("market", central_topup_yuan=5e6), samples,
                           PARTIES) == []
    bet = scheme_payments(SchemeRules("bet", amount_yuan=1e6, central_topup_yuan=5e6),
                          samples, PARTIES)
    assert flows(bet) == [(UP, DOWN, 1e6), (CENTRAL, UP, 5e6)]
    assert net_to_upstream(bet, PARTIES["dahong"]) == -1e6


def settled(rules: SchemeRules, background_cod: float) -> tuple[Compensation, Registry,
                                                                dict[str, Regulator]]:
    """Two firms, one on each side of the border, and one year settled under ``rules``."""
    graph = river_graph([
        Reach("a", "guangan", "b", 43.2, 10.0, 0.5, {"COD": 0.2}, {"COD": background_cod},
              Section("border", "III", True)),
        Reach("b", "changshou", None, 43.2, 20.0, 0.5, {"COD": 0.2}, {"COD": 5.0},
              Section("mouth", "III", False))])
    firms = Firms(("g1", "c1"), np.array(["guangan", "changshou"], dtype=object),
                  np.array(["x", "x"], dtype=object), ("COD",), np.array([[100.0], [100.0]]),
                  np.ones((2, 1)), np.zeros((2, 1)), np.ones(2), np.zeros(2, dtype=int),
                  np.zeros(2), np.zeros(2))
    registry = Registry(lambda: 0)
    for gov in (UP, DOWN):
        registry.open_account(gov)
        registry.issue(OUTSIDE, gov, CASH, 1_000_000_00)
    regulators = {r: Regulator(RegulatorRules(r, "free", {"COD": 0.9}, 0.0, 5.0, {}), firms,
                               registry) for r in ("guangan", "changshou")}
    comp = Compensation(graph, np.array([0, 1]), ("COD",), 0.85, 24, 0.2, rules, registry,
                        regulators, Streams(7))
    comp.close_year(2025, np.array([[80.0], [90.0]]), np.array([[100.0], [100.0]]))
    return comp, registry, regulators


@pytest.mark.parametrize("rules", [
    SchemeRules("bet", amount_yuan=3e8, central_topup_yuan=1e6),
    SchemeRules("graded", central_topup_yuan=2.5e6),
    SchemeRules("pool", pool_yuan=5e8, upstream_share=0.3, central_topup_yuan=1e7),
    SchemeRules("market")])
def test_settlement_conserves_money_and_records_every_transfer(rules: SchemeRules) -> None:
    comp, registry, _ = settled(rules, background_cod=30.0)

    registry.audit()
    moved = sum(e.amount for e in registry.journal if e.memo.startswith("compensation"))
    assert moved == round(sum(p.amount_yuan for _, p in comp.payments) * 100)
    if rules.kind == "pool":
        assert registry.cash(POOL) == 0
    assert len(comp.samples) == 2 and comp.samples[0][3].shape == (24,)


def test_a_government_short_of_cash_draws_on_its_budget() -> None:
    comp, registry, _ = settled(SchemeRules("bet", amount_yuan=3e8), background_cod=30.0)

    assert [(p.payer, p.payee) for _, p in comp.payments] == [(UP, DOWN)]
    assert registry.cash(DOWN) == 1_000_000_00 + 3e8 * 100
    assert registry.cash(UP) == 0
    assert any(e.memo == "budget appropriation for compensation" for e in registry.journal)


def test_upstream_tightens_its_caps_after_paying_on_balance() -> None:
    _, _, lost = settled(SchemeRules("bet", tighten_cap=0.1), background_cod=30.0)
    _, _, won = settled(SchemeRules("bet", tighten_cap=0.1), background_cod=5.0)

    assert lost["guangan"].cap_scale == pytest.approx(0.9)
    assert lost["changshou"].cap_scale == 1.0
    assert won["guangan"].cap_scale == 1.0
