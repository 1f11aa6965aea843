"""The transactional outbox: an event is a row written in the same transaction as the change
that causes it, so it exists exactly when the change does. The webhooks worker delivers it."""

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, String, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketcast.core import clock
from marketcast.core.db import Base, IdColumn, JSONType, UTCDateTime
from marketcast.core.ids import new_id


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


def emit(session: Session, type: str, data: dict[str, Any], *, market: str | None = None) -> OutboxEvent:
    event = OutboxEvent(id=new_id("evt"), type=type, occurred_at=clock.now(), market=market, data=data,
                        dispatched=False)
    session.add(event)
    return event


def emit_many(session: Session, events: list[tuple[str, dict[str, Any], str | None]]) -> int:
    """Many events, (type, data, market) each, written with one bulk INSERT: for set-based passes that may
    emit thousands at once, where adding ORM objects one by one would cost a round trip per row."""
    if not events:
        return 0
    when = clock.now()
    rows = [{"id": new_id("evt"), "type": type_, "occurred_at": when, "market": market, "data": data,
             "dispatched": False} for type_, data, market in events]
    session.execute(insert(OutboxEvent), rows)
    return len(rows)
