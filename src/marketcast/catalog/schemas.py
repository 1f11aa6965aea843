"""What the catalog API takes and gives. Limits keep every number inside a 64-bit column, so a huge
value is a 422 here and never an overflow in the database."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from marketcast.core.fields import WholeNumber, no_nul
from marketcast.core.money import Money


class ProductStatus(StrEnum):
    """A product is bought only while live; a delisted one may be published again by its shop."""

    DRAFT = "draft"
    LIVE = "live"
    DELISTED = "delisted"


MAX_AMOUNT = 10**12  # minor units: ten billion dollars, far above any one price
MAX_STOCK = 10**9
MAX_SKUS = 50

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL: refuse it here (422) rather than fail in the database


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(no_nul)]
SkuCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), AfterValidator(no_nul)]
AttrKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), AfterValidator(no_nul)]
AttrValue = Annotated[str, StringConstraints(max_length=100), AfterValidator(no_nul)]
Description = Annotated[str, StringConstraints(max_length=5000), AfterValidator(no_nul)]


class PriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: WholeNumber = Field(gt=0, le=MAX_AMOUNT, description="minor units (cents for USD)")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="must be the shop's market currency")


class SkuIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: SkuCode = Field(description="unique within the product, e.g. TSHIRT-M")
    price: PriceIn
    stock: WholeNumber = Field(0, ge=0, le=MAX_STOCK, description="units available to sell")
    attributes: dict[AttrKey, AttrValue] = Field(default_factory=dict, max_length=20, examples=[{"size": "M"}])


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description = ""
    skus: list[SkuIn] = Field(min_length=1, max_length=MAX_SKUS)


class SkuPriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku_id: str = Field(max_length=32)
    amount: int = Field(gt=0, le=MAX_AMOUNT, description="minor units, in the product's currency")


class ProductUpdateIn(BaseModel):
    """Only what is sent changes. SKUs are never removed (orders refer to them); stock moves through PATCH /skus."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = None
    prices: list[SkuPriceIn] = Field(default_factory=list, max_length=MAX_SKUS)
    new_skus: list[SkuIn] = Field(default_factory=list, max_length=MAX_SKUS)


class DelistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=500, description="required when an operator delists")


class StockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    available: WholeNumber = Field(ge=0, le=MAX_STOCK, description="units on hand and free to sell")
    expected_available: WholeNumber | None = Field(
        None, ge=0, le=MAX_STOCK,
        description="compare-and-set: change only if `available` is still this (else 409 `stock_changed` with the "
                    "current counters)")


class SkuOut(BaseModel):
    id: str
    code: str
    price: Money
    attributes: dict[str, str]
    available: int


class SkuStockOut(BaseModel):
    id: str
    product_id: str
    code: str
    price: Money
    available: int
    reserved: int | None = Field(description="units held by unpaid orders; null unless you own the shop or operate "
                                             "its market")
    sold: int | None = Field(description="units sold; null unless you own the shop or operate its market")


class ProductOut(BaseModel):
    id: str
    shop_id: str
    market: str
    title: str
    description: str
    status: ProductStatus
    min_price: Money = Field(description="the cheapest SKU's price")
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class ProductDetailOut(ProductOut):
    skus: list[SkuOut]

