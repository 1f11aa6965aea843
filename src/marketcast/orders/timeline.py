"""An order's history for people: what happened to it and when, from its own columns, payments and refunds
(no event table to keep in step)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marketcast.core.money import Money


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    what: str
    detail: str = ""


def timeline(detail: Any) -> list[TimelineEntry]:
    """What happened to an order, oldest first: placed, each payment attempt, shipped, delivered, each refund,
    cancelled."""
    order = detail.order
    lines = [TimelineEntry(order.created_at, "placed", f"{sum(line.quantity for line in detail.lines)} unit(s)")]
    lines += [TimelineEntry(p.finished_at or p.created_at, f"payment {p.status}",
                          f"card ending {p.card_last4}" + (f": {p.decline_code}" if p.decline_code else ""))
               for p in detail.payments]
    if order.shipped_at:
        lines.append(TimelineEntry(order.shipped_at, "shipped", f"{order.carrier} {order.tracking_number}"))
    if order.delivered_at:
        lines.append(TimelineEntry(order.delivered_at, "delivered"))
    lines += [TimelineEntry(r.created_at, "refunded", f"{Money(amount=r.amount, currency=r.currency)} by {r.actor}"
                          + (", restocked" if r.restock else "")) for r in detail.refunds]
    if order.status == "cancelled":
        lines.append(TimelineEntry(order.updated_at, "cancelled", order.cancel_reason or ""))
    if order.status == "completed":
        lines.append(TimelineEntry(order.updated_at, "completed"))
    return sorted(lines, key=lambda e: e.at)
