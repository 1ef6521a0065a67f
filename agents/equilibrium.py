"""Analytical benchmarks for permit markets: least cost, market outcome and linked regions.

Firm ``i`` has baseline emissions ``e_i`` (t/yr), a quadratic abatement cost
``C_i(a) = slope_i * a**2 / 2`` (yuan/yr, ``slope_i`` in yuan/t^2) and pays an environmental
protection tax ``tax_i`` (yuan/t) on what it still emits. At a permit price ``p`` (yuan/t) a
tonne abated saves ``p + tax_i``, so the firm abates ``a_i(p) = clip((p + tax_i) / slope_i, 0,
e_i)`` and needs ``e_i - a_i(p)`` permits.

The resource cost of an allocation is ``sum_i C_i(a_i)``; the tax is a transfer and is not
counted. A competitive market with taxes equalises ``slope_i * a_i - tax_i``
(:func:`market_outcome`); the resource least cost of a cap equalises ``slope_i * a_i``
(:func:`least_cost`, Montgomery 1972). :func:`command_and_control` is the uniform-cut
comparator and :func:`linked_outcome` links two regional markets by trading ratios (Hung and
Shaw 2005).

A marginal abatement cost may start above zero: with an ``intercept`` ``c_i`` (yuan/t) the
cost is ``c_i * a + slope_i * a**2 / 2`` and the MAC ``c_i + slope_i * a``, so a firm abates
``clip((p + tax_i - c_i) / slope_i, 0, e_i)`` at a price ``p`` and the least cost equalises
``c_i + slope_i * a_i``. Every function takes it as a keyword, 0 by default.

Firm columns are 1-D of one length (``tax`` and ``intercept`` may be scalars). Every public
function raises ValueError on a negative baseline, tax or intercept, a slope <= 0, a value
that is not finite or columns of different lengths.

Example:
    >>> b = least_cost([10.0, 20.0], [1.0, 1.0], [0.0, 0.0], cap_t=15.0)
    >>> b.price_yuan_per_t, b.abatement_t.tolist(), b.cost_yuan
    (7.5, [7.5, 7.5], 56.25)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "Benchmark", "LinkedBenchmark", "RegionFirms", "clearing_price", "command_and_control",
    "firm_abatement", "least_cost", "linked_outcome", "market_outcome", "permit_demand",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]

# Bisection on the cross-border flow stops when the bracket is this share of its range.
_FLOW_TOLERANCE = 1e-13
_MAX_BISECTIONS = 200


@dataclass(frozen=True, slots=True, eq=False)
class Benchmark:
    """Outcome of one market under one cap.

    Attributes:
        price_yuan_per_t: permit price (market outcome), shadow price of the cap (least cost)
            or highest marginal abatement cost reached (command and control), yuan/t.
        abatement_t: abatement of each firm, t/yr, read-only, in input order.
        cost_yuan: resource abatement cost ``sum intercept * a + slope * a**2 / 2``, yuan/yr.
    """

    price_yuan_per_t: float
    abatement_t: FloatArray
    cost_yuan: float


@dataclass(frozen=True, slots=True)
class RegionFirms:
    """The firms of one region and the region's cap.

    Attributes:
        baseline_t: baseline emissions of each firm, t/yr, >= 0.
        slope: slope of each firm's marginal abatement cost, yuan/t^2, > 0.
        tax: emission tax each firm pays per tonne emitted, yuan/t, >= 0 (scalar or per firm).
        cap_t: the region's cap, t/yr, in its own permits.
        intercept: each firm's MAC at zero abatement, yuan/t, >= 0 (scalar or per firm).
    """

    baseline_t: npt.ArrayLike
    slope: npt.ArrayLike
    tax: npt.ArrayLike
    cap_t: float
    intercept: npt.ArrayLike = 0.0


@dataclass(frozen=True, slots=True, eq=False)
class LinkedBenchmark:
    """Outcome of two regional markets linked by trading ratios.

    Attributes:
        price_yuan_per_t: each region's permit price, yuan per tonne of its own permits.
        abatement_t: abatement of each firm by region, t/yr, read-only.
        flow_t: permits of the seller zone transferred to buyers of the other region, in
            seller-zone tonnes, by ``(seller_zone, buyer_region)``; both directions are listed
            and at most one is positive.
        cost_yuan: resource abatement cost of both regions, yuan/yr.
    """

    price_yuan_per_t: dict[str, float]
    abatement_t: dict[str, FloatArray]
    flow_t: dict[tuple[str, str], float]
    cost_yuan: float


def firm_abatement(price: float, baseline_t: npt.ArrayLike, slope: npt.ArrayLike,
                   tax: npt.ArrayLike, *, intercept: npt.ArrayLike = 0.0) -> FloatArray:
    """Abatement of each firm at a permit price.

    Args:
        price: permit price, yuan/t, >= 0.
        baseline_t: baseline emissions, t/yr, >= 0.
        slope: marginal abatement cost slopes, yuan/t^2, > 0.
        tax: emission tax, yuan/t, >= 0, scalar or per firm.
        intercept: MAC at zero abatement, yuan/t, >= 0, scalar or per firm.

    Returns:
        ``clip((price + tax - intercept) / slope, 0, baseline_t)``, t/yr.
    """
    e, s, t, c = _firms(baseline_t, slope, tax, intercept)
    return _abate(_checked_price(price), e, s, t - c)


def permit_demand(price: float, baseline_t: npt.ArrayLike, slope: npt.ArrayLike,
                  tax: npt.ArrayLike, *, intercept: npt.ArrayLike = 0.0) -> float:
    """Permits all firms need at a permit price, ``sum(baseline_t - abatement)``, t/yr.

    Args as in :func:`firm_abatement`.
    """
    e, s, t, c = _firms(baseline_t, slope, tax, intercept)
    return float(np.sum(e - _abate(_checked_price(price), e, s, t - c)))


def clearing_price(baseline_t: npt.ArrayLike, slope: npt.ArrayLike, tax: npt.ArrayLike,
                   cap_t: float, *, intercept: npt.ArrayLike = 0.0) -> float:
    """Smallest permit price at which demand fits under the cap, exact.

    Demand is piecewise linear in the price, so the price is found on the segment between
    the sorted saturation prices ``slope * baseline_t - tax`` rather than by iteration.

    Args:
        baseline_t: baseline emissions, t/yr, >= 0.
        slope: marginal abatement cost slopes, yuan/t^2, > 0.
        tax: emission tax, yuan/t, >= 0, scalar or per firm.
        cap_t: permits available, t/yr.
        intercept: MAC at zero abatement, yuan/t, >= 0, scalar or per firm.

    Returns:
        Price in yuan/t: 0 if the cap does not bind; if ``cap_t <= 0``, the price at which
        every firm abates fully, ``max(slope * baseline_t - tax + intercept)`` (at least 0).

    Example:
        >>> clearing_price([10.0, 20.0], [2.0, 1.0], 0.0, cap_t=15.0)
        10.0
    """
    e, s, t, c = _firms(baseline_t, slope, tax, intercept)
    return _curve(e, s, t - c).price(_checked_cap(cap_t))


def market_outcome(baseline_t: npt.ArrayLike, slope: npt.ArrayLike, tax: npt.ArrayLike,
                   cap_t: float, *, intercept: npt.ArrayLike = 0.0) -> Benchmark:
    """What a competitive market with emission taxes reaches under one cap.

    Firms abate until ``slope * a - tax`` equals the clearing price, which is not the
    resource least cost when taxes differ between firms.

    Args:
        baseline_t: baseline emissions, t/yr, >= 0.
        slope: marginal abatement cost slopes, yuan/t^2, > 0.
        tax: emission tax, yuan/t, >= 0, scalar or per firm.
        cap_t: permits available, t/yr.
        intercept: MAC at zero abatement, yuan/t, >= 0, scalar or per firm.

    Returns:
        Clearing price (yuan/t), abatement (t/yr) and resource cost (yuan/yr).
    """
    e, s, t, c = _firms(baseline_t, slope, tax, intercept)
    return _benchmark(e, s, t - c, _checked_cap(cap_t), c)


def least_cost(baseline_t: npt.ArrayLike, slope: npt.ArrayLike, tax: npt.ArrayLike,
               cap_t: float, *, intercept: npt.ArrayLike = 0.0) -> Benchmark:
    """Resource least cost of meeting a cap (Montgomery 1972).

    Minimises ``sum slope * a**2 / 2`` subject to ``sum a >= sum baseline_t - cap_t`` and
    ``0 <= a <= baseline_t``: marginal costs ``slope * a`` are equal across firms that abate
    partly. The tax, a transfer, does not enter; it is taken and validated so the signature
    matches :func:`market_outcome`.

    Args:
        baseline_t: baseline emissions, t/yr, >= 0.
        slope: marginal abatement cost slopes, yuan/t^2, > 0.
        tax: emission tax, yuan/t, >= 0, scalar or per firm; not used in the allocation.
        cap_t: permits available, t/yr.
        intercept: MAC at zero abatement, yuan/t, >= 0, scalar or per firm.

    Returns:
        Shadow price of the cap (yuan/t), abatement (t/yr) and resource cost (yuan/yr).
    """
    e, s, _, c = _firms(baseline_t, slope, tax, intercept)
    return _benchmark(e, s, -c, _checked_cap(cap_t), c)


def command_and_control(baseline_t: npt.ArrayLike, slope: npt.ArrayLike,
                        cap_t: float, *, intercept: npt.ArrayLike = 0.0) -> Benchmark:
    """Every firm cuts the same share of its baseline so total emissions equal the cap.

    Args:
        baseline_t: baseline emissions, t/yr, >= 0.
        slope: marginal abatement cost slopes, yuan/t^2, > 0.
        cap_t: permitted total emissions, t/yr; a cap above the baseline total means no cut
            and a cap at or below 0 a full cut.

    Returns:
        Highest marginal abatement cost reached (yuan/t), abatement (t/yr) and resource
        cost (yuan/yr).
    """
    e, s, _, c = _firms(baseline_t, slope, 0.0, intercept)
    cap = _checked_cap(cap_t)
    total = float(e.sum())
    share = 0.0 if total == 0.0 else min(max(1.0 - cap / total, 0.0), 1.0)
    abatement = share * e
    price = float(np.max(np.where(abatement > 0, c + s * abatement, 0.0), initial=0.0))
    return Benchmark(price, _read_only(abatement), _resource_cost(s, abatement, c))


def linked_outcome(regions: Mapping[str, RegionFirms], ratios: Mapping[tuple[str, str], float],
                   quota_t: float | None = None, *, least_cost: bool = False) -> LinkedBenchmark:
    """Two regional markets linked by trading ratios (Hung and Shaw 2005).

    A buyer in region B may buy permits of zone A; each tonne bought is retired in A and
    counts as ``ratios[(A, B)]`` tonnes of B's permits. With a flow ``x`` from A to B the
    caps become ``cap_A - x`` and ``cap_B + ratio * x``. At equilibrium the flow runs in at
    most one direction and ``p_A = ratio * p_B`` when it is interior; with no flow
    ``p_A >= ratio * p_B``; a binding quota leaves ``p_A < ratio * p_B``. When A sells its
    whole cap without hitting the quota, its firms abate fully at any price up to
    ``ratio * p_B`` and the foreign bids set ``p_A = ratio * p_B``. Of several equilibria the
    smallest flow is returned.

    Args:
        regions: exactly two regions by name.
        ratios: units a buyer receives per unit bought, by ``(seller_zone, buyer_region)``,
            > 0; a missing direction is closed. The two ratios may not multiply above 1,
            which would let a round trip create permits.
        quota_t: most seller-zone tonnes that may cross in each direction, t/yr; None for
            no quota.
        least_cost: allocate within each region by resource least cost (tax-free rule)
            instead of the market rule with taxes.

    Returns:
        Prices (yuan per tonne of each region's permits), abatement (t/yr), flows (seller
        tonnes) and the resource cost of both regions (yuan/yr).

    Raises:
        ValueError: on other than two regions, unknown or invalid ratios or a negative quota.
    """
    if len(regions) != 2:
        raise ValueError(f"regions: exactly two are linked, got {len(regions)}")
    markets = {name: _Region.of(firms, least_cost) for name, firms in regions.items()}
    _check_ratios(list(markets), ratios)
    if quota_t is not None and not (math.isfinite(quota_t) and quota_t >= 0.0):
        raise ValueError(f"quota_t must be finite and >= 0, got {quota_t}")
    flow = _equilibrium_flow(markets, ratios, quota_t)
    caps = _linked_caps(markets, ratios, flow)
    own = {name: markets[name].curve.price(caps[name]) for name in markets}
    abatement = {name: markets[name].abatement(own[name]) for name in markets}
    cost = sum(_resource_cost(markets[name].slope, abatement[name], markets[name].intercept)
               for name in markets)
    return LinkedBenchmark(_arbitraged(own, ratios, flow, quota_t), abatement, flow, cost)


@dataclass(frozen=True, slots=True)
class _DemandCurve:
    """Aggregate permit demand ``D(p) = sum max(full - p, 0) / slope`` for ``p >= 0``.

    ``full`` (the price at which a firm abates fully) is sorted; the suffix sums give the
    demand on each linear segment between consecutive knots.
    """

    full: FloatArray
    inv_slope: FloatArray
    inv_slope_from: FloatArray
    weighted_from: FloatArray

    @classmethod
    def of(cls, baseline_t: FloatArray, slope: FloatArray, tax: FloatArray) -> _DemandCurve:
        full = slope * baseline_t - tax
        order = np.argsort(full)
        u, w = full[order], 1.0 / slope[order]
        return cls(u, w, _suffix_sums(w), _suffix_sums(w * u))

    def demand(self, price: float) -> float:
        return float(np.sum(np.maximum(self.full - price, 0.0) * self.inv_slope))

    def price(self, cap_t: float) -> float:
        """Smallest price >= 0 with demand <= cap_t, or the full-abatement price if cap_t <= 0."""
        top = float(np.max(self.full, initial=0.0))
        if cap_t <= 0.0:
            return max(top, 0.0)
        # A cap equal to the demand at price 0 may differ from it in the last bit only
        # (the two sums run in different orders): it does not bind.
        if self.demand(0.0) <= cap_t * (1 + 1e-12):
            return 0.0
        # Demand at each knot counts only the firms above it; firms at the knot add zero.
        at_knots = self.weighted_from[1:] - self.full * self.inv_slope_from[1:]
        k = int(np.argmax(at_knots <= cap_t))
        price = (self.weighted_from[k] - cap_t) / self.inv_slope_from[k]
        lower = max(float(self.full[k - 1]) if k > 0 else 0.0, 0.0)
        return float(min(max(price, lower), self.full[k]))


@dataclass(frozen=True, slots=True)
class _Region:
    """Validated firms of a region with the allocation rule of the chosen benchmark."""

    baseline_t: FloatArray
    slope: FloatArray
    rule_tax: FloatArray
    cap_t: float
    curve: _DemandCurve | _KinkedCurve
    intercept: FloatArray

    @classmethod
    def of(cls, firms: RegionFirms, least_cost: bool) -> _Region:
        e, s, t, c = _firms(firms.baseline_t, firms.slope, firms.tax, firms.intercept)
        rule_tax = -c if least_cost else t - c
        return cls(e, s, rule_tax, _checked_cap(firms.cap_t), _curve(e, s, rule_tax), c)

    def abatement(self, price: float) -> FloatArray:
        return _read_only(_abate(price, self.baseline_t, self.slope, self.rule_tax))


def _equilibrium_flow(markets: Mapping[str, _Region], ratios: Mapping[tuple[str, str], float],
                      quota_t: float | None) -> dict[tuple[str, str], float]:
    a, b = markets
    flow = {(a, b): 0.0, (b, a): 0.0}
    for seller, buyer in list(flow):
        ratio = ratios.get((seller, buyer))
        if ratio is not None:
            flow[(seller, buyer)] = _flow(markets[seller], markets[buyer], ratio, quota_t)
            if flow[(seller, buyer)] > 0.0:
                break
    return flow


def _flow(seller: _Region, buyer: _Region, ratio: float, quota_t: float | None) -> float:
    """Smallest flow (seller tonnes) at which the seller's price reaches ratio * buyer's."""
    upper = max(seller.cap_t, 0.0)
    if quota_t is not None:
        upper = min(upper, quota_t)

    def gap(x: float) -> float:
        return (seller.curve.price(seller.cap_t - x)
                - ratio * buyer.curve.price(buyer.cap_t + ratio * x))

    if upper <= 0.0 or gap(0.0) >= 0.0:
        return 0.0
    if gap(upper) < 0.0:
        return upper
    return _root(gap, 0.0, upper)


def _root(gap: Callable[[float], float], lo: float, hi: float) -> float:
    """Smallest root of a nondecreasing piecewise-linear gap with gap(lo) < 0 <= gap(hi)."""
    tolerance = _FLOW_TOLERANCE * (hi - lo)
    for _ in range(_MAX_BISECTIONS):
        if hi - lo <= tolerance:
            break
        mid = 0.5 * (lo + hi)
        if gap(mid) >= 0.0:
            hi = mid
        else:
            lo = mid
    # One secant step is exact when the last bracket lies on one linear piece.
    g_lo, g_hi = gap(lo), gap(hi)
    if g_hi <= g_lo:
        return hi
    return min(max(lo - g_lo * (hi - lo) / (g_hi - g_lo), lo), hi)


def _arbitraged(own: Mapping[str, float], ratios: Mapping[tuple[str, str], float],
                flow: Mapping[tuple[str, str], float],
                quota_t: float | None) -> dict[str, float]:
    """Lift a seller zone's price to ``ratio * p_buyer`` wherever the quota leaves buyers free.

    Only a seller zone that has sold its whole cap can sit below: its own firms abate fully
    at any price from their own clearing price up, and foreign bids set the top of that range.
    With ``ratios`` multiplying to at most 1 one pass reaches the fixed point.
    """
    prices = dict(own)
    for (seller, buyer), ratio in ratios.items():
        if quota_t is None or flow[(seller, buyer)] < quota_t:
            prices[seller] = max(prices[seller], ratio * own[buyer])
    return prices


def _linked_caps(markets: Mapping[str, _Region], ratios: Mapping[tuple[str, str], float],
                 flow: Mapping[tuple[str, str], float]) -> dict[str, float]:
    caps = {name: region.cap_t for name, region in markets.items()}
    for (seller, buyer), x in flow.items():
        if x > 0.0:
            caps[seller] -= x
            caps[buyer] += ratios[(seller, buyer)] * x
    return caps


def _check_ratios(names: list[str], ratios: Mapping[tuple[str, str], float]) -> None:
    for (seller, buyer), ratio in ratios.items():
        if seller == buyer or seller not in names or buyer not in names:
            raise ValueError(f"ratios: ({seller!r}, {buyer!r}) is not a pair of the regions "
                             f"{names}")
        if not (math.isfinite(ratio) and ratio > 0.0):
            raise ValueError(f"ratios: ({seller!r}, {buyer!r}) must be finite and > 0, "
                             f"got {ratio}")
    a, b = names
    if ratios.get((a, b), 0.0) * ratios.get((b, a), 0.0) > 1.0:
        raise ValueError("ratios: the two directions multiply above 1, so a round trip "
                         "would create permits")


def _benchmark(baseline_t: FloatArray, slope: FloatArray, rule_tax: FloatArray,
               cap_t: float, intercept: FloatArray) -> Benchmark:
    price = _curve(baseline_t, slope, rule_tax).price(cap_t)
    abatement = _abate(price, baseline_t, slope, rule_tax)
    return Benchmark(price, _read_only(abatement), _resource_cost(slope, abatement, intercept))


def _curve(baseline_t: FloatArray, slope: FloatArray,
           rule_tax: FloatArray) -> _DemandCurve | _KinkedCurve:
    """The aggregate demand curve: the fast one when every firm abates from price 0 on."""
    if np.any(rule_tax < 0.0):
        return _KinkedCurve(baseline_t, slope, rule_tax)
    return _DemandCurve.of(baseline_t, slope, rule_tax)


@dataclass(frozen=True, slots=True)
class _KinkedCurve:
    """Demand ``sum clip(e - (p + t) / s, 0, e)`` when some firms start abating only above
    a positive price ``-t`` (an intercept above the tax). Piecewise linear between the
    sorted knots ``-t`` and ``s e - t``, so the price is exact on its segment."""

    baseline_t: FloatArray
    slope: FloatArray
    rule_tax: FloatArray

    def demand(self, price: float) -> float:
        return float(np.sum(self.baseline_t - _abate(price, self.baseline_t, self.slope,
                                                      self.rule_tax)))

    def price(self, cap_t: float) -> float:
        """Smallest price >= 0 with demand <= cap_t, or the full-abatement price if
        cap_t <= 0."""
        full = self.slope * self.baseline_t - self.rule_tax
        if cap_t <= 0.0:
            return max(float(np.max(full, initial=0.0)), 0.0)
        # A cap equal to the demand at price 0 may differ from it in the last bit only
        # (the two sums run in different orders): it does not bind.
        if self.demand(0.0) <= cap_t * (1 + 1e-12):
            return 0.0
        knots = np.unique(np.concatenate(([0.0], -self.rule_tax, full)))
        knots = knots[knots >= 0.0]
        at = np.array([self.demand(float(k)) for k in knots])
        k = int(np.argmax(at <= cap_t))
        lo, hi = float(knots[k - 1]), float(knots[k])
        return lo + float((at[k - 1] - cap_t) * (hi - lo) / (at[k - 1] - at[k]))


def _abate(price: float, baseline_t: FloatArray, slope: FloatArray,
           rule_tax: FloatArray) -> FloatArray:
    return np.clip((price + rule_tax) / slope, 0.0, baseline_t)


def _firms(baseline_t: npt.ArrayLike, slope: npt.ArrayLike, tax: npt.ArrayLike,
           intercept: npt.ArrayLike = 0.0
           ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Firm columns as 1-D float arrays of one length; raises ValueError if invalid."""
    e = np.atleast_1d(np.asarray(baseline_t, dtype=np.float64))
    s = np.atleast_1d(np.asarray(slope, dtype=np.float64))
    t = np.asarray(tax, dtype=np.float64)
    if e.ndim != 1 or s.shape != e.shape or t.ndim > 1 or t.size not in (1, e.size):
        raise ValueError(f"baseline_t, slope and tax must be 1-D of one length (tax may be a "
                         f"scalar), got shapes {e.shape}, {s.shape} and {t.shape}")
    t = np.broadcast_to(t, e.shape).copy()
    if not np.all(np.isfinite(e) & (e >= 0.0)):
        raise ValueError("baseline_t must be finite and >= 0")
    if not np.all(np.isfinite(s) & (s > 0.0)):
        raise ValueError("slope must be finite and > 0")
    if not np.all(np.isfinite(t) & (t >= 0.0)):
        raise ValueError("tax must be finite and >= 0")
    c = np.asarray(intercept, dtype=np.float64)
    if c.ndim > 1 or c.size not in (1, e.size):
        raise ValueError(f"intercept must be a scalar or one per firm, got shape {c.shape}")
    c = np.broadcast_to(c, e.shape).copy()
    if not np.all(np.isfinite(c) & (c >= 0.0)):
        raise ValueError("intercept must be finite and >= 0")
    return e, s, t, c


def _checked_price(price: float) -> float:
    if not (math.isfinite(price) and price >= 0.0):
        raise ValueError(f"price must be finite and >= 0, got {price}")
    return float(price)


def _checked_cap(cap_t: float) -> float:
    if not math.isfinite(cap_t):
        raise ValueError(f"cap_t must be finite, got {cap_t}")
    return float(cap_t)


def _suffix_sums(values: FloatArray) -> FloatArray:
    """``out[k] = values[k:].sum()``, with a trailing 0."""
    return np.concatenate([np.cumsum(values[::-1])[::-1], [0.0]])


def _resource_cost(slope: FloatArray, abatement: FloatArray,
                   intercept: FloatArray | float = 0.0) -> float:
    # The quadratic part as before intercepts, so a run without them gives the same bits.
    return float(np.sum(slope * abatement**2) / 2.0 + np.sum(intercept * abatement))


def _read_only(values: FloatArray) -> FloatArray:
    values.setflags(write=False)
    return values
