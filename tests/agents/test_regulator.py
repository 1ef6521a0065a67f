"""The regulator: caps, the three allocation rules, primary auctions and the true-up, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from agents.firms import Firms
from agents.regulator import Allocation, Regulator, RegulatorRules, TrueUp, pay_costs
from exchange import (CASH, OUTSIDE, Access, Market, Product, Registry, Side, TradingRules,
                      instrument, issuer_account, retirement_account)

HOME, AWAY = "changshou", "guangan"
GOV = f"gov:{HOME}"
ISSUER = issuer_account(HOME)
RETIRED = retirement_account(HOME)
# One lot is 2 t; registry units are kg (1,000 per t); a tick is 1 yuan (100 fen) per lot.
PRODUCT = Product("COD", "t", lot_units=2_000, tick_fen=100, scale=1_000)
IDS = ("a", "b", "d", "c")


def firms(slope: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0),
          tax: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0)) -> Firms:
    """Three home firms (a, b paper; d chemicals) and one away firm c.

    COD baseline 60, 40, 20 (home total 120) and 500 t; NH3N 0.3, 0.2, 0.1 and 9 t; nobody
    has any TP history at home. Output 10, 20, 8 and 1.
    """
    n = len(IDS)
    return Firms(IDS, np.array([HOME, HOME, HOME, AWAY], dtype=object),
                 np.array(["paper", "paper", "chem", "paper"], dtype=object),
                 ("COD", "NH3N", "TP"),
                 np.array([[60.0, 0.3, 0.0], [40.0, 0.2, 0.0], [20.0, 0.1, 0.0],
                           [500.0, 9.0, 2.0]]),
                 np.array([[s, 1.0, 1.0] for s in slope]),
                 np.array([[t, 0.0, 0.0] for t in tax]),
                 np.array([10.0, 20.0, 8.0, 1.0]), np.zeros(n, dtype=int), np.zeros(n),
                 np.zeros(n))


def regulator(allocation: Allocation = "free", *, cap_share: float = 0.7, decline: float = 0.0,
              cut: bool | None = None, population: Firms | None = None) -> Regulator:
    """A regulator of the home region; ``cut=None`` keeps the rules' default."""
    registry = Registry(lambda: 0)
    registry.open_account(ISSUER, may_go_negative=True)
    registry.open_account(RETIRED)
    registry.open_account(GOV, HOME)
    for name, region in zip(IDS, (HOME, HOME, HOME, AWAY)):
        registry.open_account(name, region)
    rules = RegulatorRules(HOME, allocation, {"COD": cap_share, "NH3N": 0.5, "TP": 0.5},
                           decline, 5.0, {"COD": 250.0},
                           **({} if cut is None else {"cut_next_allocation": cut}))
    return Regulator(rules, population if population is not None else firms(), registry)


def market(reg: Regulator, vintage: int = 2025) -> Market:
    instr = instrument(PRODUCT, HOME, vintage, [HOME])
    return Market(f"COD@{HOME}", instr, reg.registry, rules=TradingRules(band=None),
                  access={HOME: Access()}, reference_ticks=1)


# ---- caps and allocation -----------------------------------------------------------------


def test_members_are_the_firms_of_the_region() -> None:
    assert list(regulator().members) == [0, 1, 2]
    assert regulator().rules.account == "gov:changshou"


def test_cap_is_the_share_of_home_history_declining_linearly() -> None:
    reg = regulator(cap_share=0.8, decline=0.1)
    assert reg.cap_t("COD", 0) == pytest.approx(96.0)  # 120 * 0.8
    assert reg.cap_t("COD", 2) == pytest.approx(76.8)  # 120 * 0.8 * (1 - 0.2)
    reg.cap_scale = 0.5
    assert reg.cap_t("COD", 0) == pytest.approx(48.0)  # a stress test halves it
    assert reg.cap_t("COD", 11) == 0.0  # 1 - 1.1 < 0: never a negative cap


def test_free_allocation_follows_history() -> None:
    # Cap 120 * 0.7 = 84 t, split 60:40:20.
    assert reg_alloc("free") == pytest.approx([42.0, 28.0, 14.0])


def test_benchmark_allocation_follows_output_times_the_sector_median_intensity() -> None:
    # Intensities: a 60/10 = 6, b 40/20 = 2 (paper median 4), d 20/8 = 2.5 (chem 2.5).
    # Weights: a 10 * 4 = 40, b 20 * 4 = 80, d 8 * 2.5 = 20; of 140, times the 84 t cap.
    assert reg_alloc("benchmark") == pytest.approx([24.0, 48.0, 12.0])


def test_benchmark_uses_this_years_output() -> None:
    reg = regulator("benchmark")
    reg.firms.current_output = np.array([20.0, 20.0, 8.0, 1.0])  # a doubles its output
    # Weights a 20 * 4 = 80, b 80, d 20 (intensities use normal output): 84 * (80, 80, 20) / 180
    assert reg.allocation_t("COD", 0) == pytest.approx([37.333333, 37.333333, 9.333333])


def test_a_firm_alone_in_its_sector_is_its_own_benchmark() -> None:
    population = firms()
    population.sector = np.array(["paper", "steel", "chem", "paper"], dtype=object)
    reg = regulator("benchmark", population=population)
    # Each benchmark is the firm's own intensity, so output * intensity is its history and
    # the split is the free one: 84 t as 60:40:20.
    assert reg.allocation_t("COD", 0) == pytest.approx([42.0, 28.0, 14.0])


def test_auction_allocates_nothing_for_free() -> None:
    assert list(reg_alloc("auction")) == [0.0, 0.0, 0.0]


def test_no_history_means_no_allocation_rather_than_nan() -> None:
    reg = regulator()
    assert list(reg.allocation_t("TP", 0)) == [0.0, 0.0, 0.0]


def test_a_history_below_one_tonne_is_still_shared() -> None:
    # NH3N: 0.6 t of history, cap 0.6 * 0.5 = 0.3 t, split 3:2:1.
    assert regulator().allocation_t("NH3N", 0) == pytest.approx([0.15, 0.1, 0.05])


def reg_alloc(allocation: Allocation) -> np.ndarray:
    return regulator(allocation).allocation_t("COD", 0)


def test_allocate_issues_whole_units_to_members_only() -> None:
    reg = regulator(cap_share=0.65)
    # Cap 120 * 0.65 = 78 t, split 60:40:20 -> 39, 26 and 13 t, issued in kg.
    given = reg.allocate(market(reg), "COD", 0, ISSUER)
    assert given == pytest.approx([39.0, 26.0, 13.0])
    symbol = "COD:changshou:2025"
    assert [reg.registry.available(f, symbol) for f in IDS] == [39_000, 26_000, 13_000, 0]
    assert reg.registry.total(ISSUER, symbol) == -78_000


def test_allocate_floors_fractions_of_a_unit() -> None:
    reg = regulator(cap_share=0.70001)
    # Cap 120 * 0.70001 = 84.0012 t: 42.0006, 28.0004 and 14.0002 t, i.e. 42,000.6, 28,000.4
    # and 14,000.2 kg, of which only whole kg are issued.
    reg.allocate(market(reg), "COD", 0, ISSUER)
    held = [reg.registry.available(f, "COD:changshou:2025") for f in IDS[:3]]
    assert held == [42_000, 28_000, 14_000]


# ---- the primary auction -----------------------------------------------------------------


def test_offer_at_auction_issues_whole_lots_and_offers_them_at_the_reserve() -> None:
    reg = regulator("auction", cap_share=0.7125)
    primary = market(reg)
    primary.open_call()
    # Cap 120 * 0.7125 = 85.5 t = 42.75 lots of 2 t -> 42 lots; reserve 250 yuan/t * 2 t
    # = 500 yuan a lot = 500 ticks of 1 yuan.
    assert reg.offer_at_auction(primary, "COD", 0, ISSUER) == 42
    assert reg.registry.total(GOV, "COD:changshou:2025") == 84_000  # 42 lots * 2,000 kg
    assert primary.open_orders(GOV) == [(1, Side.SELL, 500, 42)]


def test_a_cap_of_whole_small_lots_is_offered_in_full() -> None:
    reg = regulator("auction")
    tenth = Product("COD", "t", lot_units=100, tick_fen=100, scale=1_000)  # 0.1 t lots
    primary = Market("primary", instrument(tenth, HOME, 2025, [HOME]), reg.registry,
                     rules=TradingRules(band=None), access={HOME: Access()}, reference_ticks=1)
    primary.open_call()
    # 84 t / 0.1 t = 840 lots, none lost to rounding; reserve 250 yuan/t * 0.1 t = 25 ticks.
    assert reg.offer_at_auction(primary, "COD", 0, ISSUER) == 840
    assert primary.open_orders(GOV) == [(1, Side.SELL, 25, 840)]


def test_no_cap_means_no_offer() -> None:
    reg = regulator("auction")
    reg.cap_scale = 0.0
    primary = market(reg)
    primary.open_call()
    assert reg.offer_at_auction(primary, "COD", 0, ISSUER) == 0
    assert primary.open_orders(GOV) == []
    assert reg.registry.total(GOV, "COD:changshou:2025") == 0


# ---- the true-up -------------------------------------------------------------------------


OLD, NEW = "COD:changshou:2024", "COD:changshou:2025"


def trued_up() -> tuple[Regulator, TrueUp]:
    """Firm a: holds 50 t, slope 10, no tax. Firm b: holds 10 t, slope 50, tax 20 yuan/t,
    10,000 yuan of cash. Firm d: holds 5 t of 2024 and 25 t of 2025 rights, slope 1.
    The market price is 100 yuan/t, so the penalty is 5 * 100 = 500 yuan/t."""
    reg = regulator(population=firms(slope=(10.0, 50.0, 1.0, 1.0), tax=(0.0, 20.0, 0.0, 0.0)))
    registry = reg.registry
    for name, symbol, units in (("a", NEW, 50_000), ("b", NEW, 10_000), ("d", OLD, 5_000),
                                ("d", NEW, 25_000)):
        registry.issue(ISSUER, name, symbol, units)
    for name, fen in (("a", 10_000_000), ("b", 1_000_000)):
        registry.transfer(OUTSIDE, name, CASH, fen)
    return reg, reg.true_up("COD", [OLD, NEW], 1_000, 100.0)


def test_true_up_abatement_and_surrender() -> None:
    reg, result = trued_up()
    # a: needs 60 - 50 = 10 t; worth abating up to (500 + 0) / 10 = 50 t -> abates 10.
    # b: needs 30 t; worth it up to (500 + 20) / 50 = 10.4 t, at least 20 / 50 = 0.4 -> 10.4.
    # d: holds more than it emits -> abates max(min(-10, 500), 0) = 0.
    assert result.abatement_t == pytest.approx([10.0, 10.4, 0.0])
    assert result.emissions_t == pytest.approx([50.0, 29.6, 20.0])
    # Due 50,000, 29,600 and 20,000 kg; b only has 10,000.
    assert result.surrendered_t == pytest.approx([50.0, 10.0, 20.0])
    assert result.shortfall_t == pytest.approx([0.0, 19.6, 0.0])
    assert list(result.firms) == [0, 1, 2]
    assert reg.registry.total(RETIRED, NEW) == 50_000 + 10_000 + 15_000


def test_true_up_surrenders_the_oldest_vintage_first() -> None:
    reg, _ = trued_up()
    # d owes 20,000 kg: all 5,000 of 2024 first, then 15,000 of its 25,000 of 2025.
    assert reg.registry.available("d", OLD) == 0
    assert reg.registry.available("d", NEW) == 10_000
    assert reg.registry.total(RETIRED, OLD) == 5_000


def test_true_up_costs_tax_and_fines() -> None:
    reg, result = trued_up()
    # a: cost 10 * 10^2 / 2 = 500 yuan; b: 50 * 10.4^2 / 2 = 2,704 yuan.
    assert result.abatement_cost_yuan == pytest.approx([500.0, 2_704.0, 0.0])
    assert result.env_tax_yuan == pytest.approx([0.0, 592.0, 0.0])  # 20 * 29.6
    assert result.penalty_yuan == pytest.approx([0.0, 9_800.0, 0.0])  # 500 * 19.6
    # b has 10,000 yuan: 2,704 to abatement, then 7,296 of the 10,392 owed -> 3,096 unpaid.
    assert result.unpaid_yuan == pytest.approx([0.0, 3_096.0, 0.0])
    assert reg.registry.cash("a") == 10_000_000 - 50_000
    assert reg.registry.cash("b") == 0
    assert reg.registry.cash(GOV) == 729_600  # 7,296 yuan from b
    reg.registry.audit()


def test_a_shortfall_is_cut_from_next_years_free_allocation() -> None:
    reg, _ = trued_up()  # with the rules' default, which cuts
    # Next year's free split of 84 t is 42, 28, 14; b's 19.6 t shortfall comes off its share.
    assert reg.allocation_t("COD", 1) == pytest.approx([42.0, 8.4, 14.0])
    reg.shortfall_t["COD"] = np.array([0.0, 50.0, 0.0])
    assert reg.allocation_t("COD", 1)[1] == 0.0  # never below zero


def test_without_the_cut_a_shortfall_does_not_change_the_allocation() -> None:
    reg = regulator(cut=False)
    reg.shortfall_t["COD"] = np.array([0.0, 19.6, 0.0])
    assert reg.allocation_t("COD", 1) == pytest.approx([42.0, 28.0, 14.0])


def test_exact_holdings_leave_no_shortfall_and_no_extra_unit_due() -> None:
    reg = regulator(population=firms(slope=(1e6, 1e6, 1e6, 1.0)))
    for name, units in (("a", 60_000), ("b", 40_000), ("d", 20_000)):
        reg.registry.issue(ISSUER, name, NEW, units)
    # A very steep MAC with no tax: nobody abates, and each owes exactly what it holds.
    result = reg.true_up("COD", [NEW], 1_000, 100.0)
    assert result.surrendered_t == pytest.approx([60.0, 40.0, 20.0])
    assert list(result.shortfall_t) == [0.0, 0.0, 0.0]
    assert [reg.registry.total(f, NEW) for f in ("a", "b", "d")] == [0, 0, 0]


def test_a_single_unit_of_a_second_vintage_is_surrendered() -> None:
    reg = regulator(population=firms(slope=(1e6, 1e6, 1e6, 1.0)))
    reg.registry.issue(ISSUER, "a", OLD, 59_999)
    reg.registry.issue(ISSUER, "a", NEW, 5)
    # a owes 60,000 kg (a steep MAC: no abatement): 59,999 of 2024 and then 1 of 2025.
    result = reg.true_up("COD", [OLD, NEW], 1_000, 100.0)
    assert result.surrendered_t[0] == pytest.approx(60.0)
    assert reg.registry.available("a", NEW) == 4
    assert result.shortfall_t[0] == 0.0


# ---- paying costs ------------------------------------------------------------------------


def paying(cash_fen: int) -> Registry:
    registry = Registry(lambda: 0)
    registry.open_account("firm")
    registry.open_account(GOV)
    registry.transfer(OUTSIDE, "firm", CASH, cash_fen)
    return registry


def test_pay_costs_pays_spending_first_then_the_government() -> None:
    registry = paying(10_000)
    # 30 yuan = 3,000 fen spent, 120 yuan = 12,000 fen owed; 7,000 fen left for the owed.
    assert pay_costs(registry, "firm", GOV, 30.0, 120.0, "m") == pytest.approx(50.0)
    assert registry.cash("firm") == 0
    assert registry.cash(GOV) == 7_000
    assert registry.holding(OUTSIDE, CASH).available == -10_000 + 3_000


def test_pay_costs_in_full_leaves_nothing_unpaid() -> None:
    registry = paying(10_000)
    assert pay_costs(registry, "firm", GOV, 12.344, 20.0, "m") == 0.0
    assert registry.cash("firm") == 10_000 - 1_234 - 2_000  # 12.344 yuan rounds to 1,234 fen
    assert registry.cash(GOV) == 2_000


def test_pay_costs_counts_unpaid_fen_too() -> None:
    registry = paying(1_000)
    # 10.55 yuan owed = 1,055 fen against 1,000 fen of cash: 0.55 yuan unpaid.
    assert pay_costs(registry, "firm", GOV, 0.0, 10.55, "m") == pytest.approx(0.55)


def test_pay_costs_short_on_spending_pays_the_government_nothing() -> None:
    registry = paying(1_000)
    # 25 yuan spent but 10 yuan of cash: 15 yuan of spending and all 4 yuan owed unpaid.
    assert pay_costs(registry, "firm", GOV, 25.0, 4.0, "m") == pytest.approx(19.0)
    assert registry.cash(GOV) == 0
