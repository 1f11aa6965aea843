"""Room messages that services publish: sent once the transaction that made the change has committed.

A viewer must never see a pin, a deal or a purchase that was rolled back, and must see what was committed:
`publish_after_commit` only queues on the Session; after its commit the queue is sent (in order), after a
rollback (of the whole transaction, or of the savepoint it was queued in) it is dropped. Sending cannot undo the
commit, so a failure to send is logged, not raised: the viewers' next snapshot is right either way.

`call_after_commit` queues a function on the same terms (a process-wide mark that must only say what the
database holds, such as the live area's sold-out gate): run after the commit, before the messages are sent,
dropped with the transaction or savepoint it was queued in, its failure logged."""

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from marketcast.core.realtime.messages import jsonable

log = logging.getLogger("marketcast.realtime")
_PENDING = "marketcast.realtime.pending"

# (the transaction it was queued in, room, type, data, latest) for a message; (transaction, action) for a call.
_Entry = tuple[Any, ...]


def _queue(session: Session, entry: tuple[Any, ...]) -> None:
    if not session.in_transaction():
        # Begun now, so that a rollback before any statement (none would begin it by itself) still drops this.
        session.begin()
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((transaction, *entry))


def publish_after_commit(session: Session, room: str, type: str, data: dict[str, Any], *,
                         latest: str | None = None) -> None:
    """Queue `{type, seq, data}` for `room`, to be published when `session` commits (seq is given then).
    `latest` names a value a newer message replaces in a slow viewer's queue (see core.realtime.queue)."""
    _queue(session, (room, type, jsonable(data), latest))


def call_after_commit(session: Session, action: Callable[[], Any]) -> None:
    """Run `action()` once `session` commits, never if what it was queued in rolls back."""
    _queue(session, (action,))


def pending(session: Session) -> list[tuple[str, str, dict[str, Any]]]:
    """The messages queued on `session` (room, type, data), for tests and diagnostics."""
    return [(entry[1], entry[2], entry[3]) for entry in session.info.get(_PENDING, []) if len(entry) == 5]


@event.listens_for(Session, "after_commit")
def _send(session: Session) -> None:
    queued: list[_Entry] | None = session.info.pop(_PENDING, None)
    if not queued:
        return
    messages = []
    for entry in queued:
        if len(entry) == 2:
            try:
                entry[1]()
            except Exception:
                log.exception("an after-commit action (%r) failed", entry[1])
        else:
            messages.append(entry[1:])
    if not messages:
        return
    from marketcast.core.realtime import hub

    try:
        hub().publish_many_sync(messages)
    except Exception:
        log.exception("publishing %s to room %s failed after the commit", messages[0][1], messages[0][0])


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
