"""Idempotency-Key: a retried request returns the first response and creates nothing new.

The caller claims the key in its own short committed transaction (`claim`), runs the operation in a
second transaction that also stores the response (`finish`), and on failure gives the key back
(`release`) so a later retry may succeed. Uniqueness is the database's: a unique (user_id, key) index
and INSERT … ON CONFLICT DO NOTHING, never a read-then-insert. See docs/adr/0008."""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.db import upsert_insert
from marketcast.core.errors import Conflict, DomainError, Invalid
from marketcast.core.ids import new_id
from marketcast.core.settings import get_settings
from marketcast.orders.models import IdempotencyKey

HEADER = "Idempotency-Key"
# A claim still in progress after this long belongs to a request that died (killed process); another
# retry may take it over. The claim token keeps the slow original from finishing after a takeover.
IN_PROGRESS_LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class Claim:
    id: str
    token: str


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, Any]


class KeyRequired(DomainError):
    status = 400
    code = "idempotency_key_required"
    title = "Idempotency-Key required"


def check_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise KeyRequired(f"send an {HEADER} header (a unique value per intended request, e.g. a UUID)",
                          field=HEADER)
    key = key.strip()
    if len(key) > 255 or not key.isprintable():
        raise Invalid(f"{HEADER} must be 1 to 255 printable characters", code="invalid_idempotency_key",
                      field=HEADER)
    return key


def request_hash(operation: str, body: dict[str, Any]) -> str:
    """Hash of the canonical JSON of the parsed body: key order and whitespace do not make a new request."""
    canonical = json.dumps({"op": operation, "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _take_over(session: Session, row: IdempotencyKey, *, request_hash: str) -> Claim | None:
    """Re-claim an expired or abandoned row, guarded by its old claim token so only one retry wins."""
    token = secrets.token_hex(16)
    result = session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == row.id, IdempotencyKey.claim == row.claim)
        .values(state="in_progress", claim=token, request_hash=request_hash, response_status=None,
                response_body=None, claimed_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return Claim(row.id, token) if result.rowcount == 1 else None


def claim(session: Session, *, user_id: str, key: str, request_hash: str) -> Claim | Replay:
    """Claim `key` for this request, or the stored response of the earlier identical request.

    409 idempotency_in_progress while the first is still running; 422 idempotency_key_reused when the key
    came with another body."""
    now = clock.now()
    ttl = timedelta(hours=get_settings().idempotency_ttl_hours)
    for _ in range(3):  # the row can vanish between our insert and our read (its request failed and released it)
        token = secrets.token_hex(16)
        stmt = (upsert_insert(session, IdempotencyKey)
                .values(id=new_id("idk"), user_id=user_id, key=key, request_hash=request_hash, state="in_progress",
                        claim=token, claimed_at=now)
                .on_conflict_do_nothing(index_elements=["user_id", "key"])
                .returning(IdempotencyKey.id))
        new = session.execute(stmt).scalar_one_or_none()
        if new is not None:
            return Claim(new, token)
        row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                          IdempotencyKey.key == key))
        if row is None:
            continue
        if row.claimed_at <= now - ttl:  # forgotten: a new request
            taken = _take_over(session, row, request_hash=request_hash)
            if taken:
                return taken
            raise _in_progress()
        if row.request_hash != request_hash:
            raise Invalid(f"this {HEADER} was already used for a different request; use a new key",
                          code="idempotency_key_reused", field=HEADER)
        if row.state == "done":
            return Replay(row.response_status or 200, row.response_body or {})
        if row.claimed_at <= now - IN_PROGRESS_LEASE:
            taken = _take_over(session, row, request_hash=request_hash)
            if taken:
                return taken
        raise _in_progress()
    raise _in_progress()


def _in_progress() -> Conflict:
    return Conflict(f"a request with this {HEADER} is still being processed; retry shortly",
                    code="idempotency_in_progress", field=HEADER)


def finish(session: Session, claimed: Claim, *, status: int, body: dict[str, Any]) -> None:
    """Store the response in the operation's own transaction. Raises if the claim was taken over, so the
    operation rolls back instead of creating a second result."""
    result = session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == claimed.id, IdempotencyKey.claim == claimed.token,
               IdempotencyKey.state == "in_progress")
        .values(state="done", response_status=status, response_body=body)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _in_progress()


def release(session: Session, claimed: Claim) -> None:
    session.execute(delete(IdempotencyKey)
                    .where(IdempotencyKey.id == claimed.id, IdempotencyKey.claim == claimed.token)
                    .execution_options(synchronize_session=False))


def purge_expired(session: Session) -> int:
    """Forget keys older than the TTL (housekeeping; an expired key is treated as new anyway)."""
    cutoff = clock.now() - timedelta(hours=get_settings().idempotency_ttl_hours)
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.claimed_at <= cutoff)
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0
