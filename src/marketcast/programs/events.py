"""What the programs area announces: a period closed (with how many shops qualified) and each shop that
qualified, with its figures and benefit; a benefit clawed back."""

from pydantic import Field

from marketcast.core.events import EventPayload, Instant, event_type
from marketcast.programs.schemas import EarnedBenefit, MetricValue


class PeriodEvent(EventPayload):
    program_id: str
    market: str
    period_start: Instant
    period_end: Instant
    version: int = Field(description="the program version the period was judged by")


@event_type("program.period_closed")
class ProgramPeriodClosed(PeriodEvent):
    """A program's period closed: every enrolled shop's standing is final."""

    enrolled: int
    qualified: int


@event_type("program.shop_qualified")
class ProgramShopQualified(PeriodEvent):
    """A shop met every criterion of a closed period: its figures, and the benefit it gets."""

    shop_id: str
    metrics: dict[str, MetricValue] = Field(description="each figure the program reads, by metric name")
    benefit: EarnedBenefit | None


@event_type("program.benefit_clawed_back")
class ProgramBenefitClawedBack(PeriodEvent):
    """An operator clawed back a shop's benefit of a period (fake orders): the reward is booked back, the fee
    discount withdrawn."""

    shop_id: str
    reason: str
    reward_reversed: int = Field(description="minor units taken back (0: none)")
    currency: str
