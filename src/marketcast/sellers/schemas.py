"""What the sellers API takes and gives. Input is strict (extra fields, NUL characters, impossible dates
and out-of-range numbers are a 422) so nothing odd reaches the database."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from marketcast.core import clock
from marketcast.core.fields import IsoDate, WholeNumber


def _no_nul(value: str) -> str:
    if "\x00" in value:  # PostgreSQL text cannot hold NUL
        raise ValueError("must not contain a NUL character")
    return value


def _past_date(value: date) -> date:
    if value.year < 1900 or value > clock.now().date():
        raise ValueError("must be a date between 1900 and today")
    return value


def Text(max_length: int) -> Any:  # noqa: N802 - reads like a type
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length),
                     AfterValidator(_no_nul)]


Email = Annotated[EmailStr, Field(max_length=254), AfterValidator(_no_nul)]
Phone = Annotated[str, Field(min_length=4, max_length=32, pattern=r"^\+?[0-9 ().\-]+$",
                             examples=["+1 (555) 010-2030"])]
Country = Annotated[str, Field(pattern=r"^[A-Za-z]{2}$", description="ISO 3166 alpha-2", examples=["US"])]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"])]
BirthDate = Annotated[IsoDate, AfterValidator(_past_date)]
Reason = Text(500)
EntityType = Literal["individual", "sole_proprietorship", "company"]
ShopType = Literal["local", "cross_border"]
Mode = Literal["pop", "managed"]
AppStatus = Literal["open", "approved", "rejected"]
Outcome = Literal["eligible", "ineligible"]
RuleName = Literal["market_live", "representative_age", "contact_unique", "local_business_address",
                   "cross_border_external_gmv"]
Platform = Literal["amazon", "ebay", "walmart", "own_site", "other"]
DocType = Literal["id_card", "business_licence", "w9", "bank_statement", "other"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactIn(Strict):
    email: Email
    phone: Phone


class OwnerIn(Strict):
    name: Text(200)
    date_of_birth: BirthDate
    ownership_bp: WholeNumber = Field(ge=1, le=10000, description="share in basis points (2500 = 25%)")


class SellerIn(Strict):
    legal_name: Text(200)
    entity_type: EntityType
    country: Country
    tax_id: Text(64)
    beneficial_owners: list[OwnerIn] = Field(default_factory=list, max_length=20)
    contact: ContactIn


class ContactOut(BaseModel):
    email: str
    phone: str


class SellerOut(BaseModel):
    id: str
    owner_user_id: str
    legal_name: str
    entity_type: str
    country: str
    tax_id: str
    beneficial_owners: list[dict[str, Any]]
    contact: ContactOut
    created_at: datetime


class RepresentativeIn(Strict):
    name: Text(200)
    date_of_birth: BirthDate


class AddressIn(Strict):
    country: Country
    line1: Text(200)
    line2: Text(200) | None = None
    city: Text(100)
    region: Text(100) | None = None
    postal_code: Text(20)


class MoneyIn(Strict):
    amount: int = Field(ge=0, le=10**15, description="minor units")
    currency: Currency


class ExternalRecordIn(Strict):
    platform: Platform
    annual_gmv: MoneyIn
    rating: Decimal | None = Field(None, ge=0, le=5, decimal_places=2, description="store rating, 0 to 5")
    months_trading: int | None = Field(None, ge=0, le=1200)


class ApplicationIn(Strict):
    market: Country
    shop_type: ShopType
    mode: Mode = "pop"
    shop_name: Text(200) | None = Field(None, description="defaults to the seller's legal name")
    representative: RepresentativeIn
    contact: ContactIn
    business_address: AddressIn
    external_records: list[ExternalRecordIn] = Field(default_factory=list, max_length=20)


class RuleResultOut(BaseModel):
    rule: str
    passed: bool
    compared: dict[str, Any]
    policy_key: str | None = None
    policy_version_id: str | None
    policy_effective_from: str | None = None
    detail: str


class DecisionOut(BaseModel):
    outcome: str
    rules: list[RuleResultOut]
    next_step: dict[str, Any] | None = None
    policy_versions: list[str]
    evaluated_at: datetime


class ExternalRecordOut(BaseModel):
    platform: str
    annual_gmv: dict[str, Any]
    rating: float | None
    months_trading: int | None


class ApplicationOut(BaseModel):
    id: str
    seller_id: str
    market: str
    shop_type: str
    mode: str
    shop_name: str
    representative: dict[str, Any]
    contact: ContactOut
    business_address: dict[str, Any]
    external_records: list[ExternalRecordOut]
    status: str
    rejected_by: str | None
    outcome: str
    decision: DecisionOut
    shop_id: str | None
    created_at: datetime
    updated_at: datetime


class ApplicationSummary(BaseModel):
    id: str
    seller_id: str
    market: str
    shop_type: str
    mode: str
    shop_name: str
    status: str
    outcome: str
    failed_rules: list[str]
    evaluated_at: datetime
    shop_id: str | None
    created_at: datetime


class ExplanationOut(DecisionOut):
    application_id: str
    status: str
    explanation: list[str]


class ApproveIn(Strict):
    reason: Reason
    override_rules: list[RuleName] = Field(default_factory=list, max_length=5)


class RejectIn(Strict):
    reason: Reason


class ReevaluateIn(Strict):
    market: Country


class SimulateIn(Strict):
    market: Country
    key: str = Field(max_length=100, examples=["seller.cross_border.min_external_gmv"])
    value: Any = Field(description="a value of the key, as in a policy version (money: {amount, currency}; none: null)")
    at: datetime | None = Field(None, description="judge as of this time (default now)")


class SimulatedFlip(BaseModel):
    application_id: str
    shop_name: str
    shop_type: str
    to: str
    from_: str = Field(alias="from")


class SimulateOut(BaseModel):
    market: str
    key: str
    value: Any
    at: datetime
    evaluated: int
    would_become_eligible: int
    would_become_ineligible: int
    examples: list[SimulatedFlip]


class ReevaluateOut(BaseModel):
    evaluated: int
    now_eligible: int
    no_longer_eligible: int


class DocumentOut(BaseModel):
    id: str
    type: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


ShopStatus = Literal["probation", "active", "suspended", "closed"]


class ShopOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    seller_id: str
    market: str
    name: str
    shop_type: str
    mode: str
    status: str
    paid_orders: int
    application_id: str | None
    probation_started_at: datetime | None
    activated_at: datetime | None
    created_at: datetime


class ShopHistoryLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    what: str
    status: str
    reason: str = ""
    by: str = ""


class ShopReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)
