"""Reports out of the API. Amounts are money objects {"amount" (minor units), "currency"}."""

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field, model_serializer

from marketcast.core.money import Money


class GmvGroupBy(StrEnum):
    """What one line of a GMV report is: a day, a shop, a market, a creator or a collaboration."""

    DAY = "day"
    SHOP = "shop"
    MARKET = "market"
    CREATOR = "creator"
    COLLABORATION = "collaboration"


_KEYS = ("day", "shop_id", "market", "creator_id", "collaboration_id")


class GmvRowOut(BaseModel):
    """One report line. Exactly one of day, shop_id, market, creator_id, collaboration_id is present: the one
    named by group_by (creator and collaboration count attributed order lines only)."""

    day: date | None = None
    shop_id: str | None = None
    market: str | None = None
    creator_id: str | None = None
    collaboration_id: str | None = None
    currency: str
    gmv: Money = Field(description="line amounts of orders paid on these days")
    refunds: Money = Field(description="refunds made on these days, whatever the day of the sale")
    net_gmv: Money = Field(description="gmv - refunds")
    orders: int = Field(description="orders paid")
    units: int = Field(description="units sold on those orders")
    units_refunded: int = Field(description="units refunded on these days")

    @model_serializer(mode="wrap")
    def _only_the_key_in_use(self, handler):
        # The two keys not chosen by group_by are left out rather than sent as null.
        data = handler(self)
        return {k: v for k, v in data.items() if v is not None or k not in _KEYS}

    @classmethod
    def of(cls, row, group_by: str) -> "GmvRowOut":
        def money(amount: int) -> Money:
            return Money(amount=amount, currency=row.currency)

        key = {"day": "day", "shop": "shop_id", "market": "market", "creator": "creator_id",
               "collaboration": "collaboration_id"}[group_by]
        return cls(**{key: row.key}, currency=row.currency, gmv=money(row.gmv), refunds=money(row.refunds),
                   net_gmv=money(row.net_gmv), orders=row.orders, units=row.units, units_refunded=row.units_refunded)


class GmvReportOut(BaseModel):
    items: list[GmvRowOut]
    next_page_token: str | None = None
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    group_by: GmvGroupBy

    model_config = {"populate_by_name": True}


class TrailingGmvOut(BaseModel):
    shop_id: str
    days: int
    net_gmv: Money
