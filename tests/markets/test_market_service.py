import pytest
from sqlalchemy import event, select

from marketcast.core import clock
from marketcast.core.auth import service as auth
from marketcast.core.auth.actor import Actor
from marketcast.core.db import get_engine
from marketcast.core.errors import Conflict, Forbidden, Invalid, NotFound
from marketcast.core.outbox import OutboxEvent
from marketcast.markets import service

OPS = Actor(user_id=None, email="ops@example.com", role="operator", markets=None)


def _spain(db, **kw):
    with db() as s:
        args = dict(code="es", name="Spain", currency="eur", timezone="Europe/Madrid", launch_window="2024-07",
                    reason="market opened for planning", actor=OPS) | kw
        return service.create(s, **args).code


def _events(db, type_):
    with db() as s:
        return [e.data for e in s.scalars(select(OutboxEvent).where(OutboxEvent.type == type_)
                                           .order_by(OutboxEvent.occurred_at, OutboxEvent.id))]


def _sellers(db, n, prefix="seller"):
    with db() as s:
        users = [auth.create_user(s, email=f"{prefix}{i}@shop.example", role="seller") for i in range(n)]
        return [auth.actor_of(u) for u in users]


def test_create_normalizes_and_records_history(db, at):
    with clock.frozen(at(2024, 1, 15)):
        _spain(db)
    with db() as s:
        market = service.get(s, "es")
        assert (market.code, market.currency, market.status) == ("ES", "EUR", "planned")
        assert market.id.startswith("mkt_") and market.window_start.isoformat() == "2024-07-01"
        assert market.launched_at is None and market.created_at == at(2024, 1, 15)
        [created] = service.history(s, code="ES")
    assert (created.kind, created.from_status, created.to_status, created.to_window) == (
        "created", None, "planned", "2024-07")
    assert created.reason == "market opened for planning" and created.actor_email == "ops@example.com"
    assert _events(db, "market.created")[0]["market"] == "ES"


@pytest.mark.parametrize("name", ["", "   ", "x" * 121, "Spa\x00in", "Spain\nES", "Spain\x1b[31m", "a\u2028b"])
def test_create_refuses_a_bad_name(db, name):
    with pytest.raises(Invalid) as err, db() as s:
        service.create(s, code="ES", name=name, currency="EUR", timezone="Europe/Madrid", actor=OPS)
    assert (err.value.code, err.value.field) == ("invalid_name", "name")
    with db() as s:
        assert service.list_markets(s)[0] == [] and s.scalars(select(OutboxEvent)).all() == []


def test_create_strips_the_name_and_takes_120_characters(db):
    with db() as s:
        market = service.create(s, code="ES", name="  " + "é" * 120 + " ", currency="EUR",
                                timezone="Europe/Madrid", actor=OPS)
        assert market.name == "é" * 120


def test_duplicate_code_is_market_exists(db):
    _spain(db)
    with pytest.raises(Conflict) as err, db() as s:
        service.create(s, code="ES", name="Spain again", currency="EUR", timezone="Europe/Madrid", actor=OPS)
    assert err.value.code == "market_exists"


def test_create_live_sets_launched_at_and_postponed_refuses_a_window(db, at):
    with clock.frozen(at(2023, 9, 12)):
        _spain(db, code="US", timezone="America/New_York", currency="USD", status="live")
    with db() as s:
        assert service.get(s, "US").launched_at == at(2023, 9, 12)
    with pytest.raises(Invalid) as err, db() as s:
        service.create(s, code="DE", name="Germany", currency="EUR", timezone="Europe/Berlin",
                       launch_window="2024-07", status="postponed", actor=OPS)
    assert err.value.field == "launch_window"


def test_history_of_a_postponement_and_return(db, at):
    _spain(db)
    with clock.frozen(at(2024, 5, 20)), db() as s:
        m = service.transition(s, code="ES", status="postponed", reason="US first", actor=OPS)
        assert (m.launch_window, m.window_start) == (None, None)
    with clock.frozen(at(2024, 9, 1)), db() as s:
        m = service.transition(s, code="ES", status="planned", reason="back on", launch_window="2025-q1", actor=OPS)
        assert (m.status, m.launch_window) == ("planned", "2025-Q1")
    with clock.frozen(at(2025, 2, 3)), db() as s:
        service.transition(s, code="ES", status="live", reason="launch", actor=OPS)
    with clock.frozen(at(2025, 6, 1)), db() as s:
        service.transition(s, code="ES", status="paused", reason="audit", actor=OPS)
        m = service.transition(s, code="ES", status="live", reason="audit done", actor=OPS)
        assert m.launched_at == at(2025, 2, 3)  # the first launch, not the resumption
    with db() as s:
        rows = [(e.kind, e.from_status, e.to_status, e.from_window, e.to_window, e.reason)
                for e in service.history(s, code="ES")]
    assert rows == [
        ("created", None, "planned", None, "2024-07", "market opened for planning"),
        ("transition", "planned", "postponed", "2024-07", None, "US first"),
        ("transition", "postponed", "planned", None, "2025-Q1", "back on"),
        ("transition", "planned", "live", "2025-Q1", "2025-Q1", "launch"),
        ("transition", "live", "paused", "2025-Q1", "2025-Q1", "audit"),
        ("transition", "paused", "live", "2025-Q1", "2025-Q1", "audit done"),
    ]
    changes = _events(db, "market.status_changed")
    # Outbox ids order only to the millisecond, so events of one transaction are compared as a set.
    assert sorted((c["from"], c["to"]) for c in changes) == sorted([
        ("planned", "postponed"), ("postponed", "planned"), ("planned", "live"), ("live", "paused"),
        ("paused", "live")])


def test_invalid_transition_changes_nothing(db):
    _spain(db)
    with pytest.raises(Conflict) as err, db() as s:
        service.transition(s, code="ES", status="paused", reason="no", actor=OPS)
    assert err.value.code == "invalid_transition" and err.value.extra["from_status"] == "planned"
    with db() as s:
        assert service.get(s, "ES").status == "planned" and len(service.history(s, code="ES")) == 1


def test_window_only_rides_with_postponed_to_planned(db):
    _spain(db)
    with pytest.raises(Invalid) as err, db() as s:
        service.transition(s, code="ES", status="live", reason="go", launch_window="2025-Q1", actor=OPS)
    assert err.value.code == "launch_window_not_allowed"


@pytest.mark.parametrize("reason", ["", "   "])
def test_reason_is_required(db, reason):
    _spain(db)
    for call in (lambda s: service.transition(s, code="ES", status="live", reason=reason, actor=OPS),
                 lambda s: service.reschedule(s, code="ES", launch_window="2025-Q1", reason=reason, actor=OPS)):
        with pytest.raises(Invalid) as err, db() as s:
            call(s)
        assert err.value.field == "reason"


def test_reschedule_planned_and_postponed_only(db):
    _spain(db)
    with db() as s:
        m = service.reschedule(s, code="ES", launch_window="2025-Q1", reason="moved", actor=OPS)
        assert (m.status, m.launch_window, m.window_start.isoformat()) == ("planned", "2025-Q1", "2025-01-01")
    with pytest.raises(Conflict) as err, db() as s:
        service.reschedule(s, code="ES", launch_window="2025-Q1", reason="same", actor=OPS)
    assert err.value.code == "window_unchanged"
    with db() as s:
        service.transition(s, code="ES", status="postponed", reason="hold", actor=OPS)
        m = service.reschedule(s, code="ES", launch_window="2025-03-15", reason="date set", actor=OPS)
        assert m.status == "planned"  # a window on a postponed market puts it back in the plan
        service.transition(s, code="ES", status="live", reason="go", actor=OPS)
    with pytest.raises(Conflict) as err, db() as s:
        service.reschedule(s, code="ES", launch_window="2026-Q1", reason="late", actor=OPS)
    assert err.value.code == "market_not_reschedulable"
    with db() as s:
        last = service.history(s, code="ES")[-2]
    assert (last.kind, last.from_status, last.to_status, last.from_window, last.to_window) == (
        "rescheduled", "postponed", "planned", None, "2025-03-15")


def test_reschedule_tells_every_registrant_old_and_new_window(db):
    _spain(db)
    sellers = _sellers(db, 3)
    with db() as s:
        for seller in sellers:
            service.join_waitlist(s, code="ES", actor=seller)
        service.reschedule(s, code="ES", launch_window="2025-Q1", reason="moved to Q1", actor=OPS)
    notices = _events(db, "market.launch_rescheduled")
    assert sorted(n["email"] for n in notices) == [a.email for a in sellers]
    assert {n["user_id"] for n in notices} == {a.user_id for a in sellers}
    for n in notices:
        assert (n["market"], n["old_window"], n["new_window"], n["reason"]) == ("ES", "2024-07", "2025-Q1",
                                                                                   "moved to Q1")
    [market_level] = _events(db, "market.rescheduled")
    assert (market_level["old_window"], market_level["new_window"]) == ("2024-07", "2025-Q1")


def test_fan_out_does_not_query_per_registrant(db):
    def statements_for_reschedule(code, registrants):
        _spain(db, code=code)
        sellers = _sellers(db, registrants, prefix=code.lower())
        with db() as s:
            for seller in sellers:
                service.join_waitlist(s, code=code, actor=seller)
        seen = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(get_engine(), "before_cursor_execute", count)
        try:
            with db() as s:
                service.reschedule(s, code=code, launch_window="2025-Q1", reason="moved", actor=OPS)
                service.transition(s, code=code, status="live", reason="go", actor=OPS)
        finally:
            event.remove(get_engine(), "before_cursor_execute", count)
        return len([q for q in seen if q.lstrip().upper().startswith("SELECT")])

    assert statements_for_reschedule("ES", 1) == statements_for_reschedule("IT", 6)
    assert len(_events(db, "market.launched")) == 7


def test_per_registrant_notices_are_one_bulk_insert_not_orm_objects(db):
    _spain(db)
    sellers = _sellers(db, 5)
    inserts = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX_EVENTS"):
            inserts.append(statement)

    with db() as s:
        for seller in sellers:
            service.join_waitlist(s, code="ES", actor=seller)
    tracked = []
    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        with db() as s:
            event.listen(s, "transient_to_pending",
                         lambda _, obj: tracked.append(obj.type) if isinstance(obj, OutboxEvent) else None)
            service.reschedule(s, code="ES", launch_window="2025-Q1", reason="moved", actor=OPS)
            service.transition(s, code="ES", status="live", reason="go", actor=OPS)
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)
    # Only the market-level events were ORM objects; the ten notices never were.
    assert tracked == ["market.rescheduled", "market.status_changed"]
    assert len(_events(db, "market.launch_rescheduled")) == 5 and len(_events(db, "market.launched")) == 5
    # market.rescheduled, the notices of the reschedule, market.status_changed, the notices of the launch
    assert len(inserts) == 4


def test_going_live_tells_each_registrant_once(db, at):
    _spain(db)
    [first, second] = _sellers(db, 2)
    with db() as s:
        service.join_waitlist(s, code="ES", actor=first)
    with clock.frozen(at(2025, 2, 3)), db() as s:
        service.transition(s, code="ES", status="live", reason="launch", actor=OPS)
        service.transition(s, code="ES", status="paused", reason="audit", actor=OPS)
    with db() as s:
        service.join_waitlist(s, code="ES", actor=second)
    with clock.frozen(at(2025, 3, 1)), db() as s:
        service.transition(s, code="ES", status="live", reason="resume", actor=OPS)
    launched = _events(db, "market.launched")
    assert [(n["email"], n["old_window"], n["launched_at"]) for n in launched] == [
        (first.email, "2024-07", at(2025, 2, 3).isoformat()),
        (second.email, "2024-07", at(2025, 3, 1).isoformat()),
    ]


def test_postponing_tells_registrants_the_window_is_gone(db):
    _spain(db)
    [seller] = _sellers(db, 1)
    with db() as s:
        service.join_waitlist(s, code="ES", actor=seller)
        service.transition(s, code="ES", status="postponed", reason="US first", actor=OPS)
    [notice] = _events(db, "market.launch_rescheduled")
    assert (notice["old_window"], notice["new_window"], notice["reason"]) == ("2024-07", None, "US first")


def test_waitlist_join_is_idempotent_and_refused_when_live(db):
    _spain(db)
    [seller] = _sellers(db, 1)
    with db() as s:
        first, created = service.join_waitlist(s, code="es", actor=seller)
        again, created_again = service.join_waitlist(s, code="ES", actor=seller)
        assert created and not created_again and again.id == first.id
        assert service.waitlist_count(s, code="ES") == 1
    _spain(db, code="US", status="live", launch_window=None)
    with pytest.raises(Conflict) as err, db() as s:
        service.join_waitlist(s, code="US", actor=seller)
    assert err.value.code == "market_already_live"
    with db() as s:
        assert service.waitlist_counts(s) == {"ES": 1, "US": 0}
        assert service.leave_waitlist(s, code="ES", actor=seller) is True
        assert service.leave_waitlist(s, code="ES", actor=seller) is False
        assert service.waitlist_count(s, code="ES") == 0


def test_require_live(db):
    _spain(db, launch_window="2025-Q1")
    with pytest.raises(Conflict) as err, db() as s:
        service.require_live(s, code="es", action="list products")
    assert err.value.code == "market_not_live"
    assert err.value.detail == "market ES is planned (launch window 2025-Q1): cannot list products until it is live"
    assert err.value.extra["market"] == "ES" and err.value.extra["market_status"] == "planned"
    with db() as s:
        service.transition(s, code="ES", status="postponed", reason="hold", actor=OPS)
    with pytest.raises(Conflict) as err, db() as s:
        service.require_live(s, code="ES", action="check out")
    assert "postponed (no launch window)" in err.value.detail
    with db() as s:
        service.transition(s, code="ES", status="live", reason="go", actor=OPS)
        assert service.require_live(s, code="ES", action="check out").code == "ES"
    with pytest.raises(NotFound), db() as s:
        service.require_live(s, code="ZZ", action="check out")


def test_scoped_and_non_operators_are_refused_by_the_service(db):
    _spain(db)
    scoped = Actor(user_id="usr_x", email="us-ops@example.com", role="operator", markets=("US",))
    seller = Actor(user_id="usr_y", email="s@example.com", role="seller")
    for actor, code in ((scoped, "market_out_of_scope"), (seller, "wrong_role")):
        with pytest.raises(Forbidden) as err, db() as s:
            service.transition(s, code="ES", status="live", reason="go", actor=actor)
        assert err.value.code == code
        with pytest.raises(Forbidden), db() as s:
            service.create(s, code="FR", name="France", currency="EUR", timezone="Europe/Paris", actor=actor)
    es_ops = Actor(user_id="usr_z", email="es-ops@example.com", role="operator", markets=("ES", "FR"))
    with db() as s:
        service.create(s, code="FR", name="France", currency="EUR", timezone="Europe/Paris", actor=es_ops)
        assert service.get(s, "FR").status == "planned"


def test_list_markets_filters_and_pages_by_code(db):
    for code in ("US", "ES", "DE", "FR", "IT"):
        _spain(db, code=code)
    with db() as s:
        service.transition(s, code="US", status="live", reason="go", actor=OPS)
        first, token = service.list_markets(s, page_size=2)
        second, token2 = service.list_markets(s, page_size=2, page_token=token)
        third, token3 = service.list_markets(s, page_size=2, page_token=token2)
        assert [m.code for m in first + second + third] == ["DE", "ES", "FR", "IT", "US"]
        assert token3 is None
        live, _ = service.list_markets(s, status="live")
        assert [m.code for m in live] == ["US"]


def test_concurrent_joins_by_one_user_keep_one_entry(db):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    _spain(db)
    [seller] = _sellers(db, 1)
    barrier = Barrier(6)

    def join(_):
        barrier.wait()
        with db() as s:
            entry, created = service.join_waitlist(s, code="ES", actor=seller)
            return entry.id, created

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(join, range(6)))
    assert sum(created for _, created in results) == 1
    assert len({entry_id for entry_id, _ in results}) == 1
    with db() as s:
        assert service.waitlist_count(s, code="ES") == 1


def test_concurrent_launches_notify_once(db):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    _spain(db)
    sellers = _sellers(db, 3)
    with db() as s:
        for seller in sellers:
            service.join_waitlist(s, code="ES", actor=seller)
    barrier = Barrier(4)

    def launch(_):
        barrier.wait()
        try:
            with db() as s:
                service.transition(s, code="ES", status="live", reason="launch", actor=OPS)
            return "ok"
        except Conflict as exc:
            return exc.code

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(launch, range(4)))
    assert outcomes == ["invalid_transition"] * 3 + ["ok"]
    assert len(_events(db, "market.launched")) == 3
