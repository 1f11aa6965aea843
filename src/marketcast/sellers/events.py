"""What the sellers area announces: sellers, their applications (and each re-judgement), and their shops."""

from pydantic import Field

from marketcast.core.events import EventPayload, event_type
from marketcast.sellers.schemas import (
    ApplicationOutcome,
    ApplicationStatus,
    EligibilityRule,
    EntityType,
    RejectedBy,
    ShopMode,
    ShopStatus,
    ShopType,
)


@event_type("seller.created")
class SellerCreated(EventPayload):
    """A seller profile was created (a business or individual that may apply for shops)."""

    seller_id: str
    owner_user_id: str
    country: str
    entity_type: EntityType


class ApplicationEvent(EventPayload):
    application_id: str
    seller_id: str
    market: str
    shop_type: ShopType
    mode: ShopMode
    status: ApplicationStatus
    outcome: ApplicationOutcome = Field(description="The rules' verdict")
    failed_rules: list[EligibilityRule]


@event_type("application.submitted")
class ApplicationSubmitted(ApplicationEvent):
    """A seller applied for a shop in a market; the rules judged it at once."""


@event_type("application.approved")
class ApplicationApproved(ApplicationEvent):
    """An operator approved an application; its shop exists (see shop.created)."""

    shop_id: str
    reason: str
    overridden_rules: list[EligibilityRule] = Field(description="Failed rules the reviewer approved over")


@event_type("application.rejected")
class ApplicationRejected(ApplicationEvent):
    """An operator rejected an open application."""

    reason: str
    rejected_by: RejectedBy = Field(description="rules: confirming an ineligible verdict")


class ApplicationRejudged(EventPayload):
    application_id: str
    seller_id: str
    market: str
    shop_type: ShopType
    status: ApplicationStatus
    from_outcome: ApplicationOutcome = Field(alias="from")
    to: ApplicationOutcome
    failed_rules: list[EligibilityRule]
    policy_versions: list[str] = Field(description="The policy versions the new verdict used")
    trigger: str


@event_type("application.now_eligible")
class ApplicationNowEligible(ApplicationRejudged):
    """A policy change made an application eligible (a rule-rejected one is open again)."""


@event_type("application.no_longer_eligible")
class ApplicationNoLongerEligible(ApplicationRejudged):
    """A policy change made an open application ineligible."""


@event_type("shop.created")
class ShopCreated(EventPayload):
    """A shop was opened on an approved application."""

    shop_id: str
    seller_id: str
    market: str
    shop_type: ShopType
    mode: ShopMode
    status: ShopStatus = Field(description="probation or active")
    application_id: str


@event_type("shop.graduated")
class ShopGraduated(EventPayload):
    """A probation shop served its days and paid orders and is active now."""

    shop_id: str
    seller_id: str
    market: str
    paid_orders: int
    probation_days: int
    probation_orders: int


class ShopStatusChange(EventPayload):
    shop_id: str
    seller_id: str
    market: str
    status: ShopStatus = Field(description="The shop's status after the change")
    from_status: ShopStatus
    reason: str


@event_type("shop.suspended")
class ShopSuspended(ShopStatusChange):
    """An operator suspended a shop: it cannot sell (checkout refuses it) until reinstated."""


@event_type("shop.reinstated")
class ShopReinstated(ShopStatusChange):
    """An operator reinstated a suspended shop, in the status it was suspended from."""
