"""The joint credit committee: the 2018 thresholds, abstention, votes and cross-border
syndicates, with every expected number worked out by hand in the comments."""

from __future__ import annotations

import pytest

from agents.banks import JointRules
from agents.committee import Ballot, allocate, band, forms, passes
from exchange import CASH, OUTSIDE
from scenarios import build_world, load_scenario
from scenarios.credit_tables import credit_kpis, credit_tables

# Three banks: A at home in Changshou, B and C in Guang'an. The single-borrower limit is
# 10 % of capital: A 10 m, B 5 m, C 15 m yuan. Firms ask only when the test asks (no demand
# of their own), PDs are negligible and the debt ceiling is far away.
BANKS = (
    "banks={regime: joint_committee, reporting_lag_months: 0,"
    " lenders: [{name: a, region: changshou, capital_yuan: 1.0e8, deposits_yuan: 1.0e10},"
    " {name: b, region: guangan, capital_yuan: 5.0e7, deposits_yuan: 1.0e10},"
    " {name: c, region: guangan, capital_yuan: 1.5e8, deposits_yuan: 1.0e10}],"
    " joint: {min_banks: 1, voluntary_yuan: 1.2e7, mandatory_yuan: 1.0e9},"
    " policy: {ebitda_multiple: 1.0e6,"
    "          pd_by_grade: {green: 1.0e-9, blue: 1.0e-9, yellow: 1.0e-9, red: 1.0e-9}},"
    " demand: {target_leverage: 1.0e-6, leverage_sigma: 0, buffer_months: 0}}")
MILLION_FEN = 100_000_000


def committee_world(*extra: str):
    world = build_world(load_scenario("tiny", [BANKS, "ratings.shares={blue: 1}", *extra]), 1)
    cal = world.venue.calendar
    first = next(d for d in range(cal.horizon_days) if cal.month_index(d) == 0)
    world.env.run(until=first + 0.5)  # the year has opened: the firms' cash flows are set
    return world


def firm_in(world, region: str) -> int:
    return next(i for i, r in enumerate(world.firms.region) if r == region)


def test_bank_at_its_limit_abstains_and_the_others_take_its_share() -> None:
    world = committee_world()
    credit = world.credit
    firm = firm_in(world, "changshou")
    # 1. 10 m: financing 10 m < voluntary 12 m, so no committee; the one home bank, A, is
    #    asked first and lends all of it: A is at its 10 m limit.
    assert credit.request(firm, 10 * MILLION_FEN, "business", 0) == 10 * MILLION_FEN
    assert credit.banks["a"].exposure_fen[firm] == 10 * MILLION_FEN
    # 2. 16 m: 1 lender >= min_banks 1 and 26 m >= 12 m: the committee decides. A has no
    #    room and abstains (it would have vetoed with all the claims before); B and C vote
    #    yes, holding no claims, so they count by head: 2 of 2 >= 2/3, the loan passes. The
    #    syndicate is pro rata to capital, B:C = 50:150 = 1:3: B 4 m, C 12 m, both within
    #    their rooms (5 m, 15 m). Nothing is cut.
    assert credit.request(firm, 16 * MILLION_FEN, "business", 0) == 16 * MILLION_FEN
    loan = credit.loans[-1]
    assert loan.committee
    assert loan.lender_split(loan.principal_fen) == {"b": 4 * MILLION_FEN,
                                                     "c": 12 * MILLION_FEN}
    votes = [(e.bank, e.detail) for e in credit.events if e.kind == "committee_vote"]
    assert votes == [("a", "abstain: single-borrower limit"), ("b", "yes"), ("c", "yes")]
    # 3. 12 m: rooms B 5 - 4 = 1 m, C 15 - 12 = 3 m. Pro rata B 3 m > 1 m: B takes 1 m;
    #    the 11 m left go to C alone, 11 m > 3 m: C takes 3 m. The loan shrinks to 4 m and
    #    the 8 m nobody has room for are denied.
    assert credit.request(firm, 12 * MILLION_FEN, "business", 0) == 4 * MILLION_FEN
    assert credit.loans[-1].lender_split(4 * MILLION_FEN) == {"b": 1 * MILLION_FEN,
                                                              "c": 3 * MILLION_FEN}
    denied = [e.amount_yuan for e in credit.events if e.kind == "denied"]
    assert denied == [8e6]
    # 4. Every bank at its limit: all abstain and the committee refuses.
    assert credit.request(firm, 1 * MILLION_FEN, "business", 0) == 0
    assert credit.events[-2].detail == "every member abstained"
    # All 20 m of the syndicates are Guang'an banks' lending to a Changshou firm, out of
    # 30 m lent: the cross-border share is 2/3.
    tables = credit_tables(world, "t")
    assert credit_kpis(world, tables)["cross_region_lending_share"] == pytest.approx(2 / 3)


def test_home_region_committee_leaves_the_loan_to_home_banks() -> None:
    world = committee_world("banks.joint.cross_border=false")
    credit = world.credit
    firm = firm_in(world, "changshou")
    credit.request(firm, 10 * MILLION_FEN, "business", 0)
    # Only A sits on the committee and it is at its limit: nobody can lend.
    assert credit.request(firm, 16 * MILLION_FEN, "business", 0) == 0
    assert [e.bank for e in credit.events if e.kind == "committee_vote"] == ["a"]


RULES = JointRules(min_banks=3, mandatory_yuan=5e7, voluntary_yuan=2e7)


@pytest.mark.parametrize(("lenders", "financing", "expected"), [
    (2, 9e9, "none"),          # any amount at two banks: the rules ask for 3 AND the sum
    (3, 1.9e7, "none"),        # three banks below the voluntary threshold
    (3, 2e7, "voluntary"),     # the thresholds are inclusive ("以上")
    (3, 4.99e7, "voluntary"),
    (3, 5e7, "mandatory"),
    (7, 8e7, "mandatory"),
])
def test_the_2018_bands_need_both_banks_and_financing(lenders: int, financing: float,
                                                      expected: str) -> None:
    assert band(lenders, financing, RULES) == expected


def test_the_voluntary_band_forms_only_when_banks_take_it_up() -> None:
    shy = JointRules(min_banks=3, mandatory_yuan=5e7, voluntary_yuan=2e7,
                     voluntary_joins=False)
    assert forms(3, 3e7, RULES) and not forms(3, 3e7, shy)
    assert forms(3, 6e7, shy)  # the mandatory threshold binds whatever banks prefer


def test_abstentions_leave_the_vote_and_claims_weigh() -> None:
    # Claims 60 (yes), 30 (no), 10 (abstain): 60 / 90 = 2/3 passes at 2/3; had the
    # abstainer voted no, 60 / 100 would fail.
    ballots = [Ballot("x", "yes", 60), Ballot("y", "no", 30), Ballot("z", "abstain", 10)]
    assert passes(ballots, 2 / 3)
    assert not passes([*ballots[:2], Ballot("z", "no", 10)], 2 / 3)
    # Nobody holds claims: one bank one vote, 1 of 2 < 2/3.
    assert not passes([Ballot("x", "yes", 0), Ballot("y", "no", 0)], 2 / 3)


def test_allocation_waterfills_and_shrinks() -> None:
    # Weights 1:1:2 on 100: 25, 25, 50. Room of x is 10: x takes 10, the 90 left split
    # 1:2 between y and z: 30, 60.
    assert allocate(100, {"x": 1, "y": 1, "z": 2}, {"x": 10, "y": 99, "z": 99}) == \
        {"x": 10, "y": 30, "z": 60}
    # Rooms 10 + 20 < 100: the loan shrinks to 30.
    assert allocate(100, {"x": 1, "y": 1}, {"x": 10, "y": 20}) == {"x": 10, "y": 20}
    # 10 fen 1:1:1: 3 each, the rounding fen to the first name.
    assert allocate(10, {"x": 1, "y": 1, "z": 1}, {"x": 9, "y": 9, "z": 9}) == \
        {"x": 4, "y": 3, "z": 3}
    with pytest.raises(ValueError, match="weights.x"):
        allocate(10, {"x": 0}, {"x": 5})


def default_without_cash(world, firm: int) -> None:
    account = world.firms.ids[firm]
    world.registry.transfer(account, OUTSIDE, CASH, world.registry.cash(account))
    world.credit.default(firm, 0, "test")


def test_guarantees_cover_home_banks_and_committee_lenders_across_the_border() -> None:
    world = committee_world("banks.policy.guarantee_share=0.5")
    credit = world.credit
    firm = firm_in(world, "changshou")
    credit.request(firm, 10 * MILLION_FEN, "business", 0)  # A alone, as above
    credit.request(firm, 16 * MILLION_FEN, "business", 0)  # B 4 m, C 12 m, a committee's
    default_without_cash(world, firm)
    # No cash: the estate recovers 1 - LGD = 55 %, the loss is 45 % of each loan. A's 10 m
    # lose 4.5 m, half paid by the Changshou guarantee fund: 2.25 m. The syndicate's 16 m
    # lose 7.2 m, split 1:3 (1.8 m, 5.4 m); the committee recognises the guarantee across
    # the border, so B and C bear half: 0.9 m and 2.7 m.
    losses = {name: bank.losses_yuan for name, bank in credit.banks.items()}
    assert losses == pytest.approx({"a": 2.25e6, "b": 0.9e6, "c": 2.7e6})
    paid = {e.bank: (e.amount_yuan, e.detail) for e in credit.events if e.kind == "guarantee"}
    assert paid == {"a": (2.25e6, "home"), "b": (0.9e6, "cross-region"),
                    "c": (2.7e6, "cross-region")}
    world.registry.audit()


def test_a_foreign_bank_lending_alone_gets_no_guarantee() -> None:
    world = committee_world("banks.policy.guarantee_share=0.5", "banks.regime=independent")
    credit = world.credit
    firm = firm_in(world, "changshou")
    credit.request(firm, 10 * MILLION_FEN, "business", 0)  # A, to its limit
    credit.request(firm, 5 * MILLION_FEN, "business", 0)   # B or C, bilaterally
    default_without_cash(world, firm)
    # A: 45 % of 10 m, half guaranteed: 2.25 m. The foreign bank: 45 % of 5 m, all of it.
    assert credit.banks["a"].losses_yuan == pytest.approx(2.25e6)
    assert credit.banks["b"].losses_yuan + credit.banks["c"].losses_yuan == \
        pytest.approx(2.25e6)
    assert {e.bank for e in credit.events if e.kind == "guarantee"} == {"a"}
