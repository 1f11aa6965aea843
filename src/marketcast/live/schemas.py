"""What the live API takes and gives. Limits that are policies (bag size, countdown, duration) are checked by the
service against the values in force; the bounds here are only against abuse."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from marketcast.core.fields import WholeNumber
from marketcast.core.money import Money
from marketcast.live.metrics import Figures
from marketcast.live.rules import DEFAULT_BUCKETS

IdStr = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_]+$")]


class SessionStatus(StrEnum):
    """A session is scheduled, goes live, and ends; a scheduled one may be cancelled instead."""

    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


class DealStatus(StrEnum):
    """A deal waits (scheduled), counts down, opens, may sell out (and reopen when units come back), and ends."""

    SCHEDULED = "scheduled"
    COUNTING_DOWN = "counting_down"
    OPEN = "open"
    SOLD_OUT = "sold_out"
    ENDED = "ended"


class HostKind(StrEnum):
    """Who hosts a LIVE: a shop broadcasting itself, or a creator."""

    SHOP = "shop"
    CREATOR = "creator"



def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_no_nul)]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(_no_nul)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HostIn(Strict):
    """Exactly one: the shop that broadcasts itself, or the creator who hosts."""

    shop_id: IdStr | None = None
    creator_id: IdStr | None = None

    @model_validator(mode="after")
    def _one(self) -> "HostIn":
        if bool(self.shop_id) == bool(self.creator_id):
            raise ValueError("give either shop_id or creator_id")
        return self


class LiveSessionIn(Strict):
    market: str = Field(min_length=2, max_length=2)
    title: Title
    host: HostIn
    scheduled_start: datetime
    playback_url: Url = Field(description="where viewers watch: any streaming service's playback URL")


class BagProductIn(Strict):
    product_id: IdStr


class BagOrderIn(Strict):
    product_ids: list[IdStr] = Field(max_length=1000)


class PinIn(Strict):
    product_id: IdStr | None = Field(description="the product of the bag to pin; null unpins")


class HostOut(BaseModel):
    kind: HostKind
    shop_id: str | None
    creator_id: str | None


class BagItemOut(BaseModel):
    product_id: str
    position: int


class LiveSessionOut(BaseModel):
    id: str
    market: str
    title: str
    status: SessionStatus
    host: HostOut
    playback_url: str
    scheduled_start: datetime
    started_at: datetime | None
    ended_at: datetime | None
    pinned_product_id: str | None
    bag: list[BagItemOut]
    created_at: datetime

    @classmethod
    def of(cls, live, bag) -> "LiveSessionOut":
        return cls(id=live.id, market=live.market, title=live.title, status=live.status,
                   host=HostOut(kind=live.host_kind, shop_id=live.shop_id, creator_id=live.creator_id),
                   playback_url=live.playback_url, scheduled_start=live.scheduled_start, started_at=live.started_at,
                   ended_at=live.ended_at, pinned_product_id=live.pinned_product_id,
                   bag=[BagItemOut(product_id=i.product_id, position=i.position) for i in bag],
                   created_at=live.created_at)


class LiveSessionSummaryOut(BaseModel):
    id: str
    market: str
    title: str
    status: SessionStatus
    host: HostOut
    scheduled_start: datetime
    started_at: datetime | None

    @classmethod
    def of(cls, live) -> "LiveSessionSummaryOut":
        return cls(id=live.id, market=live.market, title=live.title, status=live.status,
                   host=HostOut(kind=live.host_kind, shop_id=live.shop_id, creator_id=live.creator_id),
                   scheduled_start=live.scheduled_start, started_at=live.started_at)


class DealPriceIn(Strict):
    amount: WholeNumber = Field(gt=0, le=10**12, description="minor units (cents for USD)")
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class DealIn(Strict):
    sku_id: IdStr
    deal_price: DealPriceIn
    allotment: WholeNumber = Field(ge=1, le=1_000_000, description="units taken from the SKU's stock for the deal")
    per_buyer_limit: WholeNumber = Field(ge=1, le=99)
    countdown_seconds: WholeNumber = Field(ge=1, le=3600, description="within live.flash_deal.countdown_seconds_"
                                           "min..max")
    duration_minutes: WholeNumber = Field(ge=1, le=1440, description="at most live.flash_deal.max_duration_minutes")
    starts_at: datetime | None = Field(None, description="when the countdown starts; without it, the host starts "
                                       "the deal (POST /live/deals/{id}/start)")
    stock_buckets: WholeNumber = Field(DEFAULT_BUCKETS, ge=1, le=64,
                                       description="rows the units are split over, so that buyers do not all "
                                       "queue on one (at most one per unit); 1: a single guarded row "
                                       "(docs/adr/0016)")


class DealOut(BaseModel):
    id: str
    session_id: str
    product_id: str
    sku_id: str
    status: DealStatus = Field(description="as of now (the clock), even before the worker has moved it")
    deal_price: Money
    regular_price: Money
    allotment: int
    units_left: int
    sold: int = Field(description="units in orders that stand (pending payment or paid)")
    returned: int = Field(description="units given back to the SKU's stock after the deal ended")
    per_buyer_limit: int
    countdown_seconds: int
    duration_minutes: int
    unpaid_expiry_minutes: int
    starts_at: datetime | None
    opens_at: datetime | None
    ends_at: datetime | None
    seconds_remaining: int | None
    stock_buckets: int

    @classmethod
    def of(cls, deal, snap: dict[str, Any]) -> "DealOut":
        return cls(id=deal.id, session_id=deal.session_id, product_id=deal.product_id, sku_id=deal.sku_id,
                   status=snap["status"], deal_price=Money(amount=deal.deal_price, currency=deal.currency),
                   regular_price=Money(amount=deal.regular_price, currency=deal.currency), allotment=deal.allotment,
                   units_left=snap["units_left"], sold=snap["sold"], returned=deal.returned,
                   per_buyer_limit=deal.per_buyer_limit, countdown_seconds=deal.countdown_seconds,
                   duration_minutes=deal.duration_minutes, unpaid_expiry_minutes=deal.unpaid_expiry_minutes,
                   starts_at=deal.starts_at, opens_at=deal.opens_at, ends_at=deal.ends_at,
                   seconds_remaining=snap["seconds_remaining"], stock_buckets=deal.buckets)


# --- figures (docs/adr/0023) ----------------------------------------------------------------------------------

class LiveReportGroup(StrEnum):
    session = "session"
    host = "host"
    day = "day"


class FiguresOut(BaseModel):
    """TikTok Shop's LIVE core stats (views = watch_pv; CTR = product clicks / views; click-to-order = paid
    orders / product clicks; GPM = GMV per 1,000 views), and effective live time: minutes live with at least one
    product in the bag and at least one viewer present."""

    views: int
    unique_viewers: int
    viewers_now: int
    peak_concurrent_viewers: int
    average_concurrent_viewers: float
    average_watch_seconds: float = Field(description="viewing time per unique viewer")
    product_impressions: int
    product_clicks: int
    ctr: float | None = Field(description="product clicks / views; null without views")
    click_to_order_rate: float | None = Field(description="paid orders / product clicks; null without clicks")
    orders: int
    gmv: Money
    gpm: Money | None = Field(description="GMV per 1,000 views; null without views")
    live_minutes: float
    effective_live_minutes: float
    sessions: int

    @classmethod
    def of(cls, f: Figures) -> "FiguresOut":
        return cls(views=f.views, unique_viewers=f.unique_viewers, viewers_now=f.viewers,
                   peak_concurrent_viewers=f.peak_viewers, average_concurrent_viewers=f.average_viewers,
                   average_watch_seconds=f.average_watch_seconds, product_impressions=f.impressions,
                   product_clicks=f.clicks, ctr=f.ctr, click_to_order_rate=f.click_to_order, orders=f.orders,
                   gmv=Money(amount=f.gmv, currency=f.currency),
                   gpm=None if f.gpm is None else Money(amount=f.gpm, currency=f.currency),
                   live_minutes=f.live_minutes, effective_live_minutes=f.effective_live_minutes, sessions=f.sessions)


class SessionFiguresOut(FiguresOut):
    session_id: str


class ClickIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_]+$")


class ReportRowOut(BaseModel):
    key: str = Field(description="the session id, the host (shop:<id> or creator:<id>) or the day")
    market: str
    figures: FiguresOut


class LiveReportOut(BaseModel):
    group_by: LiveReportGroup
    items: list[ReportRowOut]
