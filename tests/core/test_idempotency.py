"""core.idempotency.run_once on its own, with an operation of no particular area: any area's write can be made
idempotent with it. The checkout and refund routes are tested through HTTP in tests/orders."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from marketcast.core import clock, idempotency
from marketcast.core.db import unit_of_work
from marketcast.core.errors import Conflict, DomainError
from marketcast.core.idempotency import IdempotencyKey, Outcome
from marketcast.core.ids import new_id
from marketcast.core.outbox import OutboxEvent


def _note(session, note: str) -> OutboxEvent:
    """A row written by the operation (any table would do; an outbox row needs no other area)."""
    event = OutboxEvent(id=new_id("evt"), type="test.noted", occurred_at=clock.now(), data={"note": note},
                        dispatched=False)
    session.add(event)
    return event


def _emit(note: str):
    def operation(session):
        return 201, {"event_id": _note(session, note).id, "note": note}
    return operation


def _count(db, model) -> int:
    with db(write=False) as s:
        return s.scalar(select(func.count()).select_from(model))


def _once(key, note="a", user_id="usr_a", name="POST /notes", operation=None):
    """One request: its own unit of work, committed when the operation succeeds, rolled back when it raises."""
    with unit_of_work() as session:
        return idempotency.run_once(session, user_id=user_id, key=key, operation_name=name, body={"note": note},
                                    operation=operation or _emit(note))


def test_a_second_run_replays_the_first_answer_and_writes_nothing(db):
    first = _once("k1")
    again = _once("k1")
    assert first.status == again.status == 201 and not first.replayed and again.replayed
    assert again.body == first.body
    assert _count(db, OutboxEvent) == 1


def test_another_body_another_operation_or_another_user(db):
    _once("k1")
    with pytest.raises(DomainError) as reused:
        _once("k1", note="b")
    assert reused.value.code == "idempotency_key_reused" and reused.value.field == "Idempotency-Key"
    with pytest.raises(DomainError):
        _once("k1", name="POST /other")
    assert not _once("k1", user_id="usr_b").replayed  # keys are per user
    assert _count(db, OutboxEvent) == 2


def test_a_failed_operation_gives_its_key_back(db):
    def fails(session):
        _note(session, "lost")
        raise Conflict("not now", code="out_of_stock")

    with pytest.raises(Conflict):
        _once("k1", operation=fails)
    assert _count(db, IdempotencyKey) == 0 and _count(db, OutboxEvent) == 0  # nothing half-written
    assert not _once("k1").replayed


def test_the_last_writes_run_after_the_answer_is_stored_and_their_failure_undoes_all(db):
    seen = []

    def last_fails(session):
        seen.append(session.scalar(select(IdempotencyKey.state)))  # the answer is stored already
        raise Conflict("sold out", code="out_of_stock")

    def operation(session):
        return Outcome(201, {"event_id": _note(session, "x").id}, last=last_fails)

    with pytest.raises(Conflict):
        _once("k1", operation=operation)
    assert seen == ["done"] and _count(db, IdempotencyKey) == 0 and _count(db, OutboxEvent) == 0
    assert not _once("k1").replayed


@pytest.mark.parametrize("key", [None, "", "  ", "x" * 256, "tab\there"])
def test_a_key_is_required_and_printable(db, key):
    with pytest.raises(DomainError) as bad:
        _once(key)
    assert bad.value.code in ("idempotency_key_required", "invalid_idempotency_key")
    assert _count(db, OutboxEvent) == 0


@pytest.mark.slow
def test_parallel_runs_of_one_key_write_once_and_all_get_its_answer(db):
    """Twelve threads, each its own connection: the first claims the key, the others wait on its unique index
    (PostgreSQL) or for the write lock (SQLite) and then replay what it stored."""
    barrier = threading.Barrier(12)

    def one(_):
        barrier.wait(timeout=30)
        answer = _once("same")
        return answer.body["event_id"], answer.replayed

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(one, range(12)))
    assert len({event_id for event_id, _ in answers}) == 1 and _count(db, OutboxEvent) == 1
    assert sorted(replayed for _, replayed in answers) == [False] + [True] * 11
