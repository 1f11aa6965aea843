"""Room messages that services publish: sent once the transaction that made the change has committed.

A viewer must never see a pin, a deal or a purchase that was rolled back, and must see what was committed:
`publish_after_commit` only queues on the Session; after its commit the queue is sent (in order), after a
rollback (of the whole transaction, or of the savepoint it was queued in) it is dropped. Sending cannot undo the
commit, so a failure to send is logged, not raised: the viewers' next snapshot is right either way."""

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from marketcast.core.realtime.messages import jsonable

log = logging.getLogger("marketcast.realtime")
_PENDING = "marketcast.realtime.pending"


def publish_after_commit(session: Session, room: str, type: str, data: dict[str, Any], *,
                         latest: str | None = None) -> None:
    """Queue `{type, seq, data}` for `room`, to be published when `session` commits (seq is given then).
    `latest` names a value a newer message replaces in a slow viewer's queue (see core.realtime.queue)."""
    if not session.in_transaction():
        # Begun now, so that a rollback before any statement (none would begin it by itself) still drops this.
        session.begin()
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((transaction, room, type, jsonable(data), latest))


def pending(session: Session) -> list[tuple[str, str, dict[str, Any]]]:
    """What is queued on `session` (room, type, data), for tests and diagnostics."""
    return [(room, type, data) for _, room, type, data, _ in session.info.get(_PENDING, [])]


@event.listens_for(Session, "after_commit")
def _send(session: Session) -> None:
    queued = session.info.pop(_PENDING, None)
    if not queued:
        return
    from marketcast.core.realtime import hub

    try:
        hub().publish_many_sync([(room, type, data, latest) for _, room, type, data, latest in queued])
    except Exception:
        log.exception("publishing %s to room %s failed after the commit", queued[0][2], queued[0][1])


@event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous: SessionTransaction) -> None:
    queued = session.info.get(_PENDING)
    if not queued:
        return
    if not previous.nested:
        session.info.pop(_PENDING, None)
        return
    session.info[_PENDING] = [entry for entry in queued if not _within(entry[0], previous)]


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit (closed): nothing it queued is sent. After a commit the
    # queue is already empty.
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_PENDING, None)


def _within(transaction: SessionTransaction | None, savepoint: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is savepoint:
            return True
        transaction = transaction.parent
    return False
