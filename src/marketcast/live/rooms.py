"""What a LIVE session's room is told, and when: each message is queued on the transaction that made the change
and sent after its commit (core.realtime.publish_after_commit), never for a change that was rolled back.

Messages (`{type, seq, data}`, ADR 0017): `pin` (the pinned product, or null), `bag` (the bag's products in
order), `deal` (one deal's state: status counting_down / open / sold_out / ended, units left, times; a newer one
replaces an older one still waiting for a slow viewer; moves the worker makes on time reach the rooms through Redis,
or, without it, through live/watch.py), `purchase` (the ticker: product, SKU, quantity, deal;
never who bought), `ended` (the session ended or was cancelled). `viewers` comes from the rooms themselves."""

from typing import Any

from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.realtime import hub, publish_after_commit

_PREFIX = "live:"


def room_of(session_id: str) -> str:
    return f"{_PREFIX}{session_id}"


def session_of(room: str) -> str | None:
    return room[len(_PREFIX):] if room.startswith(_PREFIX) else None


def told_status(session_id: str, deal_id: str) -> str | None:
    """The status in the newest `deal` message with one that this process's room of the session still keeps."""
    for message in reversed(hub().kept(room_of(session_id))):
        if message.latest == f"deal:{deal_id}" and "status" in message.data:
            return message.data["status"]
    return None


def pinned(session: Session, *, session_id: str, product_id: str | None) -> None:
    publish_after_commit(session, room_of(session_id), "pin", {"product_id": product_id}, latest="pin")


def bag_changed(session: Session, *, session_id: str, product_ids: list[str]) -> None:
    publish_after_commit(session, room_of(session_id), "bag", {"product_ids": product_ids}, latest="bag")


def deal_changed(session: Session, *, session_id: str, deal: dict[str, Any]) -> None:
    publish_after_commit(session, room_of(session_id), "deal", deal, latest=f"deal:{deal['id']}")


def deal_moved(*, session_id: str, deal: dict[str, Any]) -> None:
    """A committed move this process learnt of from the database (live/watch.py): published now, to its rooms."""
    hub().publish_sync(room_of(session_id), "deal", deal, latest=f"deal:{deal['id']}")


def units_left(session: Session, *, session_id: str, deal_id: str, units_left: int) -> None:
    """A deal's units after a checkout took some: coalesced with the deal's other waiting updates."""
    publish_after_commit(session, room_of(session_id), "deal", {"id": deal_id, "units_left": units_left},
                         latest=f"deal:{deal_id}")


def purchased(session: Session, *, session_id: str, product_id: str, sku_id: str, quantity: int,
              deal_id: str | None) -> None:
    publish_after_commit(session, room_of(session_id), "purchase",
                         {"product_id": product_id, "sku_id": sku_id, "quantity": quantity, "deal_id": deal_id,
                          "at": clock.now()})


def ended(session: Session, *, session_id: str, status: str) -> None:
    publish_after_commit(session, room_of(session_id), "ended", {"status": status, "at": clock.now()})
