"""Averaging rules, indices and every scheme's payments on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from agents.monitoring import (SectionYear, annual_means, class_excess, class_met,
                               mean_concentration, monthly_means, pollutant_indices,
                               xinan_index)
from agents.schemes import (IndexRules, Parties, band_yuan, chongqing_payments,
                            excess_payments, load_payments, xinan_verdict)

UP, DOWN = "gov:guangan", "gov:changshou"
WHO = Parties(UP, DOWN)
III = {"COD": 20.0, "NH3N": 1.0}
NAN = np.nan


def year(months: list[int], cod: list[float], nh3n: list[float] | None = None,
         flow: list[float] | None = None) -> SectionYear:
    nh3n = nh3n if nh3n is not None else [0.5] * len(months)
    return SectionYear(np.array(months), {"COD": np.array(cod, dtype=float),
                                          "NH3N": np.array(nh3n, dtype=float)},
                       np.array(flow if flow is not None else [NAN] * len(months), dtype=float))


def flows(payments: list) -> list[tuple[str, str, float, int]]:  # type: ignore[type-arg]
    return [(p.payer, p.payee, round(p.amount_yuan, 2), p.month) for p in payments]


def test_arithmetic_mean_leaves_missing_samples_out() -> None:
    # (18 + 22) / 2 = 20; the NaN is not a zero
    assert mean_concentration(np.array([18.0, 22.0, NAN]), np.array([1.0, 1, 1]),
                              "arithmetic") == 20.0
    assert np.isnan(mean_concentration(np.array([NAN]), np.array([1.0]), "arithmetic"))


def test_flow_weighted_mean_needs_both_concentration_and_flow() -> None:
    # (18 * 10 + 22 * 30) / (10 + 30) = 840 / 40 = 21; the third sample has no flow
    c, q = np.array([18.0, 22.0, 30.0]), np.array([10.0, 30.0, NAN])
    assert mean_concentration(c, q, "flow_weighted") == pytest.approx(21.0)
    assert mean_concentration(c, q, "arithmetic") == pytest.approx(70 / 3)


def test_the_year_averages_samples_and_a_month_missing_a_pollutant_is_not_graded() -> None:
    data = year([1, 1, 2, 3], [10.0, 20.0, 40.0, 30.0], [0.5, 0.5, 0.5, NAN])
    # samples, not months: (10 + 20 + 40 + 30) / 4 = 25, where months' means would give
    # (15 + 40 + 30) / 3 = 28.33
    assert annual_means(data, "arithmetic")["COD"] == pytest.approx(25.0)
    assert monthly_means(data, "arithmetic") == {1: {"COD": 15.0, "NH3N": 0.5},
                                                 2: {"COD": 40.0, "NH3N": 0.5}}


def test_xinan_index_and_the_per_pollutant_check() -> None:
    # 0.85 * (0.5 * 22/20 + 0.5 * 1.2/1.0) = 0.85 * 1.15 = 0.9775: met on the sum, but
    # NH3-N alone is 0.85 * 1.2 = 1.02
    c, base, w = {"COD": 22.0, "NH3N": 1.2}, {"COD": 20.0, "NH3N": 1.0}, {"COD": .5, "NH3N": .5}
    assert xinan_index(c, base, w, 0.85) == pytest.approx(0.9775)
    assert pollutant_indices(c, base, w, 0.85) == pytest.approx({"COD": 0.935, "NH3N": 1.02})
    data = year([1], [22.0], [1.2])
    assert xinan_verdict(data, base, IndexRules(0.85, w)) == (pytest.approx(0.9775), True)
    checked = xinan_verdict(data, base, IndexRules(0.85, w, per_pollutant=True))
    assert checked is not None and checked[1] is False


@pytest.mark.parametrize("cod, met", [(24.999, True), (25.0, True), (25.001, False)])
def test_xinan_threshold_from_both_sides(cod: float, met: bool) -> None:
    # K0 = 0.8, C0 = 20: P = 0.8 * C / 20 reaches 1 at C = 25, which is met (P <= 1)
    verdict = xinan_verdict(year([6], [cod]), {"COD": 20.0}, IndexRules(0.8, {"COD": 1.0}))
    assert verdict is not None and verdict[1] is met


def test_a_year_without_samples_has_no_verdict() -> None:
    assert xinan_verdict(year([1, 2], [NAN, NAN]), {"COD": 20.0},
                         IndexRules(0.85, {"COD": 1.0})) is None


@pytest.mark.parametrize("index, yuan", [(0.85, 12e6), (0.90, 12e6), (0.9001, 8e6),
                                         (1.0, 4e6), (1.0001, -4e6), (1.10, -8e6),
                                         (1.2, -12e6)])
def test_bands_take_a_boundary_in_the_lower_band(index: float, yuan: float) -> None:
    bands = ((0.90, 12e6), (0.95, 8e6), (1.00, 4e6), (1.05, -4e6), (1.10, -8e6),
             (float("inf"), -12e6))
    assert band_yuan(index, bands) == yuan


def test_chongqing_rule_month_by_month() -> None:
    last = year([1, 2], [16.0, 15.0])
    now = year([1, 2, 3, 3], [16.0, 18.0, 20.0, 21.0])  # month 4 on is missing
    # January: met and equal to last year -> downstream pays 1 m
    # February: met, mean ratio (18/20 + 0.5)/2 = 0.70 > (15/20 + 0.5)/2 = 0.625 -> upstream
    # March: mean COD 20.5 > 20 -> missed -> upstream pays the failing 2 m
    out = chongqing_payments("s", now, last, III, WHO, 1e6, 2e6, "arithmetic")
    assert flows(out) == [(DOWN, UP, 1e6, 1), (UP, DOWN, 1e6, 2), (UP, DOWN, 2e6, 3)]


@pytest.mark.parametrize("cod, payer", [(19.999, DOWN), (20.0, DOWN), (20.001, UP)])
def test_chongqing_class_limit_from_both_sides(cod: float, payer: str) -> None:
    out = chongqing_payments("s", year([5], [cod]), None, III, WHO, 1e6, 1e6, "arithmetic")
    assert out[0].payer == payer
    assert class_met({"COD": cod, "NH3N": 1.0}, III) is (payer == DOWN)


def test_excess_grading_by_month() -> None:
    # May: COD 25/20 - 1 = 0.25, NH3-N exactly at its limit adds 0 -> 0.25 m yuan
    # June: at both limits -> met -> 0.1 m yuan to upstream; July: no sample -> nothing
    data = year([5, 6, 7], [25.0, 20.0, NAN], [1.0, 1.0, NAN])
    out = excess_payments("s", data, III, WHO, 1e6, 0.1e6, "arithmetic")
    assert flows(out) == [(UP, DOWN, 0.25e6, 5), (DOWN, UP, 0.1e6, 6)]
    assert class_excess({"COD": 25.0, "NH3N": 1.2}, III) == pytest.approx(0.45)


def test_load_payments_by_the_tonnes_over_the_limit() -> None:
    # March: COD (25 - 20) mg/L * 10 m3/s * 86.4 = 4,320 kg/day, * 365/12 days = 131.4 t,
    # * 15,000 = 1,971,000; NH3-N 0.2 * 10 * 86.4 = 172.8 kg/day -> 5.256 t * 100,000 =
    # 525,600; total 2,496,600 yuan. April has no flow measured: nothing.
    data = year([3, 4], [25.0, 30.0], [1.2, 2.0], [10.0, NAN])
    out = load_payments("s", data, III, WHO, {"COD": 15_000, "NH3N": 100_000}, "arithmetic")
    assert flows(out) == [(UP, DOWN, 2_496_600.0, 3)]
    assert out[0].index == pytest.approx(131.4 + 5.256)
    at_limit = year([3], [20.0], [1.0], [10.0])
    assert load_payments("s", at_limit, III, WHO, {"COD": 15_000}, "arithmetic") == []


def test_flow_weighted_months_change_the_verdict() -> None:
    # January: samples 18 (flow 30) and 23 (flow 10): arithmetic 20.5 misses Class III,
    # flow-weighted (540 + 230) / 40 = 19.25 meets it
    data = year([1, 1], [18.0, 23.0], [0.5, 0.5], [30.0, 10.0])
    arith = chongqing_payments("s", data, None, III, WHO, 1e6, 1e6, "arithmetic")
    weighted = chongqing_payments("s", data, None, III, WHO, 1e6, 1e6, "flow_weighted")
    assert arith[0].payer == UP and weighted[0].payer == DOWN
