"""What the catalog area announces: products on and off the listing, and stock set by a seller."""

from enum import StrEnum

from pydantic import Field

from marketcast.catalog.schemas import ProductStatus
from marketcast.core.events import EventPayload, event_type
from marketcast.core.money import Money


class DelistedBy(StrEnum):
    """Who took a product off the listing."""

    SHOP = "shop"
    OPERATOR = "operator"


@event_type("product.published")
class ProductPublished(EventPayload):
    """A product went live in its market (listed and open to checkout)."""

    product_id: str
    shop_id: str
    market: str
    title: str
    min_price: Money = Field(description="The lowest price among its SKUs")


@event_type("product.delisted")
class ProductDelisted(EventPayload):
    """A live product was taken off the listing and out of checkout (by its shop, or by an operator with a
    reason)."""

    product_id: str
    shop_id: str
    market: str
    reason: str | None = Field(None, description="Why, when an operator delisted it")
    by: DelistedBy = DelistedBy.SHOP


@event_type("product.updated")
class ProductUpdated(EventPayload):
    """A product's title, description, prices or SKUs changed (its status did not)."""

    product_id: str
    shop_id: str
    market: str
    title: str
    status: ProductStatus
    min_price: Money = Field(description="The lowest price among its SKUs")


@event_type("inventory.changed")
class InventoryChanged(EventPayload):
    """A seller set the units available of a SKU (checkout reservations and sales announce nothing)."""

    sku_id: str
    product_id: str
    shop_id: str
    available: int
