"""Idempotency-Key for any area's writes: a retried request returns the first response and creates nothing new.

`run_once` is the whole flow, in the caller's one transaction: claim the key (`claim`), run the operation, store
its response (`finish`); a failure rolls the claim back with everything else, so a later retry may succeed.
(`release` gives back a claim that was committed on its own, for flows that must commit before they finish.) Uniqueness
is the database's: a unique (user_id, key) index and INSERT … ON CONFLICT DO NOTHING, never a read-then-insert.
An HTTP route uses it through `core.web_deps.respond_once`. See docs/adr/0008."""

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Integer, String, UniqueConstraint, bindparam, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketcast.core import clock
from marketcast.core.db import Base, IdColumn, JSONType, UTCDateTime, insert_for, rowcount
from marketcast.core.errors import Conflict, DomainError, Invalid
from marketcast.core.ids import new_id
from marketcast.core.settings import get_settings


class IdempotencyKey(Base):
    """A client's Idempotency-Key: claimed in_progress, then done with the response to replay."""

    __tablename__ = "idempotency_keys"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    user_id: Mapped[str] = mapped_column(IdColumn)
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12))  # in_progress | done
    # Random per claim: only the request that holds the claim may finish it (see idempotency.finish).
    claim: Mapped[str] = mapped_column(String(32))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),)


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


@dataclass(frozen=True)
class Answer:
    """What an idempotent operation answered: a status and a JSON body; `replayed` when it is the stored one."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


class Outcome(NamedTuple):
    """What an operation returns: the status and JSON body to answer, and optionally `last`, its guarded writes on
    contended rows (a hot SKU's stock), which run after the answer is stored, right before the commit, so that
    their row locks are held for as short a time as the database allows. A plain (status, body) pair will do."""

    status: int
    body: dict[str, Any]
    last: Callable[[Session], None] | None = None


# An operation runs in the transaction it is given.
Operation = Callable[[Session], Outcome | tuple[int, dict[str, Any]]]


class KeyRequired(DomainError):
    status = 400
    code = "idempotency_key_required"


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
    return Claim(row.id, token) if rowcount(result) == 1 else None


def claim(session: Session, *, user_id: str, key: str, request_hash: str) -> Claim | Replay:
    """Claim `key` for this request, or the stored response of the earlier identical request.

    409 idempotency_in_progress while the first is still running; 422 idempotency_key_reused when the key
    came with another body."""
    now = clock.now()
    ttl = timedelta(hours=get_settings().idempotency_ttl_hours)
    for _ in range(3):  # the row can vanish between our insert and our read (its request failed and released it)
        token = secrets.token_hex(16)
        new = session.execute(_claim_insert(session.get_bind().dialect.name), {
            "id": new_id("idk"), "user_id": user_id, "key": key, "request_hash": request_hash,
            "state": "in_progress", "claim": token, "claimed_at": now}).scalar_one_or_none()
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


@cache
def _claim_insert(dialect: str):
    """`INSERT … ON CONFLICT (user_id, key) DO NOTHING RETURNING id`, built once per database: every idempotent
    write runs it, and the parameters name the columns."""
    table = IdempotencyKey.__table__
    return (insert_for(dialect, table).on_conflict_do_nothing(index_elements=["user_id", "key"])
            .returning(table.c.id))


def claim_new(session: Session, asks: list[tuple[str, str, str]]) -> dict[tuple[str, str], Claim]:
    """Claim many (user id, key, request hash) at once, each user at most once (a batched checkout): (user id,
    key) -> its claim, for the keys nobody had used. The others are absent: their request goes through `claim`
    (a replay, a reused key, one still in progress)."""
    now, rows = clock.now(), list[dict[str, Any]]()
    for user_id, key, hashed in asks:
        rows.append({"id": new_id("idk"), "user_id": user_id, "key": key, "request_hash": hashed,
                     "state": "in_progress", "claim": secrets.token_hex(16), "claimed_at": now})
    if not rows:
        return {}
    new = set(session.scalars(_claim_insert(session.get_bind().dialect.name), rows))  # one statement for all
    return {(row["user_id"], row["key"]): Claim(row["id"], row["claim"]) for row in rows if row["id"] in new}


def _in_progress() -> Conflict:
    return Conflict(f"a request with this {HEADER} is still being processed; retry shortly",
                    code="idempotency_in_progress", field=HEADER)


def finish(session: Session, claimed: Claim, *, status: int, body: dict[str, Any]) -> None:
    """Store the response in the operation's own transaction. Raises if the claim was taken over, so the
    operation rolls back instead of creating a second result."""
    result = session.execute(_FINISH, {"b_id": claimed.id, "b_claim": claimed.token, "b_status": status,
                                       "b_body": body})
    if rowcount(result) != 1:
        raise _in_progress()


# Built once, on the table (Core), not the entity: every idempotent write runs it, and the ORM's bulk-update path
# (identity map synchronisation, ORM compile state) cost more CPU than the statement itself.
_KEYS = IdempotencyKey.__table__
_FINISH = (update(_KEYS)
           .where(_KEYS.c.id == bindparam("b_id"), _KEYS.c.claim == bindparam("b_claim"),
                  _KEYS.c.state == "in_progress")
           .values(state="done", response_status=bindparam("b_status"),
                   response_body=bindparam("b_body", type_=_KEYS.c.response_body.type)))


def finish_many(session: Session, answers: list[tuple[Claim, int, dict[str, Any]]]) -> None:
    """`finish` for claims this transaction made (`claim_new`), in one statement run for many rows."""
    if not answers:
        return
    result = session.execute(_FINISH, [{"b_id": c.id, "b_claim": c.token, "b_status": status, "b_body": body}
                                       for c, status, body in answers])
    if rowcount(result) != len(answers):
        raise _in_progress()


def release_many(session: Session, claims: list[Claim]) -> None:
    if claims:
        session.execute(delete(_KEYS).where(_KEYS.c.id.in_([c.id for c in claims])))


def release(session: Session, claimed: Claim) -> None:
    session.execute(delete(IdempotencyKey)
                    .where(IdempotencyKey.id == claimed.id, IdempotencyKey.claim == claimed.token)
                    .execution_options(synchronize_session=False))


def purge_expired(session: Session) -> int:
    """Forget keys older than the TTL (housekeeping; an expired key is treated as new anyway)."""
    cutoff = clock.now() - timedelta(hours=get_settings().idempotency_ttl_hours)
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.claimed_at <= cutoff)
                             .execution_options(synchronize_session=False))
    return rowcount(result)


def run_once(session: Session, *, user_id: str, key: str | None, operation_name: str, body: dict[str, Any],
             operation: Operation) -> Answer:
    """Run `operation` at most once per user and key, in the caller's transaction: claim the key, run the
    operation, store its answer; the caller commits all of it at once, or rolls all of it back (a failed operation
    then leaves no claim behind, and a retry may succeed). While the first request's transaction is open, a
    second one with the same key waits on the key's unique index (PostgreSQL; SQLite has one writer anyway) and
    then replays the stored answer. `operation_name` and `body` (the parsed request, as JSON) make the
    fingerprint: the same key with another body or another operation is 422 idempotency_key_reused, never the
    other request's answer. One transaction, not a committed claim before the work: one commit (one WAL flush)
    per request instead of two, see docs/adr/0013."""
    key = check_key(key)
    claimed = claim(session, user_id=user_id, key=key, request_hash=request_hash(operation_name, body))
    if isinstance(claimed, Replay):
        return Answer(claimed.status, claimed.body, replayed=True)
    outcome = Outcome(*operation(session))
    finish(session, claimed, status=outcome.status, body=outcome.body)
    if outcome.last is not None:
        outcome.last(session)
    return Answer(outcome.status, outcome.body)
