"""What the creators API takes and gives. Input is strict (extra fields are a 422)."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from marketcast.core.fields import IsoDate, MarketCode, WholeNumber
from marketcast.core.pagination import Page


class AffiliateStatus(StrEnum):
    """A creator's standing in the affiliate program, derived from the policies in force (suspended: by an
    operator)."""

    INELIGIBLE = "ineligible"
    PILOT = "pilot"
    ACTIVE = "active"
    SUSPENDED = "suspended"


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreatorIn(Strict):
    market: MarketCode
    handle: str = Field(max_length=64, description="2..30 of a-z, 0-9, '.' and '_' (upper case is lowered)",
                        examples=["maya.makes"])
    date_of_birth: IsoDate


class FollowersIn(Strict):
    count: WholeNumber = Field(ge=0, le=10**11)
    as_of: datetime = Field(description="when the platform counted them; not in the future")


class ReasonIn(Strict):
    reason: Reason


class ReevaluateIn(Strict):
    market: MarketCode


class CreatorOut(BaseModel):
    id: str
    user_id: str
    handle: str
    market: str
    date_of_birth: date
    followers: int
    followers_as_of: datetime | None
    affiliate_status: AffiliateStatus
    pilot_started_at: datetime | None
    graduated_at: datetime | None
    suspended_at: datetime | None
    suspend_reason: str | None
    status_changed_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, c) -> "CreatorOut":
        return cls.model_validate(c, from_attributes=True)


class CreatorPage(Page[CreatorOut]):
    counts: dict[AffiliateStatus, int] = Field(description="creators of each status matching market and q")


class RuleOut(BaseModel):
    rule: str
    passed: bool
    compared: dict[str, Any]
    policy_key: str | None
    policy_version_id: str | None
    policy_effective_from: str | None = None
    detail: str


class EligibilityOut(BaseModel):
    creator_id: str
    at: datetime
    status: AffiliateStatus
    rules: list[RuleOut]
    policy_versions: list[str]
    explanation: list[str]


class StatusChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    from_status: AffiliateStatus | None
    to_status: AffiliateStatus
    rule: str | None
    rules: list[RuleOut]
    policy_versions: list[str]
    trigger: str | None
    reason: str | None
    actor_email: str | None
    at: datetime


class CreatorsReevaluateOut(BaseModel):
    market: str
    evaluated: int
    moved: int
    moves: dict[str, int] = Field(description='how many moved each way, e.g. {"ineligible->pilot": 812}')


class RejectedRowOut(BaseModel):
    line: int
    code: str
    field: str
    reason: str


class ImportOut(BaseModel):
    written: int
    rejected: list[RejectedRowOut]
