"""The credit-information platform: rule sets differ by what is shared (debts, ratings,
pledges), each tested through the banks' lending."""

from __future__ import annotations

import pytest

from agents.platform import CreditPlatform
from scenarios import build_world, load_scenario

# One Changshou bank (a) and one Guang'an bank (b), firms that borrow only when the test
# asks, regional markets (autarky) so that a firm's rights are registered in its region.
BANKS = (
    "banks={regime: REGIME, reporting_lag_months: LAG, SHARED"
    " lenders: [{name: a, region: changshou, capital_yuan: 1.0e9, deposits_yuan: 1.0e10},"
    " {name: b, region: guangan, capital_yuan: 1.0e9, deposits_yuan: 1.0e10}],"
    " policy: {pd_by_grade: {green: 1.0e-9, blue: 1.0e-9, yellow: 1.0e-9, red: 1.0e-9}},"
    " demand: {target_leverage: 1.0e-6, leverage_sigma: 0, buffer_months: 0}}")


def world_of(regime: str, shared: str | None, lag: int = 0, *extra: str):
    banks = BANKS.replace("REGIME", regime).replace("LAG", str(lag)).replace(
        "SHARED", "" if shared is None else f"shared: [{shared}],")
    scenario = load_scenario("tiny", [banks, "exchange.design={kind: autarky}", *extra])
    return build_world(scenario, 1)


def run_months(world, months: int) -> None:
    cal = world.venue.calendar
    first = next(d for d in range(cal.horizon_days) if cal.month_index(d) == months)
    world.env.run(until=first + 0.5)


def changshou_firm(world) -> int:
    return next(i for i, r in enumerate(world.firms.region) if r == "changshou")


RED = 50.0  # a score in the red band (below 60, 渝环规〔2021〕7号)


@pytest.mark.parametrize(("regime", "shared", "lent_by"), [
    ("independent", None, ["b"]),                      # b cannot see the red grade
    ("shared_information", "debts, pledges", ["b"]),   # debts shared, grades not
    ("shared_information", "ratings", []),             # b sees red and refuses too
    ("shared_information", None, []),                  # the default shares all three
])
def test_a_red_firm_borrows_across_the_border_unless_ratings_are_shared(
        regime: str, shared: str | None, lent_by: list[str]) -> None:
    world = world_of(regime, shared)
    run_months(world, 0)
    credit, firm = world.credit, changshou_firm(world)
    world.firms.env_score[firm] = RED
    ask = 1_000_000_00
    granted = credit.request(firm, ask, "business", 0)
    lenders = [n for ln in credit.loans if ln.borrower == firm for n in ln.shares]
    assert lenders == lent_by
    assert granted == (ask if lent_by else 0)
    if lent_by:  # priced as the blue firm b takes it for: the LPR, no spread
        assert credit.loans[-1].rate == pytest.approx(world.scenario.banks.policy.lpr)
    else:
        assert [e.detail for e in credit.events if e.kind == "denied"] == ["rating"]


def test_ratings_reach_the_other_region_after_the_reporting_lag() -> None:
    """The firm turns red after month 0's filing. With a lag of 2, b sees the grade filed
    in month m - 2: blue (month 0's) in months 0, 1 and 2 (month 2 - 2 = 0), red from
    month 3 (filed in month 1). The home bank a sees red at once."""
    world = world_of("shared_information", "ratings", lag=2)
    run_months(world, 0)
    credit, firm = world.credit, changshou_firm(world)
    world.firms.env_score[firm] = RED
    lent = []
    for month in range(5):
        if month:
            run_months(world, month)
        before = len(credit.loans)
        credit.request(firm, 1_000_000_00, "business", month)
        lent.append([n for ln in credit.loans[before:] for n in ln.shares])
    assert lent == [["b"], ["b"], ["b"], [], []]


@pytest.mark.parametrize(("shared", "secured"), [("pledges", True), ("debts", False)])
def test_a_bank_takes_rights_of_the_other_region_only_when_pledges_are_shared(
        shared: str, secured: bool) -> None:
    """A Changshou firm's working capital from the Guang'an bank alone (a's single-borrower
    limit is cut to nothing): its COD rights are registered in Changshou, which b can see
    and register a pledge in only through the platform."""
    world = world_of("shared_information", shared, 0,
                     "banks.lenders.0.capital_yuan=1.0", "banks.lenders.0.deposits_yuan=1.0")
    run_months(world, 0)
    credit, firm = world.credit, changshou_firm(world)
    assert credit.request(firm, 1_000_000_00, "working_capital", 0) > 0
    loan = credit.loans[-1]
    assert list(loan.shares) == ["b"]
    assert (loan.collateral == "COD:changshou:2025") is secured
    assert (loan.collateral_units > 0) is secured
    held = world.registry.holding(world.firms.ids[firm], "COD:changshou:2025")
    assert held.pledged == loan.collateral_units


def test_bad_sharing_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="banks.shared"):
        world_of("independent", "debts")
    with pytest.raises(ValueError, match="shared"):
        CreditPlatform(frozenset({"gossip"}), 0)
    with pytest.raises(ValueError, match="lag_months"):
        CreditPlatform(frozenset(), -1)


@pytest.mark.parametrize("shared", ["pledges", "debts"])
def test_without_shared_pledges_rights_are_pledged_twice_across_the_border(shared: str
                                                                         ) -> None:
    """The home bank a (single-borrower limit 1 m) lends the first 1 m of a 3 m
    working-capital request against a pledge of the firm's Changshou COD; b lends the
    other 2 m. With pledges on the platform b sees a's pledge and takes only free units,
    in the register; without, b books the units the firm holds, a's included, in its own
    books only: what a holds pledged is pledged twice, and b has nothing to foreclose."""
    world = world_of("shared_information", shared, 0, "banks.lenders.0.capital_yuan=1.0e7")
    run_months(world, 0)
    credit, firm, registry = world.credit, changshou_firm(world), world.registry
    account, symbol = world.firms.ids[firm], "COD:changshou:2025"
    held = registry.available(account, symbol)
    price = credit.collateral.price_fen_per_unit(symbol)
    ltv = world.scenario.banks.policy.ltv_pollution_right

    def needed(fen: int) -> int:  # units securing a loan at the loan-to-value, plus one
        return int(fen / (ltv * price)) + 1

    assert credit.request(firm, 3_000_000_00, "working_capital", 0) == 3_000_000_00
    to_a, to_b = credit.loans[-2], credit.loans[-1]
    assert (list(to_a.shares), list(to_b.shares)) == (["a"], ["b"])
    first = min(held, needed(1_000_000_00))
    assert to_a.collateral_units == first
    if shared == "pledges":
        assert to_b.collateral_units == min(held - first, needed(2_000_000_00))
        assert to_b.unverified_units == 0
        assert registry.holding(account, symbol).pledged == first + to_b.collateral_units
        return
    claimed = min(held, needed(2_000_000_00))
    assert (to_b.collateral_units, to_b.unverified_units) == (0, claimed)
    assert registry.holding(account, symbol).pledged == first
    twice = max(0, claimed - (held - first))
    kinds = [(e.kind, e.detail) for e in credit.events if e.bank == "b"]
    assert kinds == [("double_pledge" if twice else "unverified_pledge",
                      f"{symbol}: {twice} pledged twice")]
    credit.default(firm, 0, "test")
    assert {e.bank for e in credit.events if e.kind == "foreclosure"} == {"a"}
