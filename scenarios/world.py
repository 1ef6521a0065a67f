"""Assemble a runnable world from a scenario and a seed, and run it."""

from __future__ import annotations

import gc
import time
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import simpy

from agents import (ComplianceYears, Firms, Regulator, RegulatorRules, Traders,
                    TradingBehaviour)
from agents.banks import Bank, CreditPolicy, JointRules
from agents.compensation import Compensation
from agents.credit import CENTRAL_BANK, Credit, CreditDemand
from agents.forest import Forests, ForestRules, RegionForest
from agents.platform import CreditPlatform
from agents.ratings import GRADES, draw_scores
from agents.river import Reach, Section, assign_firms, river_graph
from agents.streams import Streams
from agents.stress import Shock, StressTest
from agents.water import WATER, Lease, WaterRights, WaterRules
from exchange import (CASH, OUTSIDE, Calendar, Clock, MarketDesign, Product, Registry,
                      TradingRules, Venue, clock_fraction, issuer_account, retirement_account)
from scenarios.design import KG_PER_T, market_design
from scenarios.population import build_firms, draw_water_users
from scenarios.results import RunResult
from scenarios.river_world import build_compensation
from scenarios.schema import Scenario
from scenarios.schema.base import Region
from scenarios.schema.market import PollutantSpec



@dataclass
class World:
    """Everything a run is made of, wired together and ready for ``env.run``."""

    scenario: Scenario
    seed: int
    env: simpy.Environment
    registry: Registry
    venue: Venue
    firms: Firms
    regulators: dict[str, Regulator]
    traders: Traders
    years: ComplianceYears
    credit: Credit | None = None
    stress: StressTest | None = None
    compensation: Compensation | None = None
    water: WaterRights | None = None
    forest: Forests | None = None

    def run(self) -> RunResult:
        """Run to the last true-up and collect the result tables."""
        from scenarios.collect import collect  # the collector needs a finished world

        started = time.time()
        # What exists before the run (modules, the world) lives through it: frozen, the
        # collector's full passes skip it. Unfrozen after, so a process running many
        # worlds can still free the earlier ones.
        gc.freeze()
        try:
            self.env.run(until=self.venue.calendar.horizon_days + 0.5)
        finally:
            gc.unfreeze()
        self.registry.audit(replay=False)  # every run ends with rights and cash conserved
        return collect(self, started)


def build_world(scenario: Scenario, seed: int) -> World:
    """The world of ``scenario`` whose randomness all comes from ``seed``.

    Components register on the day schedule (:mod:`exchange.clock`) and draw from streams
    keyed by purpose (:mod:`agents.streams`), so the order of the statements below changes
    neither when anything happens nor any random number.
    """
    env = simpy.Environment()
    clock = Clock(env, _calendar(scenario))
    registry = Registry(lambda: clock.day)
    venue = Venue(clock)
    streams = Streams(seed)
    firms, cash_yuan = build_firms(scenario, streams)
    firms.rate(draw_scores(dict(scenario.ratings.shares.items()), len(firms),
                           streams("ratings", "start")))
    regions = sorted(scenario.regions)
    graph = None if scenario.river is None else _river(scenario)
    assignment = None if graph is None else _assign(scenario, graph, firms, streams)
    design = market_design(scenario, graph, assignment, firms)
    _open_accounts(registry, firms, cash_yuan, regions, design)
    regulators: dict[str, Regulator] = {
        r: Regulator(_regulator_rules(scenario, r), firms, registry) for r in regions}
    behaviour = _behaviour(scenario)
    traders = Traders(clock, venue, registry, firms, behaviour, streams)
    products = _products(scenario)
    years = ComplianceYears(
        clock=clock, venue=venue, registry=registry, firms=firms, regulators=regulators,
        design=design, products=products,
        rules={name: _rules(scenario, p) for name, p in scenario.pollutants.items()},
        reference_ticks=_references(scenario, design), traders=traders, streams=streams)
    credit = _credit(scenario, clock, venue, registry, firms, streams)
    shocks = [Shock(s.day, s.kind, s.size, s.pollutant, s.sector, s.region)
              for s in scenario.stress]
    stress = StressTest(clock, venue, registry, years, credit, shocks, graph) \
        if shocks else None
    water = (None if scenario.water is None else
             _water(scenario, clock, venue, registry, firms, graph, assignment, streams))
    compensation = None
    if graph is not None and assignment is not None:
        compensation = build_compensation(scenario, clock, graph, assignment, years,
                                          registry, streams, water)
    forest = (None if scenario.forest is None else
              _forest(scenario, clock, venue, registry, firms, credit, streams))
    return World(scenario, seed, env, registry, venue, firms, regulators, traders, years,
                 credit, stress, compensation, water, forest)


def _behaviour(scenario: Scenario) -> TradingBehaviour:
    """The firms' trading frictions, or none with ``trading.frictionless``."""
    t = scenario.trading
    penalty: dict[str, float] = {r: s.regulator.penalty_multiple
                                 for r, s in scenario.regions.items()}
    if t.frictionless:
        return TradingBehaviour(activity=1.0, order_share=1.0, max_order_t=1e12,
                                penalty_multiple=penalty, auction_steps=t.auction_steps)
    return TradingBehaviour(activity=t.activity, order_share=t.order_share,
                            max_order_t=t.max_order_t, penalty_multiple=penalty,
                            auction_steps=t.auction_steps)


def _river(scenario: Scenario) -> nx.DiGraph[str]:
    spec = scenario.river
    assert spec is not None
    return river_graph([Reach(
        r.name, r.region, r.downstream, r.length_km, r.flow_m3s, r.velocity_ms,
        dict(r.decay_per_day.items()), dict(r.background_mg_l.items()),
        None if r.section is None else Section(r.section.name, r.section.target_class,
                                               r.section.cross_border))
        for r in spec.reaches])


def _assign(scenario: Scenario, graph: nx.DiGraph[str], firms: Firms, streams: Streams
            ) -> np.ndarray:
    spec = scenario.river
    assert spec is not None
    index = {name: k for k, name in enumerate(firms.ids)}
    fixed = {index[f.name]: f.reach for f in scenario.firms if f.reach is not None}
    fixed.update({index[f]: reach for f, reach in spec.firms.items()})
    return assign_firms(graph, firms.region, {r.name: r.firm_share for r in spec.reaches},
                        fixed,
                        streams("river", "sites"))


def _water(scenario: Scenario, clock: Clock, venue: Venue, registry: Registry, firms: Firms,
           graph: nx.DiGraph[str] | None, assignment: np.ndarray | None, streams: Streams
           ) -> WaterRights:
    """Water users, rules and leases."""
    spec = scenario.water
    assert spec is not None
    leases = []
    for k, x in enumerate(spec.leases):
        start = x.start_year or scenario.calendar.start_year
        leases.append(Lease(k + 1, f"gov:{x.lessor}", f"gov:{x.lessee}",
                            int(x.volume_m3_per_year), start, start + x.years - 1,
                            x.price_yuan_per_m3))
    rules = WaterRules(
        regional_m3={r: int(s.regional_m3_per_year) for r, s in spec.regions.items()},
        conveyance_loss=spec.conveyance_loss, price_yuan_per_m3=spec.price_yuan_per_m3,
        auctions_per_year=spec.auctions_per_year, consumptive_share=spec.consumptive_share,
        fee_bps=_fee_bps(scenario))
    product = Product(WATER, "m3", spec.lot_m3, tick_fen=spec.lot_m3)  # a tick: 0.01 yuan/m3
    users = draw_water_users(scenario, firms, streams)
    return WaterRights(clock, venue, registry, firms, users, rules, leases, product,
                       assignment, tuple(graph) if graph is not None else ())


def _forest(scenario: Scenario, clock: Clock, venue: Venue, registry: Registry, firms: Firms,
            credit: Credit | None, streams: Streams) -> Forests:
    """Each region's forest with the firms' forest-rights certificates (drawn from the
    region's streams). Firms' forest rights become collateral the banks take."""
    spec = scenario.forest
    assert spec is not None
    regions: dict[str, RegionForest] = {}
    firm_mu: dict[str, int] = {}
    for region, r in sorted(spec.regions.items()):
        if region not in scenario.regions:
            continue
        forest_mu = int(round(r.land_mu * r.coverage))
        members = [k for k, name in enumerate(firms.region) if name == region]
        holders = streams("forest", "holders", region)
        holds = holders.random(len(members)) < r.firm_holder_share  # every firm draws both
        size = r.firm_forest_mu * holders.lognormal(0, r.firm_forest_sigma, len(members))
        mu = np.where(holds, np.maximum(1, np.round(size)), 0)
        if mu.sum() > forest_mu / 2:  # firms hold at most half of the forest [L]
            mu = np.floor(mu * forest_mu / 2 / mu.sum())
        firm_mu.update({firms.ids[k]: int(m) for k, m in zip(members, mu.tolist()) if m > 0})
        regions[region] = RegionForest(
            region, int(round(r.land_mu)), forest_mu, r.target, r.target_rise_per_year,
            r.planting_cost_yuan_per_mu, int(r.planting_capacity_mu_per_year), r.managed_share)
    rules = ForestRules(
        spec.pricing, spec.indicator_price_yuan_per_mu, spec.upkeep_yuan_per_mu_year,
        spec.upkeep_years, spec.ask_steps, spec.sink_rate_management,
        spec.sink_rate_afforestation,
        spec.ccer_price_yuan_per_t if spec.pricing == "market" else spec.cqcer_price_yuan_per_t,
        _fee_bps(scenario))
    forest = Forests(clock, venue, registry, regions, rules, firm_mu,
                     {a: str(r) for a, r in zip(firms.ids, firms.region)})
    if credit is not None:
        credit.collateral.forest_rights = forest.appraisals()
    return forest


def _credit(scenario: Scenario, clock: Clock, venue: Venue, registry: Registry, firms: Firms,
            streams: Streams) -> Credit | None:
    """Banks with their capital and deposits as cash, under the scenario's regime."""
    spec = scenario.banks
    if spec is None:
        return None
    registry.open_account(CENTRAL_BANK, may_go_negative=True)
    banks = []
    for b in spec.lenders:
        account = f"bank:{b.name}"
        registry.open_account(account, b.region)
        registry.issue(OUTSIDE, account, CASH, int(round((b.capital_yuan + b.deposits_yuan)
                                                         * 100)), memo="capital and deposits")
        banks.append(Bank(b.name, b.region, account, b.capital_yuan, b.deposits_yuan))
    p = spec.policy
    policy = CreditPolicy(
        lpr=p.lpr, spread_bp=tuple(p.spread_bp.get(g) for g in GRADES),
        green_discount_bp=p.green_discount_bp,
        pd_by_grade=tuple(p.pd_by_grade[g] for g in GRADES), lgd_unsecured=p.lgd_unsecured,
        lgd_secured=p.lgd_secured, ltv=p.ltv_pollution_right, ltv_forest=p.ltv_forest_right,
        forest_term_months=p.forest_loan_term_months,
        margin_call_drop=p.margin_call_drop, single_borrower_share=p.single_borrower_share,
        min_car=p.min_capital_ratio, deposit_rate=p.deposit_rate,
        refinance_share=p.refinance_share, refinance_rate=p.refinance_rate,
        ebitda_multiple=p.ebitda_multiple, green_npl_tolerance=p.green_npl_tolerance,
        guarantee_share=p.guarantee_share)
    j, d = spec.joint, spec.demand
    return Credit(clock, venue, registry, firms, banks, policy,
                  JointRules(**j.model_dump()),
                  spec.regime,
                  CreditPlatform(spec.shared_items(), spec.reporting_lag_months),
                  CreditDemand(**d.model_dump()),
                  streams)


def _calendar(scenario: Scenario) -> Calendar:
    c = scenario.calendar
    return Calendar(
        start_year=c.start_year, years=c.years, days_per_year=c.days_per_year,
        sessions=tuple((clock_fraction(a), clock_fraction(b)) for a, b in c.sessions),
        call_open=(clock_fraction(c.call_auction_open)
                   if c.call_auction_open and scenario.exchange.opening_auction else None))


def _products(scenario: Scenario) -> dict[str, Product]:
    return {name: Product(name, "t", round(p.lot_t * KG_PER_T), max(1, round(p.tick_yuan * 100)),
                          p.validity_years, KG_PER_T)
            for name, p in scenario.pollutants.items()}


def _rules(scenario: Scenario, pollutant: PollutantSpec) -> TradingRules:
    """The exchange's rules in the pollutant's own lots: the block minimum and the largest
    order are tonnes, whatever a lot of it is."""
    x, lot_t = scenario.exchange, pollutant.lot_t
    return TradingRules(
        band=x.band, block_band=x.block_band, block_min_lots=max(1, int(x.block_min_t / lot_t)),
        max_order_lots=None if x.max_order_t is None else max(1, int(x.max_order_t / lot_t)),
        fee_bps=_fee_bps(scenario), settlement_lag_days=x.settlement_lag_days)


def _fee_bps(scenario: Scenario) -> int:
    return round(scenario.exchange.fee_rate * 10_000)


def _references(scenario: Scenario, design: MarketDesign) -> dict[tuple[str, str], int]:
    """Opening reference price per pollutant and zone, ticks per lot (the basin zone of the
    integrated design starts from the mean of the regions' prices)."""
    out: dict[tuple[str, str], int] = {}
    products = _products(scenario)
    for name, spec in scenario.pollutants.items():
        tick_fen = products[name].tick_fen
        for zone in design.zones(list(scenario.regions)):
            prices = spec.reference_price_yuan_per_t
            yuan = prices[zone] if zone in prices else float(np.mean(list(prices.values())))
            out[name, zone] = max(1, round(yuan * spec.lot_t * 100 / tick_fen))
    return out


def _regulator_rules(scenario: Scenario, region: Region) -> RegulatorRules:
    spec = scenario.regions[region].regulator
    return RegulatorRules(
        region=region, allocation=spec.allocation, cap_share=dict(spec.cap_share.items()),
        cap_decline=spec.cap_decline_per_year, penalty_multiple=spec.penalty_multiple,
        reserve_yuan_per_t={p: s.reference_price_yuan_per_t[region] * spec.reserve_multiple
                            for p, s in scenario.pollutants.items()},
        cut_next_allocation=spec.cut_next_allocation,
        own_allocation_t=_own_allocations(scenario, region))


def _own_allocations(scenario: Scenario, region: str) -> dict[str, dict[str, float]]:
    """Listed firms' own allocations by pollutant and firm."""
    out: dict[str, dict[str, float]] = {}
    for firm in scenario.firms:
        if firm.region == region:
            for pollutant, tonnes in firm.allocation_t.items():
                out.setdefault(pollutant, {})[firm.name] = tonnes
    return out


def _open_accounts(registry: Registry, firms: Firms, cash_yuan: np.ndarray,
                   regions: Sequence[str], design: MarketDesign) -> None:
    registry.open_account("exchange")
    for region in regions:
        registry.open_account(f"gov:{region}", region)
    for zone in set(design.zones(regions)) | set(regions):
        registry.open_account(issuer_account(zone), may_go_negative=True)
        registry.open_account(retirement_account(zone))
    for account, region, yuan in zip(firms.ids, firms.region, cash_yuan):
        registry.open_account(account, region)
        registry.issue(OUTSIDE, account, CASH, int(round(yuan * 100)), memo="starting cash")

