"""What the catalog area announces: products on and off the listing, and stock set by a seller."""

from pydantic import Field

from marketcast.core.events import EventPayload, event_type
from marketcast.core.money import Money


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
    """A live product was taken off the listing and out of checkout."""

    product_id: str
    shop_id: str
    market: str


@event_type("inventory.changed")
class InventoryChanged(EventPayload):
    """A seller set the units available of a SKU (checkout reservations and sales announce nothing)."""

    sku_id: str
    product_id: str
    shop_id: str
    available: int
