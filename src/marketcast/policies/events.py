"""What the policies area announces: a version scheduled, withdrawn before it took effect, or now in effect."""

from pydantic import Field

from marketcast.core.events import EventPayload, Instant, event_type
from marketcast.policies.values import PolicyValueOut


class PolicyVersionEvent(EventPayload):
    version_id: str
    key: str = Field(description="Policy key, such as creator.affiliate.min_followers")
    market: str | None = Field(description="Market code, or null for the global version")
    value: PolicyValueOut = Field(description="The version's value, in the form the key's registry entry declares")
    effective_from: Instant


@event_type("policy.scheduled")
class PolicyScheduled(PolicyVersionEvent):
    """A policy version was scheduled to take effect from a date (now or later)."""


@event_type("policy.withdrawn")
class PolicyWithdrawn(PolicyVersionEvent):
    """A scheduled policy version was withdrawn before it took effect."""

    reason: str


@event_type("policy.effective")
class PolicyEffective(PolicyVersionEvent):
    """A policy version took effect (announced by the worker once its time came)."""

    previous_value: PolicyValueOut = Field(description="The value in force just before, or the key's default")
