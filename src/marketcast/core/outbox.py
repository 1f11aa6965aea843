"""The transactional outbox: an event is a row written in the same transaction as the change
that causes it, so it exists exactly when the change does. The webhooks worker delivers it."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, String, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketcast.core import bulk, clock, events
from marketcast.core.db import Base, IdColumn, JSONType, UTCDateTime
from marketcast.core.events import EventPayload
from marketcast.core.ids import new_id, new_ids


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    market: Mapped[str | None] = mapped_column(String(2))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    dispatched: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_outbox_undispatched", "dispatched", "id"),)

    def envelope(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "occurred_at": self.occurred_at.isoformat(), "data": self.data}


def emit(session: Session, payload: EventPayload, *, market: str | None = None) -> OutboxEvent:
    """Write one event in the session's transaction; its type is the one its payload model is registered for."""
    event = new_event(payload, market=market)
    session.add(event)
    return event


def new_event(payload: EventPayload, *, market: str | None = None) -> OutboxEvent:
    """The event `emit` writes, not yet in a session (for core.inserts.insert_new on a hot path)."""
    return OutboxEvent(id=new_id("evt"), type=events.type_of(payload), occurred_at=clock.now(), market=market,
                       data=payload.as_data(), dispatched=False)


def emit_many(session: Session, items: Iterable[tuple[EventPayload, str | None]]) -> int:
    """Many events, (payload, market) each, written with one bulk INSERT: for set-based passes that may
    emit thousands at once, where adding ORM objects one by one would cost a round trip per row."""
    rows = _rows(items)
    if not rows:
        return 0
    session.execute(insert(OutboxEvent), rows)
    return len(rows)


def emit_bulk(session: Session, items: Iterable[tuple[EventPayload, str | None]]) -> int:
    """As `emit_many`, the same rows, for passes that emit thousands of events per statement: written by
    core.bulk (a COPY on PostgreSQL, the same bulk INSERT elsewhere)."""
    rows = _rows(items)
    bulk.insert_rows(session, OutboxEvent.__table__, rows)
    return len(rows)


def _rows(items: Iterable[tuple[EventPayload, str | None]]) -> list[dict[str, Any]]:
    when = clock.now()
    return [{"id": new_id("evt"), "type": events.type_of(payload), "occurred_at": when, "market": market,
             "data": payload.as_data(), "dispatched": False} for payload, market in items]


def emit_encoded(session: Session, model: type[EventPayload], items: list[tuple[str | None, str]]) -> int:
    """Many events of one registered type, (market, data) each with the data already encoded as JSON text,
    written with core.bulk (COPY on PostgreSQL): for passes that announce hundreds of thousands of moves and
    build the text from a template. The text must be what `payload.as_data()` of a valid payload dumps to."""
    if not items:
        return 0
    name = model.event_type
    if not name or events.type_of(model.model_construct()) != name:
        raise TypeError(f"{model.__qualname__} is not a registered event payload (use @event_type)")
    when = clock.now()
    ids = new_ids("evt", len(items))
    bulk.copy_rows(session, OutboxEvent.__table__, ("id", "type", "occurred_at", "market", "data", "dispatched"),
                     ((event_id, name, when, market, data, False)
                      for event_id, (market, data) in zip(ids, items, strict=True)))
    return len(items)
