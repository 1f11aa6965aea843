"""Policies in and out of the API. Values are in their JSON form; money is {"amount", "currency"}."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from marketcast.policies.models import PolicyVersion
from marketcast.policies.registry import PolicyKey, PolicyType
from marketcast.policies.values import PolicyValueIn, PolicyValueOut

MarketCode = Field(pattern=r"^[A-Za-z]{2}$", description="Two-letter market code; null for the global version")


class PolicyVersionStatus(StrEnum):
    """A version's place in its key's timeline for its market."""

    SUPERSEDED = "superseded"
    IN_FORCE = "in_force"
    SCHEDULED = "scheduled"
    WITHDRAWN = "withdrawn"


class PolicySource(StrEnum):
    """Where a value in force comes from: the market's own version, the global one, or the key's default."""

    MARKET = "market"
    GLOBAL = "global"
    DEFAULT = "default"


class PolicyKeyOut(BaseModel):
    key: str
    type: PolicyType
    unit: str | None
    nullable: bool = Field(description="true where none (null) means 'no requirement'")
    default: PolicyValueOut
    min: int | None
    max: int | None
    choices: list[str] | None
    meaning: str

    @classmethod
    def of(cls, pk: PolicyKey) -> "PolicyKeyOut":
        return cls(key=pk.key, type=pk.type, unit=pk.unit, nullable=pk.nullable, default=pk.default, min=pk.min,
                   max=pk.max, choices=list(pk.choices) if pk.choices else None, meaning=pk.meaning)


class PolicyKeysOut(BaseModel):
    items: list[PolicyKeyOut]


class VersionOut(BaseModel):
    id: str
    key: str
    market: str | None
    value: PolicyValueOut
    effective_from: datetime
    reason: str
    set_by: str
    created_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    withdraw_reason: str | None
    announced_at: datetime | None
    status: PolicyVersionStatus | None = None

    @classmethod
    def of(cls, v: Any, status: str | None = None) -> "VersionOut":
        """From a PolicyVersion row, or a service VersionInfo / TimelineEntry (which carry their status)."""
        if isinstance(v, PolicyVersion):
            return cls(id=v.id, key=v.key, market=v.market, value=v.plain_value, effective_from=v.effective_from,
                       reason=v.reason, set_by=v.actor_email, created_at=v.created_at, withdrawn_at=v.withdrawn_at,
                       withdrawn_by=v.withdrawn_by, withdraw_reason=v.withdraw_reason, announced_at=v.announced_at,
                       status=status)
        return cls(id=v.version_id, key=v.key, market=v.market, value=v.value, effective_from=v.effective_from,
                   reason=v.reason, set_by=v.actor, created_at=v.created_at, withdrawn_at=v.withdrawn_at,
                   withdrawn_by=v.withdrawn_by, withdraw_reason=v.withdraw_reason, announced_at=v.announced_at,
                   status=getattr(v, "status", status))


class VersionsOut(BaseModel):
    # Not paginated: statuses need the whole history of one key for one market, which stays short.
    items: list[VersionOut]
    next_page_token: str | None = None


class NextOut(BaseModel):
    version_id: str
    market: str | None
    value: PolicyValueOut
    effective_from: datetime
    reason: str


class ResolvedOut(BaseModel):
    key: str
    market: str | None
    at: datetime
    value: PolicyValueOut
    version_id: str | None
    effective_from: datetime | None
    source: PolicySource
    reason: str | None
    set_by: str | None
    created_at: datetime | None
    next: NextOut | None
    explanation: str | None = None

    @classmethod
    def of(cls, r: Any, explanation: str | None = None) -> "ResolvedOut":
        nxt = r.next
        return cls(key=r.key, market=r.market, at=r.at, value=r.value, version_id=r.version_id,
                   effective_from=r.effective_from, source=r.source, reason=r.reason, set_by=r.actor,
                   created_at=r.created_at, explanation=explanation,
                   next=NextOut(version_id=nxt.version_id, market=nxt.market, value=nxt.value,
                                effective_from=nxt.effective_from, reason=nxt.reason) if nxt else None)


class InForceOut(BaseModel):
    items: list[ResolvedOut]


class ExplainOut(BaseModel):
    explanation: str
    resolved: ResolvedOut
    timeline: list[VersionOut]


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    market: str | None = MarketCode
    value: PolicyValueIn
    effective_from: datetime = Field(description="when the version takes effect; not in the past (naive means UTC)")
    reason: str = Field(min_length=1, max_length=500)


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class SimulationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    market: str = Field(pattern=r"^[A-Za-z]{2}$", examples=["US"])
    value: PolicyValueIn
    effective_from: datetime | None = Field(None, description="when it would take effect (default now; not past)")


class SimulatedMoveOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    subject_type: str = Field(description="application | creator")
    subject_id: str
    label: str = Field(description="a shop name or a handle")
    from_: str = Field(alias="from")
    to: str
    figures: dict[str, Any] = Field(description="what decided it: followers, age, external GMV …")


class SimulationOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    key: str
    market: str
    value: PolicyValueOut
    effective_from: datetime
    at: datetime = Field(description="the subjects are judged as they stand at this time, then as of effective_from")
    subject_type: str
    evaluated: int
    moved: int
    counts: dict[str, int] = Field(description='each move and how many, e.g. {"ineligible->pilot": 812}')
    sample: list[SimulatedMoveOut]
