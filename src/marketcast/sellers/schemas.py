"""What the sellers API takes and gives. Input is strict (extra fields, NUL characters, impossible dates
and out-of-range numbers are a 422) so nothing odd reaches the database."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from marketcast.core import clock
from marketcast.core.fields import IsoDate, MarketCode, WholeNumber, no_nul
from marketcast.core.money import Money
from marketcast.policies.service import PolicyValueIn, PolicyValueOut


def _past_date(value: date) -> date:
    if value.year < 1900 or value > clock.now().date():
        raise ValueError("must be a date between 1900 and today")
    return value


def _trimmed(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


Name = Annotated[str, _trimmed(200), AfterValidator(no_nul)]
Place = Annotated[str, _trimmed(100), AfterValidator(no_nul)]
TaxId = Annotated[str, _trimmed(64), AfterValidator(no_nul)]
PostalCode = Annotated[str, _trimmed(20), AfterValidator(no_nul)]


Email = Annotated[EmailStr, Field(max_length=254), AfterValidator(no_nul)]
Phone = Annotated[str, Field(min_length=4, max_length=32, pattern=r"^\+?[0-9 ().\-]+$",
                             examples=["+1 (555) 010-2030"])]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"])]
BirthDate = Annotated[IsoDate, AfterValidator(_past_date)]
Reason = Annotated[str, _trimmed(500), AfterValidator(no_nul)]


class EntityType(StrEnum):
    INDIVIDUAL = "individual"
    SOLE_PROPRIETORSHIP = "sole_proprietorship"
    COMPANY = "company"


class ShopType(StrEnum):
    """A local shop ships from the market; a cross-border one from abroad."""

    LOCAL = "local"
    CROSS_BORDER = "cross_border"


class ShopMode(StrEnum):
    """pop: the merchant operates the shop; managed: the platform does, the merchant supplies stock."""

    POP = "pop"
    MANAGED = "managed"


class ApplicationStatus(StrEnum):
    """Open until an operator approves or rejects it (a rule-rejected one opens again when the rules pass)."""

    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"


class ApplicationOutcome(StrEnum):
    """The rules' verdict on an application, as of its last judgement."""

    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"


class EligibilityRule(StrEnum):
    """A rule an application is judged by."""

    MARKET_LIVE = "market_live"
    REPRESENTATIVE_AGE = "representative_age"
    CONTACT_UNIQUE = "contact_unique"
    LOCAL_BUSINESS_ADDRESS = "local_business_address"
    CROSS_BORDER_EXTERNAL_GMV = "cross_border_external_gmv"


class RejectedBy(StrEnum):
    """rules: a reviewer confirmed an ineligible verdict; reviewer: an eligible application was turned down."""

    RULES = "rules"
    REVIEWER = "reviewer"


class ExternalPlatform(StrEnum):
    AMAZON = "amazon"
    EBAY = "ebay"
    WALMART = "walmart"
    OWN_SITE = "own_site"
    OTHER = "other"


class DocumentType(StrEnum):
    ID_CARD = "id_card"
    BUSINESS_LICENCE = "business_licence"
    W9 = "w9"
    BANK_STATEMENT = "bank_statement"
    OTHER = "other"


class ShopStatus(StrEnum):
    """A new shop is on probation until it has served its days and paid orders; suspended by an operator."""

    PROBATION = "probation"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactIn(Strict):
    email: Email
    phone: Phone


class OwnerIn(Strict):
    name: Name
    date_of_birth: BirthDate
    ownership_bp: WholeNumber = Field(ge=1, le=10000, description="share in basis points (2500 = 25%)")


class SellerIn(Strict):
    legal_name: Name
    entity_type: EntityType
    country: MarketCode
    tax_id: TaxId
    beneficial_owners: list[OwnerIn] = Field(default_factory=list, max_length=20)
    contact: ContactIn


class ContactOut(BaseModel):
    email: str
    phone: str


class OwnerOut(BaseModel):
    name: str
    date_of_birth: date
    ownership_bp: int = Field(description="share in basis points (2500 = 25%)")


class SellerOut(BaseModel):
    id: str
    owner_user_id: str
    legal_name: str
    entity_type: EntityType
    country: str
    tax_id: str
    beneficial_owners: list[OwnerOut]
    contact: ContactOut
    created_at: datetime


class RepresentativeIn(Strict):
    name: Name
    date_of_birth: BirthDate


class AddressIn(Strict):
    country: MarketCode
    line1: Name
    line2: Name | None = None
    city: Place
    region: Place | None = None
    postal_code: PostalCode


class RepresentativeOut(BaseModel):
    name: str
    date_of_birth: date


class AddressOut(BaseModel):
    country: str
    line1: str
    line2: str | None = None
    city: str
    region: str | None = None
    postal_code: str


class MoneyIn(Strict):
    amount: int = Field(ge=0, le=10**15, description="minor units")
    currency: Currency


class ExternalRecordIn(Strict):
    platform: ExternalPlatform
    annual_gmv: MoneyIn
    rating: Decimal | None = Field(None, ge=0, le=5, decimal_places=2, description="store rating, 0 to 5")
    months_trading: int | None = Field(None, ge=0, le=1200)


class ApplicationIn(Strict):
    market: MarketCode
    shop_type: ShopType
    mode: ShopMode = ShopMode.POP
    shop_name: Name | None = Field(None, description="defaults to the seller's legal name")
    representative: RepresentativeIn
    contact: ContactIn
    business_address: AddressIn
    external_records: list[ExternalRecordIn] = Field(default_factory=list, max_length=20)


class RuleResultOut(BaseModel):
    rule: EligibilityRule
    passed: bool
    compared: dict[str, Any]
    policy_key: str | None = None
    policy_version_id: str | None
    policy_effective_from: str | None = None
    detail: str


class NextStepOut(BaseModel):
    """What an applicant can do while the market is not live yet."""

    action: str = Field(examples=["join the waitlist"])
    market: str
    launch_window: str | None


class DecisionOut(BaseModel):
    outcome: ApplicationOutcome
    rules: list[RuleResultOut]
    next_step: NextStepOut | None = None
    policy_versions: list[str]
    evaluated_at: datetime


class ExternalRecordOut(BaseModel):
    platform: ExternalPlatform
    annual_gmv: Money
    rating: float | None
    months_trading: int | None


class ApplicationOut(BaseModel):
    id: str
    seller_id: str
    market: str
    shop_type: ShopType
    mode: ShopMode
    shop_name: str
    representative: RepresentativeOut
    contact: ContactOut
    business_address: AddressOut
    external_records: list[ExternalRecordOut]
    status: ApplicationStatus
    rejected_by: RejectedBy | None
    outcome: ApplicationOutcome
    decision: DecisionOut
    shop_id: str | None
    created_at: datetime
    updated_at: datetime


class ApplicationSummary(BaseModel):
    id: str
    seller_id: str
    market: str
    shop_type: ShopType
    mode: ShopMode
    shop_name: str
    status: ApplicationStatus
    outcome: ApplicationOutcome
    failed_rules: list[EligibilityRule]
    evaluated_at: datetime
    shop_id: str | None
    created_at: datetime


class ExplanationOut(DecisionOut):
    application_id: str
    status: ApplicationStatus
    explanation: list[str]


class ApproveIn(Strict):
    reason: Reason
    override_rules: list[EligibilityRule] = Field(default_factory=list, max_length=5)


class RejectIn(Strict):
    reason: Reason


class ReevaluateIn(Strict):
    market: MarketCode


class SimulateIn(Strict):
    market: MarketCode
    key: str = Field(max_length=100, examples=["seller.cross_border.min_external_gmv"])
    value: PolicyValueIn
    at: datetime | None = Field(None, description="judge as of this time (default now)")


class SimulatedFlip(BaseModel):
    application_id: str
    shop_name: str
    shop_type: ShopType
    to: ApplicationOutcome
    from_: ApplicationOutcome = Field(alias="from")


class SimulateOut(BaseModel):
    market: str
    key: str
    value: PolicyValueOut
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
    type: DocumentType
    file_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class ShopOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    seller_id: str
    market: str
    name: str
    shop_type: ShopType
    mode: ShopMode
    status: ShopStatus
    paid_orders: int
    application_id: str | None
    probation_started_at: datetime | None
    activated_at: datetime | None
    created_at: datetime


class ShopHistoryLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    what: str
    status: ShopStatus
    reason: str = ""
    by: str = ""


class ShopReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)
