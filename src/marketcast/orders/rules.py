"""Pure rules of orders: which moves are allowed, how a checkout's lines fold, what a refund may take back."""

from collections.abc import Iterable
from typing import Any

from marketcast.core.errors import Conflict, Invalid

# Products a buyer can order from. Anything else (draft, hidden, banned…) is product_not_live.
SELLABLE_PRODUCT_STATUSES = ("live",)

MOVES = {
    "ship": ("paid", "shipped"),
    "deliver": ("shipped", "delivered"),
    "complete": ("delivered", "completed"),
    "cancel": ("pending_payment", "cancelled"),
}
REFUNDABLE = ("paid", "shipped", "delivered", "completed")


def check_move(order_id: str, status: str, action: str) -> str:
    """The status after `action`, or 409 invalid_order_status."""
    source, target = MOVES[action]
    if status != source:
        raise Conflict(f"order {order_id} is {status}; {action} needs an order that is {source}",
                       code="invalid_order_status", status_now=status)
    return target


def fold_lines(lines: Iterable[tuple[str, int] | tuple[str, int, str | None]]) -> dict[tuple[str, str | None], int]:
    """Quantities per (SKU, deal) in first-seen order: two lines of one SKU (and one deal, or none) reserve (and
    become) one line. A SKU bought both from a deal and at its regular price is refused (the deal's stock and
    the SKU's are locked in opposite orders by a deal's end and by such a checkout)."""
    quantities: dict[tuple[str, str | None], int] = {}
    plain: set[str] = set()
    dealt: set[str] = set()
    for index, line in enumerate(lines):
        sku_id, quantity = line[0], line[1]
        deal_id = line[2] if len(line) > 2 else None
        (dealt if deal_id else plain).add(sku_id)
        if sku_id in plain and sku_id in dealt:
            raise Invalid(f"SKU {sku_id} is bought from a deal and at its regular price in one order",
                          code="deal_line_mixed", field=f"lines.{index}.deal_id", sku_id=sku_id)
        key = (sku_id, deal_id)
        quantities[key] = quantities.get(key, 0) + quantity
    return quantities


def check_skus(quantities: dict[str, int], views: dict[str, Any]) -> Any:
    """All SKUs known, of products that are live, of one shop and one currency; returns the first view."""
    for sku_id in quantities:
        if sku_id not in views:
            raise Invalid(f"SKU {sku_id} does not exist", code="unknown_sku", field="lines", sku_id=sku_id)
    first = views[next(iter(quantities))]
    for sku_id in quantities:
        view = views[sku_id]
        if view.product_status not in SELLABLE_PRODUCT_STATUSES:
            raise Invalid(f"SKU {sku_id} belongs to product {view.product_id}, which is {view.product_status}, "
                          "not live", code="sku_not_on_sale", field="lines", sku_id=sku_id)
        if view.shop_id != first.shop_id:
            raise Invalid(f"SKU {sku_id} is sold by another shop than SKU {first.sku_id}: one order, one shop",
                          code="mixed_shops", field="lines", sku_id=sku_id)
        if view.currency != first.currency or view.market != first.market:
            raise Invalid(f"SKU {sku_id} is priced in another market or currency than SKU {first.sku_id}",
                          code="mixed_currencies", field="lines", sku_id=sku_id)
    return first


def refund_quantities(lines_by_id: dict[str, Any], requested: list[tuple[str, int]]) -> dict[str, int]:
    """Quantity to refund per order line; 422 at `lines.N.…` when line N names a foreign line or takes back
    more than was bought and not yet refunded (counting earlier entries of the same request)."""
    taken: dict[str, int] = {}
    for index, (line_id, quantity) in enumerate(requested):
        line = lines_by_id.get(line_id)
        if line is None:
            raise Invalid(f"line {line_id} is not a line of this order", code="line_not_found",
                          field=f"lines.{index}.line_id")
        left = line.quantity - line.refunded_quantity - taken.get(line_id, 0)
        if quantity > left:
            raise Invalid(f"line {line_id} has {left} unit(s) left to refund, not {quantity}",
                          code="refund_exceeds_quantity", field=f"lines.{index}.quantity")
        taken[line_id] = taken.get(line_id, 0) + quantity
    return taken


MAX_CARRIER, MAX_TRACKING = 60, 80


def check_shipment(carrier: str | None, tracking_number: str | None) -> tuple[str, str]:
    """The carrier and tracking number of a shipment, trimmed; 422 naming the field when one is missing or odd."""
    carrier, tracking = (carrier or "").strip(), (tracking_number or "").strip()
    if not carrier:
        raise Invalid("name the carrier (UPS, USPS, DHL…)", code="carrier_required", field="carrier")
    if len(carrier) > MAX_CARRIER or not carrier.isprintable():
        raise Invalid(f"the carrier is at most {MAX_CARRIER} printable characters", field="carrier")
    if not tracking:
        raise Invalid("give the parcel's tracking number", code="tracking_number_required", field="tracking_number")
    if len(tracking) > MAX_TRACKING or not all(c.isascii() and (c.isalnum() or c in " -") for c in tracking):
        raise Invalid(f"a tracking number is letters, digits, spaces and dashes, at most {MAX_TRACKING}",
                      field="tracking_number")
    return carrier, tracking
