"""Sellers under concurrency, with real threads and one transaction each, on SQLite and PostgreSQL: a review
racing a re-evaluation, submissions racing each other."""

import threading
import time
from datetime import date

import pytest
from sqlalchemy import func, select, text

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM, Actor
from marketcast.core.db import unit_of_work
from marketcast.core.errors import Conflict
from marketcast.policies import service as policies
from marketcast.sellers import service
from marketcast.sellers.models import Application
from tests.sellers.conftest import APPS, GMV_KEY, usd

WAIT = 10  # seconds: every wait in these tests is bounded, so a regression fails instead of hanging


def _bounded(session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL lock_timeout = '{WAIT}s'"))


def _state(app_id):
    with unit_of_work(write=False) as session:
        app = session.get(Application, app_id)
        return app.status, app.outcome, app.shop_id


@pytest.fixture
def under_2m_then_relaxed(seller, apply, at):
    """An application judged ineligible under the $2M rule, the rule relaxed since; the clock stays on a
    day after the relaxation for the whole test (threads share it)."""
    with clock.frozen(at(2024, 1, 10)), unit_of_work() as session:
        policies.schedule(session, key=GMV_KEY, market="US", value=usd(2_000_000), effective_from=at(2024, 1, 11),
                          reason="t", actor=SYSTEM)
    with clock.frozen(at(2024, 1, 12)):
        app = apply(seller()[0], external_records=[{"platform": "amazon", "annual_gmv": usd(10)}])
        with unit_of_work() as session:
            policies.schedule(session, key=GMV_KEY, market="US", value=None, effective_from=at(2024, 2, 1),
                              reason="t", actor=SYSTEM)
    assert app["outcome"] == "ineligible"
    with clock.frozen(at(2024, 2, 2)):
        yield app["id"]


def test_an_approval_and_a_reevaluation_serialize(under_2m_then_relaxed, make_user):
    """The approval holds its transaction open while the re-evaluation runs. Without the lock on the candidates,
    PostgreSQL's re-evaluation read the application as open, judged it eligible and, once the approval
    committed, wrote it back to open (keeping the shop); now it waits and then finds nothing to judge."""
    app_id = under_2m_then_relaxed
    operator = Actor(user_id=make_user("operator")[0], email="ops@example.com", role="operator")
    approved, release, errors = threading.Event(), threading.Event(), []

    def approve():
        try:
            with unit_of_work() as session:
                service.approve(session, application_id=app_id, reason="checked", actor=operator)
                approved.set()
                release.wait(WAIT)
        except Exception as exc:  # surfaced by the assertion below, not lost in the thread
            errors.append(exc)
            approved.set()

    approver = threading.Thread(target=approve)
    approver.start()
    assert approved.wait(WAIT) and not errors
    threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    with unit_of_work() as session:
        _bounded(session)
        counts = service.reevaluate(session, market="US", trigger="race", actor=operator)
    waited = time.monotonic() - started
    approver.join(WAIT)
    assert not approver.is_alive() and not errors
    assert waited >= 0.4  # it waited for the approval to commit
    assert counts == {"evaluated": 0, "now_eligible": 0, "no_longer_eligible": 0}
    status, outcome, shop_id = _state(app_id)
    assert (status, outcome) == ("approved", "eligible") and shop_id.startswith("shp_")


def test_a_simulation_locks_nothing_and_waits_for_nothing(under_2m_then_relaxed, make_user):
    app_id = under_2m_then_relaxed
    operator = Actor(user_id=make_user("operator")[0], email="ops@example.com", role="operator")
    with unit_of_work() as holder:
        holder.execute(select(Application.id).where(Application.id == app_id).with_for_update())
        started = time.monotonic()
        with unit_of_work(write=False) as session:
            _bounded(session)
            result = service.simulate(session, market="US", key=GMV_KEY, value=usd(5_000_000), actor=operator)
        assert time.monotonic() - started < 2
    assert result["evaluated"] == 1


def _submit(session, profile):
    actor = Actor(user_id=profile["owner_user_id"], email="seller@example.com", role="seller")
    return service.submit_application(
        session, actor=actor, market="US", shop_type="cross_border", mode="pop", shop_name=None,
        representative={"name": "Li Wei", "date_of_birth": date(1980, 2, 3)},
        contact={"email": "shop@example.com", "phone": "+1 555 0100"},
        business_address={"country": "CN", "line1": "1 Road", "city": "Shenzhen", "postal_code": "518000"},
        external_records=[{"platform": "amazon", "annual_gmv": usd(2_500_000)}])


def test_racing_submissions_leave_one_open_application(seller):
    _, profile = seller()
    threads, start, results = 4, threading.Barrier(4), []

    def submit():
        try:
            start.wait(WAIT)
            with unit_of_work() as session:
                _bounded(session)
                results.append(_submit(session, profile).id)
        except Conflict as exc:
            results.append(exc.code)
        except Exception as exc:  # an IntegrityError here would be a 500
            results.append(repr(exc))

    workers = [threading.Thread(target=submit) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(WAIT * 2)
    assert not any(w.is_alive() for w in workers)
    created = [r for r in results if r.startswith("app_")]
    assert len(created) == 1 and sorted(set(results) - set(created)) == ["application_exists"], results
    with unit_of_work(write=False) as session:
        assert session.scalars(select(Application.id).where(Application.seller_id == profile["id"])).all() == created


def test_a_refused_submission_leaves_the_transaction_usable(seller):
    _, profile = seller()
    with unit_of_work() as session:
        first = _submit(session, profile).id
        with pytest.raises(Conflict) as refused:
            _submit(session, profile)
        assert refused.value.code == "application_exists" and refused.value.field == "market"
        # Only the savepoint was undone: the same transaction still reads, and commits the first application.
        assert session.scalar(select(func.count()).select_from(Application)) == 1
    with unit_of_work(write=False) as session:
        assert session.scalars(select(Application.id)).all() == [first]


def test_a_rejected_application_the_seller_replaced_is_not_reopened(client, seller, apply, operator, at):
    with clock.frozen(at(2024, 1, 10)), unit_of_work() as session:
        policies.schedule(session, key=GMV_KEY, market="US", value=usd(2_000_000), effective_from=at(2024, 1, 11),
                          reason="t", actor=SYSTEM)
    small = [{"platform": "amazon", "annual_gmv": usd(10)}]
    with clock.frozen(at(2024, 1, 12)):
        replaced_by, alone = seller()[0], seller()[0]
        replaced, lonely = apply(replaced_by, external_records=small), apply(alone, external_records=small)
        for app in (replaced, lonely):
            r = client.post(f"{APPS}/{app['id']}/reject", json={"reason": "below $2M"}, headers=operator)
            assert r.json()["rejected_by"] == "rules"
        replacement = apply(replaced_by)  # $2.5M: the seller applied again
        with unit_of_work() as session:
            policies.schedule(session, key=GMV_KEY, market="US", value=None, effective_from=at(2024, 2, 1),
                              reason="t", actor=SYSTEM)
    with clock.frozen(at(2024, 2, 2)), unit_of_work() as session:
        counts = service.reevaluate(session, market="US", trigger="relaxed")
    assert counts == {"evaluated": 3, "now_eligible": 2, "no_longer_eligible": 0}
    assert _state(lonely["id"])[:2] == ("open", "eligible")  # back in the queue
    assert _state(replaced["id"])[:2] == ("rejected", "eligible")  # two open ones would break the index
    assert _state(replacement["id"])[:2] == ("open", "eligible")
