"""core.idempotency.run_once on its own, with an operation of no particular area: any area's write can be made
idempotent with it. The checkout and refund routes are tested through HTTP in tests/orders."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from marketcast.core import idempotency, outbox
from marketcast.core.errors import Conflict, DomainError
from marketcast.core.idempotency import IdempotencyKey
from marketcast.core.outbox import OutboxEvent
from marketcast.markets.events import MarketCreated


def _event(note: str) -> MarketCreated:
    return MarketCreated(market="ZZ", name=note, currency="USD", timezone="UTC", status="planned",
                         launch_window=None, reason=note)


def _emit(note: str):
    def operation(session):
        event = outbox.emit(session, _event(note))
        return 201, {"event_id": event.id, "note": note}
    return operation


def _count(db, model) -> int:
    with db(write=False) as s:
        return s.scalar(select(func.count()).select_from(model))


def _once(key, note="a", user_id="usr_a", name="POST /notes", operation=None):
    return idempotency.run_once(user_id=user_id, key=key, operation_name=name, body={"note": note},
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
        outbox.emit(session, _event("lost"))
        raise Conflict("not now", code="not_now")

    with pytest.raises(Conflict):
        _once("k1", operation=fails)
    assert _count(db, IdempotencyKey) == 0 and _count(db, OutboxEvent) == 0  # nothing half-written
    assert not _once("k1").replayed


@pytest.mark.parametrize("key", [None, "", "  ", "x" * 256, "tab\there"])
def test_a_key_is_required_and_printable(db, key):
    with pytest.raises(DomainError) as bad:
        _once(key)
    assert bad.value.code in ("idempotency_key_required", "invalid_idempotency_key")
    assert _count(db, OutboxEvent) == 0


@pytest.mark.slow
def test_parallel_runs_of_one_key_write_once(db):
    barrier = threading.Barrier(12)

    def one(_):
        barrier.wait(timeout=30)
        try:
            return _once("same").body["event_id"]
        except Conflict as busy:  # the first still running: the client retries later
            assert busy.code == "idempotency_in_progress"
            return None

    with ThreadPoolExecutor(max_workers=12) as pool:
        ids = {event_id for event_id in pool.map(one, range(12)) if event_id}
    assert len(ids) == 1 and _count(db, OutboxEvent) == 1
