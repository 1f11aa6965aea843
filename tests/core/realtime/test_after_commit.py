"""Services publish after the commit only: a rolled-back change is never announced."""

import pytest
from sqlalchemy import text

from marketcast.core import realtime
from marketcast.core.db import new_session, unit_of_work


def sent(room: str) -> list[tuple[int, str, dict]]:
    state = realtime.hub().rooms.get(room)
    return [(m.seq, m.type, m.data) for m in state.buffer] if state else []


def test_a_message_is_published_once_the_unit_of_work_commits():
    with unit_of_work() as session:
        session.execute(text("SELECT 1"))
        realtime.publish_after_commit(session, "r", "pin", {"product_id": "p1"})
        realtime.publish_after_commit(session, "r", "deal", {"units_left": 3}, latest="deal:d1:units")
        assert sent("r") == []  # not before the commit
    assert sent("r") == [(1, "pin", {"product_id": "p1"}), (2, "deal", {"units_left": 3})]
    assert realtime.hub().rooms["r"].buffer[1].latest == "deal:d1:units"


def test_nothing_is_published_on_a_rollback_nor_when_the_session_closes_without_a_commit():
    with pytest.raises(RuntimeError), unit_of_work() as session:
        realtime.publish_after_commit(session, "r", "pin", {})
        raise RuntimeError("the service failed")
    session = new_session()
    realtime.publish_after_commit(session, "r", "pin", {})
    session.close()
    assert sent("r") == []
    # The closed-without-commit queue does not leak into the next transaction of a reused session.
    session = new_session()
    realtime.publish_after_commit(session, "r", "dropped", {})
    session.rollback()
    realtime.publish_after_commit(session, "r", "kept", {})
    session.commit()
    session.close()
    assert [t for _, t, _ in sent("r")] == ["kept"]


def test_a_rolled_back_savepoint_drops_only_what_it_queued():
    with unit_of_work() as session:
        realtime.publish_after_commit(session, "r", "outer", {})
        savepoint = session.begin_nested()
        realtime.publish_after_commit(session, "r", "inner", {})
        savepoint.rollback()
        with session.begin_nested():
            realtime.publish_after_commit(session, "r", "inner-kept", {})
    assert [t for _, t, _ in sent("r")] == ["outer", "inner-kept"]


def test_the_data_is_taken_when_queued():
    data = {"units_left": 5}
    with unit_of_work() as session:
        realtime.publish_after_commit(session, "r", "deal", data)
        data["units_left"] = 0
    assert sent("r")[0][2] == {"units_left": 5}


def test_a_failure_to_send_does_not_undo_the_commit(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("redis is away")

    monkeypatch.setattr(realtime.hub(), "publish_many_sync", broken)
    with unit_of_work() as session:
        realtime.publish_after_commit(session, "r", "pin", {})
    assert "publishing pin to room r failed" in caplog.text


def test_a_call_after_commit_runs_once_committed_and_never_on_a_rollback(caplog):
    calls: list[str] = []
    with unit_of_work() as session:
        realtime.call_after_commit(session, lambda: calls.append("outer"))
        realtime.publish_after_commit(session, "r", "pin", {})
        savepoint = session.begin_nested()
        realtime.call_after_commit(session, lambda: calls.append("inner"))
        savepoint.rollback()
        assert calls == []  # not before the commit
    assert calls == ["outer"]
    assert [t for _, t, _ in sent("r")] == ["pin"]
    assert realtime.pending(session) == []  # a call is not a message
    with pytest.raises(RuntimeError), unit_of_work() as session:
        realtime.call_after_commit(session, lambda: calls.append("rolled back"))
        raise RuntimeError("the service failed")
    session = new_session()
    realtime.call_after_commit(session, lambda: calls.append("closed"))
    session.close()
    assert calls == ["outer"]

    def broken():
        raise ConnectionError("redis is away")

    with unit_of_work() as session:  # a failing call neither undoes the commit nor stops what follows
        realtime.call_after_commit(session, broken)
        realtime.call_after_commit(session, lambda: calls.append("after"))
        realtime.publish_after_commit(session, "r", "deal", {})
    assert calls == ["outer", "after"]
    assert [t for _, t, _ in sent("r")] == ["pin", "deal"]
    assert "after-commit action" in caplog.text
