"""Water-use rights: yearly withdrawal rights in m3, traded, leased and withdrawn.

Rules follow reference/domain.md section 2 (水权交易管理暂行办法, 2016; 用水权交易管理规则,
2024):

- **Rights.** Each year the government of a region issues that year's rights of its zone
  (``water:<region>:<year>``, one registry unit per m3): withdrawal permits to its firms,
  and regional rights (the surplus under its total-use quota) to itself.
- **Use.** A firm never withdraws more than it holds (withdrawals are metered against the
  permit); what its holdings do not cover it saves, at a quadratic cost like abatement
  (marginal saving cost ``slope * saved``), and it saves at least what the water resource
  tax makes worthwhile. At the year's end the m3 used are surrendered and the rest expire.
- **Open trading.** Each month the governments list their rights at the set price and the
  firms send MAC-truthful orders to a call auction (the venue's opening call); a firm may
  buy in the other region's book, where what it buys is converted at ``1 - loss`` into its
  own zone's rights: the conveyance loss between the regions.
- **Leases.** A regional lease (协议转让 between the governments) delivers a volume a year
  at the source for its term and then expires; across the border the lessee receives it
  less the conveyance loss and pays for the volume at the source, as saved water is
  measured where it is saved.
- **Flows.** The consumptive share of each firm's use leaves the river at its reach
  (:func:`agents.river.net_flows`).

Conservation: every m3 issued is in the end surrendered as used, retired as expired or
retired as lost in conveyance; the registry's audit checks the sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agents.budget import appropriate
from agents.firms import STRATEGIES, Firms, permit_value, true_up_abatement
from agents.regulator import pay_costs
from exchange import (CASH, Clock, Market, MarketDesign, OrderRejected, Product,
                      Registry, Side, TradingRules, Venue, build_markets, issuer_account,
                      retirement_account)

__all__ = ["WATER", "Lease", "WaterRights", "WaterRules", "WaterUsers", "deliver_lease"]

WATER = "water"
_SECONDS_PER_YEAR = 365 * 86_400


@dataclass
class WaterUsers:
    """The firms' water columns, one row per firm in the order of :class:`Firms`.

    Attributes:
        demand_m3: yearly withdrawal at normal output without saving, m3.
        slope: marginal cost of saving water, yuan per m3 per m3 saved.
        tax: water resource tax, yuan per m3 withdrawn.
        permit_m3: yearly withdrawal permit, m3.
    """

    demand_m3: np.ndarray
    slope: np.ndarray
    tax: np.ndarray
    permit_m3: np.ndarray


@dataclass(frozen=True, slots=True)
class Lease:
    """A lease of water rights between two accounts for a run of years."""

    lease_id: int
    lessor: str
    lessee: str
    volume_m3: int
    first_year: int
    last_year: int
    price_yuan_per_m3: float

    def active(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year


@dataclass(frozen=True, slots=True)
class WaterRules:
    """The scenario's water rules.

    Attributes:
        regional_m3: each government's yearly regional rights, m3.
        conveyance_loss: share lost when water moves between the regions.
        price_yuan_per_m3: the governments' asking price, also the books' opening reference.
        auctions_per_year: monthly by default.
        consumptive_share: share of a withdrawal that does not return to the river.
        fee_bps: the exchange fee.
        steps: price steps of a firm's order schedule.
    """

    regional_m3: dict[str, int]
    conveyance_loss: float
    price_yuan_per_m3: float
    auctions_per_year: int = 12
    consumptive_share: float = 0.25
    fee_bps: int = 0
    steps: int = 3


@dataclass(frozen=True, slots=True)
class Delivery:
    """One year's delivery of a lease."""

    year: int
    lease: Lease
    delivered_m3: int
    lost_m3: int
    paid_yuan: float


@dataclass
class WaterYear:
    """A closed year, per firm (arrays in m3 and yuan)."""

    year: int
    demand_m3: np.ndarray
    permit_m3: np.ndarray
    held_m3: np.ndarray
    used_m3: np.ndarray
    saving_cost_yuan: np.ndarray
    tax_yuan: np.ndarray
    unpaid_yuan: np.ndarray
    expired_m3: dict[str, int]


def deliver_lease(registry: Registry, lease: Lease, year: int, loss: float) -> Delivery:
    """Move one year of a lease: the volume leaves the lessor; across the border the lessee
    receives it less the conveyance loss (retired in the lessor's zone); the lessee pays for
    the volume at the source. The lessor delivers what it holds, at most the volume."""
    seller_zone = registry.region_of(lease.lessor)
    buyer_zone = registry.region_of(lease.lessee)
    assert seller_zone is not None and buyer_zone is not None
    symbol = f"{WATER}:{seller_zone}:{year}"
    units = min(lease.volume_m3, registry.available(lease.lessor, symbol))
    memo = f"water lease {lease.lease_id}"
    delivered, lost = units, 0
    if buyer_zone == seller_zone:
        registry.transfer(lease.lessor, lease.lessee, symbol, units, memo=memo)
    else:
        delivered = int(units * (1 - loss))
        lost = units - delivered
        registry.retire(lease.lessor, retirement_account(seller_zone), symbol, units,
                        memo=f"{memo}: converted, {lost} m3 lost in conveyance")
        registry.issue(issuer_account(buyer_zone), lease.lessee, f"{WATER}:{buyer_zone}:{year}",
                       delivered, memo=memo)
    fen = int(round(units * lease.price_yuan_per_m3 * 100))
    if lease.lessee.startswith("gov:"):
        appropriate(registry, lease.lessee, fen, "a water lease")
    registry.transfer(lease.lessee, lease.lessor, CASH, fen, memo=memo)
    return Delivery(year, lease, delivered, lost, fen / 100)


@dataclass
class WaterRights:
    """Issues, trades, leases and surrenders water rights year by year.

    On the day schedule a year's water closes right after its pollution true-up and before
    the river is judged (phase ``water_close``), opens after the pollution year
    (``water_open``), and trades in the monthly auctions (``auction_orders``).
    """

    clock: Clock
    venue: Venue
    registry: Registry
    firms: Firms
    users: WaterUsers
    rules: WaterRules
    leases: list[Lease]
    product: Product
    sites: np.ndarray | None = None
    """Each firm's reach (an index into the river graph's nodes, -1 for none)."""
    reaches: tuple[str, ...] = ()
    years: list[WaterYear] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    withdrawn_m3s: dict[int, dict[str, float]] = field(default_factory=dict)
    """Consumptive withdrawals by year and reach, m3/s."""

    def __post_init__(self) -> None:
        self.regions = sorted(self.rules.regional_m3)
        keep = 1 - self.rules.conveyance_loss
        self.design = MarketDesign("linked", {(a, b): keep for a in self.regions
                                              for b in self.regions if a != b})
        self._markets: dict[str, Market] = {}
        self._demand = self.users.demand_m3.copy()
        self._reference = {r: self._ticks(self.rules.price_yuan_per_m3) for r in self.regions}
        self.clock.at_year_start("water_open", self.open_year)
        self.clock.at("auction_orders", self._auction)
        self.clock.at_year_end("water_close", self.close_year)

    def _auction(self, day: int) -> None:
        """The month's auction, on the days that hold one."""
        cal, per_year = self.venue.calendar, self.rules.auctions_per_year
        if day % cal.days_per_year in {k * cal.days_per_year // per_year
                                       for k in range(per_year)}:
            self.trade(cal.year_of(day))

    # ---- the year ------------------------------------------------------------------------

    def open_year(self, year: int) -> None:
        """Issue the year's permits and regional rights, deliver the leases, list the books."""
        f = self.firms
        self._demand = self.users.demand_m3 * f.current_output / f.output
        for i, account in enumerate(f.ids):
            units = int(self.users.permit_m3[i])
            if units:
                self.registry.issue(issuer_account(f.region[i]), account, self._symbol(
                    f.region[i], year), units, memo="withdrawal permit")
        for region, units in self.rules.regional_m3.items():
            if units:
                self.registry.issue(issuer_account(region), f"gov:{region}",
                                    self._symbol(region, year), units, memo="regional rights")
        for lease in self.leases:
            if lease.active(year):
                self.deliveries.append(deliver_lease(self.registry, lease, year,
                                                     self.rules.conveyance_loss))
        markets = build_markets(self.design, self.product, year, self.regions, self.registry,
                                TradingRules(band=None, fee_bps=self.rules.fee_bps),
                                self._reference, self.venue.order_ids)
        for market in markets:
            self.venue.list_market(market)
            self._markets[market.instrument.zone] = market

    def close_year(self, year: int) -> None:
        """Delist, withdraw, surrender what was used and retire the rest."""
        for zone, market in self._markets.items():
            self.venue.delist(market.market_id)
            self._reference[zone] = market.reference_ticks
        self._markets = {}
        f, u = self.firms, self.users
        held = np.array([self.registry.available(a, self._symbol(r, year))
                         for a, r in zip(f.ids, f.region)], dtype=float)
        saved = np.minimum(self._demand, true_up_abatement(
            u.slope, u.tax, self._demand, held, np.full(len(f), np.inf)))
        used = np.floor(np.minimum(self._demand - saved, held))
        for i, account in enumerate(f.ids):
            if used[i]:
                self.registry.surrender(account, retirement_account(f.region[i]),
                                        self._symbol(f.region[i], year), int(used[i]),
                                        memo="water withdrawn")
        saved = self._demand - used
        cost, tax = u.slope * saved**2 / 2, u.tax * used
        unpaid = np.array([pay_costs(self.registry, account, f"gov:{f.region[i]}", cost[i],
                                     tax[i], "water use") for i, account in enumerate(f.ids)])
        expired = {r: self.registry.retire_outstanding(
            self._symbol(r, year), retirement_account(r), memo="water right expired")
            for r in self.regions}
        self.years.append(WaterYear(year, self._demand.copy(), u.permit_m3.copy(), held, used,
                                    cost, tax, unpaid, expired))
        self.withdrawn_m3s[year] = self._withdrawals(used)

    def _withdrawals(self, used_m3: np.ndarray) -> dict[str, float]:
        if self.sites is None:
            return {}
        inside = self.sites >= 0
        m3 = np.bincount(self.sites[inside], used_m3[inside], minlength=len(self.reaches))
        scale = self.rules.consumptive_share / _SECONDS_PER_YEAR
        return {r: float(m3[k] * scale) for k, r in enumerate(self.reaches)}

    # ---- monthly trading -----------------------------------------------------------------

    def trade(self, year: int) -> None:
        """The governments list their rights and the firms send their schedules."""
        for region in self.regions:
            market = self._markets[region]
            account = f"gov:{region}"
            lots = self.registry.available(account, market.instrument.symbol) // \
                market.instrument.lot_units
            if lots:
                self._submit(market, account, Side.SELL, lots,
                             self._ticks(self.rules.price_yuan_per_m3))
        f = self.firms
        people = STRATEGIES.index("manual")
        for i in np.flatnonzero((self._demand > 0) & ~f.defaulted & (f.strategy != people)):
            home = self._markets[f.region[i]]
            held = self.registry.available(f.ids[i], home.instrument.symbol)
            need = self._demand[i] - held
            if need * self.users.slope[i] > self.users.tax[i]:
                self._bid(i, need, home)
            elif held:
                self._ask(i, need, held, home)

    def _bid(self, i: int | np.intp, need: float, home: Market) -> None:
        """Buy the missing water in steps at its marginal value, in the cheaper book (the
        other region's price grossed up for the conveyance loss)."""
        keep = 1 - self.rules.conveyance_loss
        other = next(m for z, m in self._markets.items() if z != home.instrument.zone)
        market, ratio = home, 1.0
        if keep > 0 and other.reference_ticks / keep < home.reference_ticks:
            market, ratio = other, keep
        lot = market.instrument.lot_units * ratio
        for lots, mid in self._steps(int(need // lot), lot):
            value = permit_value(self.users.slope[i], self.users.tax[i], need, mid, np.inf)
            ticks = int(value * ratio * market.instrument.lot_units * 100
                        // market.instrument.tick_fen)
            if ticks < 1 or not self._submit(market, self.firms.ids[i], Side.BUY, lots, ticks):
                return

    def _ask(self, i: int | np.intp, need: float, held: int, home: Market) -> None:
        """Offer its rights at home at what going without them would cost: the water it
        will not use at the lowest price, then water it could save, dearer by the step."""
        lot = home.instrument.lot_units
        spare = max(0, int((self.users.tax[i] / self.users.slope[i] - need) // lot))
        rest = held // lot - spare
        chunks = ([(spare, spare * lot / 2)] if spare else []) + [
            (lots, spare * lot + mid) for lots, mid in self._steps(rest, lot)]
        for lots, mid in chunks:
            value = permit_value(self.users.slope[i], self.users.tax[i], need, -mid, np.inf)
            ticks = max(1, -int(-value * lot * 100 // home.instrument.tick_fen))
            if not self._submit(home, self.firms.ids[i], Side.SELL, lots, ticks):
                return

    def _steps(self, lots: int, lot_m3: float) -> list[tuple[int, float]]:
        """Split ``lots`` into at most ``steps`` chunks: (lots, m3 to the chunk's middle)."""
        if lots <= 0:
            return []
        sizes = [s for s in np.diff(np.linspace(0, lots, min(self.rules.steps, lots) + 1)
                                    .round().astype(int)) if s > 0]
        out, done = [], 0
        for size in sizes:
            out.append((int(size), (done + size / 2) * lot_m3))
            done += size
        return out

    def _submit(self, market: Market, account: str, side: Side, lots: int, ticks: int) -> bool:
        try:
            market.submit(account, side, lots, ticks, day=self.venue.day)
        except OrderRejected:
            return False  # short of cash or units: the schedule stops here
        return True

    def _symbol(self, region: str, year: int) -> str:
        return f"{WATER}:{region}:{year}"

    def _ticks(self, yuan_per_m3: float) -> int:
        return max(1, round(yuan_per_m3 * self.product.lot_units * 100 / self.product.tick_fen))
