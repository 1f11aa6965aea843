"""What the creators area announces: a new creator profile, and each move of its affiliate status."""

from pydantic import Field

from marketcast.core.events import EventPayload, Instant, event_type
from marketcast.creators.schemas import AffiliateStatus


@event_type("creator.created")
class CreatorCreated(EventPayload):
    """A creator profile was created in a market, judged at once."""

    creator_id: str
    user_id: str
    market: str
    handle: str
    affiliate_status: AffiliateStatus | None


@event_type("creator.affiliate_status_changed")
class CreatorAffiliateStatusChanged(EventPayload):
    """A creator's affiliate status moved (a follower update, a policy change, a suspension)."""

    creator_id: str
    user_id: str
    market: str
    handle: str
    old_status: AffiliateStatus
    new_status: AffiliateStatus
    rule: str | None = Field(description="The rule that made the move")
    policy_key: str | None
    policy_version_id: str | None
    policy_versions: list[str] = Field(description="The policy versions the judgement used")
    trigger: str | None
    at: Instant
