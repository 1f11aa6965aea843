"""What the programs API takes and gives. The schema holds the shapes; the service judges the values (a metric's
name, bounds, a pool's currency, overlaps), so that each refusal has a code of its own and names its field."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from marketcast.core.fields import Currency, WholeNumber
from marketcast.core.money import Money
from marketcast.programs.rules import BenefitKind, Cadence, EligibleShopStatus, EnrollmentStatus, HostType, PeriodStatus
from marketcast.sellers.service import ShopMode, ShopType

IdStr = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_]+$")]
Name = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[^\x00]*$")]
Description = Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")]
MetricName = Annotated[str, Field(min_length=1, max_length=40, description="a name from GET /programs/metrics")]
Bound = Annotated[WholeNumber, Field(ge=0, le=10**12, description="in the metric's unit")]
Big = Annotated[WholeNumber, Field(ge=-10**12, le=10**12)]
MetricValue = int | float  # in the metric's unit (GET /programs/metrics)


def _absent(value: object) -> bool:
    return value is None


def omitted(description: str) -> Any:
    """An optional member of an answer: left out of it when there is none (not sent as null)."""
    return Field(None, description=description + " (left out when there is none)", exclude_if=_absent)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProgramEligibilityIn(Strict):
    """Who may enroll; each list defaults to every value."""

    host_types: list[HostType] = Field(default_factory=lambda: list(HostType), min_length=1, max_length=5)
    shop_types: list[ShopType] = Field(default_factory=lambda: list(ShopType), min_length=1, max_length=5)
    modes: list[ShopMode] = Field(default_factory=lambda: list(ShopMode), min_length=1, max_length=5)
    shop_statuses: list[EligibleShopStatus] = Field(default_factory=lambda: list(EligibleShopStatus), min_length=1,
                                                    max_length=5)


class ProgramCriterionIn(Strict):
    """One figure over a period and its bound: exactly one of `min` (at least) and `max` (at most)."""

    metric: MetricName
    min: Bound | None = None
    max: Bound | None = None


class PoolAmountIn(Strict):
    amount: Big
    currency: Currency


class FeeDiscountBenefitIn(Strict):
    """A referral-fee discount, in basis points, for the period after the one a shop qualified in."""

    kind: Literal[BenefitKind.referral_fee_discount_bps]
    value: Big


class RewardPoolBenefitIn(Strict):
    """A reward split equally among the `top_n` qualifying shops ranked by `rank_by`, paid as a statement credit."""

    kind: Literal[BenefitKind.reward_pool]
    amount: PoolAmountIn
    rank_by: MetricName
    top_n: Big


Benefit = Annotated[FeeDiscountBenefitIn | RewardPoolBenefitIn, Field(discriminator="kind")]


class ProgramIn(Strict):
    market: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")]
    name: Name
    description: Description = ""
    starts_at: datetime
    ends_at: datetime | None = None
    cadence: Cadence
    eligibility: ProgramEligibilityIn = Field(default_factory=ProgramEligibilityIn)
    criteria: list[ProgramCriterionIn] = Field(max_length=20)
    benefits: list[Benefit] = Field(max_length=5)
    auto_enroll: bool = False


class ProgramPatch(Strict):
    """What changes from the next period (a new version); fields left out keep their value. `ends_at` is the
    program's own and may not cut the running period."""

    name: Name | None = None
    description: Description | None = None
    ends_at: datetime | None = None
    eligibility: ProgramEligibilityIn | None = None
    criteria: list[ProgramCriterionIn] | None = Field(None, max_length=20)
    benefits: list[Benefit] | None = Field(None, max_length=5)
    auto_enroll: bool | None = None


class ProgramVersionOut(BaseModel):
    version: int
    applies_from: datetime
    created_at: datetime


class ProgramPeriodOut(BaseModel):
    start: datetime
    end: datetime


class ProgramEligibilityOut(BaseModel):
    """Who may enroll."""

    host_types: list[HostType]
    shop_types: list[ShopType]
    modes: list[ShopMode]
    shop_statuses: list[EligibleShopStatus]


class ProgramCriterionOut(BaseModel):
    """One figure over a period and its bound: `min` (at least) or `max` (at most), never both."""

    metric: str
    min: int | None = omitted("the least the figure may be")
    max: int | None = omitted("the most the figure may be")

    def rule(self) -> str:
        """`metric >= min` or `metric <= max`, as the console's form and the CLI write it."""
        return f"{self.metric} >= {self.min}" if self.min is not None else f"{self.metric} <= {self.max}"


class FeeDiscountBenefitOut(BaseModel):
    """A referral-fee discount, in basis points, for the period after the one a shop qualified in."""

    kind: Literal[BenefitKind.referral_fee_discount_bps]
    value: int


class RewardPoolBenefitOut(BaseModel):
    """A reward split equally among the `top_n` qualifying shops ranked by `rank_by`, paid as a statement credit."""

    kind: Literal[BenefitKind.reward_pool]
    amount: Money
    rank_by: str
    top_n: int


BenefitOut = Annotated[FeeDiscountBenefitOut | RewardPoolBenefitOut, Field(discriminator="kind")]


class EarnedBenefit(BaseModel):
    """What a shop that qualified in a period gets."""

    referral_fee_discount_bps: int | None = omitted("the referral-fee discount for the next period")
    rank: int | None = omitted("the shop's rank by the reward pool's rank_by, among the qualifying shops")
    reward: Money | None = omitted("its share of the reward pool, for the top_n shops")


class ProgramOut(BaseModel):
    id: str
    market: str
    name: str
    description: str
    starts_at: datetime
    ends_at: datetime | None
    cadence: Cadence
    eligibility: ProgramEligibilityOut
    criteria: list[ProgramCriterionOut]
    benefits: list[BenefitOut]
    auto_enroll: bool
    version: int = Field(description="the latest version (it may apply only from the next period)")
    versions: list[ProgramVersionOut]
    current_period: ProgramPeriodOut | None = Field(description="the period running now, if the program is")


class ProgramMetricOut(BaseModel):
    name: str
    unit: str
    description: str
    higher_is_better: bool
    available: bool = Field(description="false: the area that reports it is not there yet; programs cannot "
                                        "name it")


class ProgramEnrollmentIn(Strict):
    shop_id: IdStr


class ProgramExclusionIn(Strict):
    shop_id: IdStr
    reason: str = Field(max_length=2000)


class ProgramClawbackIn(Strict):
    shop_id: IdStr
    period: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="a date in the period (YYYY-MM-DD)")]
    reason: str = Field(max_length=2000)


class ProgramEnrollmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    program_id: str
    shop_id: str
    status: EnrollmentStatus
    source: str
    enrolled_at: datetime
    excluded_at: datetime | None
    reason: str | None


class ProgramStandingOut(BaseModel):
    shop_id: str
    qualifies: bool
    metrics: dict[str, MetricValue] = Field(description="each figure the program reads, by metric name")
    needed: dict[str, MetricValue] = Field(description="per criterion: how far the figure is from its bound (0: met)")
    explanation: str
    benefit: EarnedBenefit | None = Field(description="null when the shop does not qualify")
    clawed_back: bool = False


class ProgramStandingsOut(BaseModel):
    program_id: str
    period: ProgramPeriodOut
    status: PeriodStatus
    version: int
    items: list[ProgramStandingOut]


class ProgramClawbackOut(BaseModel):
    program_id: str
    shop_id: str
    period: ProgramPeriodOut
    reason: str
    reversed: Money | None = Field(description="everything taken back, as one negative benefit entry: the reward "
                                               "and what the fee discount saved so far (null: nothing to book)")
    reward_reversed: Money | None = Field(description="the reward part of `reversed`")
    fees_saved_reversed: Money | None = Field(description="the part of `reversed` the fee discount had saved")
    fee_discount_withdrawn: bool = Field(description="the discount earned in the period no longer applies from now")
    ledger_entry_id: str | None
