"""The ecological-compensation schemes between the governments (reference section 5)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, NonNegativeFloat, PositiveFloat, model_validator

from scenarios.schema.base import Name, Strict

Party = Literal["changshou", "guangan", "central"]
Averaging = Literal["arithmetic", "flow_weighted"]


class Response(Strict):
    """How a government judged at a section responds (``agents.response``): on the reaches
    of its region draining to its sections, it cuts by ``tighten_cap`` the part of its COD
    and NH3-N caps held by the firms there, and pays for treating the load of towns and
    farms there, at ``fund_yuan_per_t`` for each tonne of COD a year removed, once (a town
    treatment plant's building cost per tonne of yearly removal; the Tongbo river clean-up
    took over 600 m yuan in 57 projects, reference section 5) [L].

    ``rule: myopic``: after a year it paid on balance, it tightens and spends
    ``fund_abatement`` times that net payment. ``rule: expected``: each year it spends the
    ``x`` among ``0, budget_yuan / planning_steps, ..., budget_yuan`` that maximises the
    years left times its expected net payment next year (over ``planning_draws`` years of
    flows) less ``x``, and tightens when it expects to pay without treatment [L]."""

    rule: Literal["myopic", "expected"] = "myopic"
    tighten_cap: Annotated[float, Field(ge=0, lt=1)] = 0.0
    fund_abatement: Annotated[float, Field(ge=0, le=10)] = 0.0
    fund_yuan_per_t: PositiveFloat = 20_000
    budget_yuan: NonNegativeFloat = 0.0
    planning_steps: Annotated[int, Field(ge=1, le=50)] = 4
    planning_draws: Annotated[int, Field(ge=1, le=1000)] = 20


class PartiesSpec(Strict):
    """Who is upstream (paid when the water is good) and downstream at a section;
    ``central`` is the central (or municipal) budget, outside the model."""

    upstream: Party
    downstream: Party


class IndexSpec(Strict):
    """A Xin'an type index ``P = k0 * sum_i weights_i * C_i / C0_i`` (reference section 5).

    ``k0`` 0.85 is round 1's [M]; the weights are by default equal over the river
    pollutants the scenario lists (Xin'an: 0.25 over four, the model carries two) [L].
    The baseline ``C0_i`` of a section is, in order of precedence: ``baseline_mg_l``
    given by section and pollutant; at a judged section, the mean of the observed file's
    ``baseline_years`` (each year by ``averaging``, then the years' mean); else the
    concentration the firms' historic emissions give at the mean flow, the river as it
    was before the run."""

    k0: Annotated[float, Field(gt=0, le=2)] = 0.85
    weights: dict[Literal["COD", "NH3N"], PositiveFloat] = Field(
        {}, description="k_i by pollutant, summing to 1; empty: equal over the river "
        "pollutants the scenario lists")
    per_pollutant: bool = False
    averaging: Averaging = "arithmetic"
    baseline_mg_l: dict[Name, dict[Literal["COD", "NH3N"], PositiveFloat]] = {}
    baseline_years: list[int] = []

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> IndexSpec:
        if self.weights and abs(sum(self.weights.values()) - 1) > 1e-9:
            raise ValueError("compensation.index.weights: must sum to 1")
        for section, by in self.baseline_mg_l.items():
            if self.weights and set(by) != set(self.weights):
                raise ValueError(f"compensation.index.baseline_mg_l.{section}: needs every "
                                 f"weighted pollutant {sorted(self.weights)}")
        return self


class SchemeBase(Strict):
    """What every paying scheme shares: the sections it judges (default: every cross-border
    section), who pays whom at each (default: the regions of the reaches above and below),
    the central top-up and the response."""

    sections: list[Name] = []
    parties: dict[Name, PartiesSpec] = {}
    central_topup_yuan: NonNegativeFloat = 0
    response: Response = Response()


class Bet(SchemeBase):
    """The Xin'an bidirectional bet per section, yearly on the index: 12 m yuan a year
    (1 m yuan a month, as Chongqing's 2018 scheme, reference section 5)."""

    kind: Literal["bet"]
    amount_yuan: PositiveFloat = 12_000_000
    index: IndexSpec = IndexSpec()


class Band(Strict):
    """Index values up to ``max_index`` (None: any) pay ``yuan`` to the upstream party
    (negative: from it)."""

    max_index: PositiveFloat | None
    yuan: float


DEFAULT_BANDS = [Band(max_index=0.90, yuan=12e6), Band(max_index=0.95, yuan=8e6),
                 Band(max_index=1.00, yuan=4e6), Band(max_index=1.05, yuan=-4e6),
                 Band(max_index=1.10, yuan=-8e6), Band(max_index=None, yuan=-12e6)]
"""The bet's 12 m yuan at the extremes, in thirds towards the target [L]."""


class Graded(SchemeBase):
    """Yearly payments by bands of the index; a value on a boundary is in the lower band."""

    kind: Literal["graded"]
    bands: list[Band] = DEFAULT_BANDS
    index: IndexSpec = IndexSpec()

    @model_validator(mode="after")
    def _bands_ascend(self) -> Graded:
        tops = [b.max_index for b in self.bands]
        if any(t is None for t in tops[:-1]) or any(
                a >= b for a, b in zip(tops[:-1], tops[1:]) if a is not None and b is not None):
            raise ValueError("compensation.bands: max_index must ascend, only the last None")
        return self


class Pool(SchemeBase):
    """A joint pool of 300 m yuan a year split 1:1 (reference section 5, [L]), allocated by
    the share of the judged sections' samples whose index met the target."""

    kind: Literal["pool"]
    pool_yuan: PositiveFloat = 300_000_000
    upstream_share: Annotated[float, Field(ge=0, le=1)] = 0.5
    index: IndexSpec = IndexSpec()


class Chongqing(SchemeBase):
    """Chongqing's 2018 intra-city rule (reference section 5) [H], monthly per section:
    met and not worse than the same month a year before -> 1 m yuan to upstream; met but
    worse -> 1 m yuan to downstream; missed -> ``fail_yuan_per_month`` to downstream (the
    published formula is not in the reference: 1 m [L])."""

    kind: Literal["chongqing"]
    monthly_yuan: PositiveFloat = 1_000_000
    fail_yuan_per_month: NonNegativeFloat = 1_000_000
    averaging: Averaging = "arithmetic"


class Excess(SchemeBase):
    """Monthly grading by excess over the class limits: the upstream pays
    ``yuan_per_excess`` per unit of ``sum_i max(0, C_i / S_i - 1)`` [L]; a month that meets
    its class earns it ``met_yuan_per_month`` [L]."""

    kind: Literal["excess"]
    yuan_per_excess: PositiveFloat = 1_000_000
    met_yuan_per_month: NonNegativeFloat = 0
    averaging: Averaging = "arithmetic"


class Load(SchemeBase):
    """Monthly payments per tonne of load above the class limits: COD 15,000, NH3-N
    100,000 yuan/t (Jiangsu's water-environment regional compensation, 2013, as recalled:
    not in the reference, [L])."""

    kind: Literal["load"]
    yuan_per_t: dict[Literal["COD", "NH3N"], NonNegativeFloat] = {"COD": 15_000,
                                                                  "NH3N": 100_000}
    averaging: Averaging = "arithmetic"


class MarketOnly(Strict):
    """No transfers between the governments; the river is only monitored."""

    kind: Literal["market"]


Scheme = Bet | Graded | Pool | Chongqing | Excess | Load | MarketOnly
