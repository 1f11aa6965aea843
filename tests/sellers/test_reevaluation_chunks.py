"""The re-evaluation in chunks writes exactly what one pass over the whole market writes: the same verdicts,
decision rows and events in the same order, whatever the chunk size; and committed chunk by chunk, each chunk
is its own transaction."""

import random
from datetime import date

import pytest
from sqlalchemy import event, insert, select

from marketcast.core import clock
from marketcast.core.auth.models import User
from marketcast.core.chunks import commit_each
from marketcast.core.db import new_session, unit_of_work
from marketcast.core.ids import new_id
from marketcast.core.outbox import OutboxEvent
from marketcast.sellers import service
from marketcast.sellers.models import Application, ApplicationDecision, ExternalRecord, Seller
from tests.sellers.conftest import GMV_KEY, usd
from tests.sellers.test_reevaluation import schedule

N = 23


def _seed() -> None:
    """N sellers with every kind of candidate: open or rules-rejected, either verdict stored, GMV on either side
    of $2M (one or two platforms), a contact another seller uses, a rules-rejected one the seller has replaced
    by a newer open application, and some that are not candidates (a reviewer's rejection, approved)."""
    rng, now = random.Random(5), clock.now()
    users, sellers, apps, records = [], [], [], []
    for i in range(N):
        user_id, seller_id = new_id("usr"), new_id("sel")
        users.append({"id": user_id, "email": f"chunk-{i}@example.com", "role": "seller", "created_at": now})
        sellers.append({"id": seller_id, "owner_user_id": user_id, "legal_name": f"Chunk {i}",
                        "entity_type": "company", "country": "CN", "tax_id": "T", "beneficial_owners": [],
                        "contact_email": f"seller-{i}@example.com", "contact_phone": f"+86{i:09d}",
                        "created_at": now})
        kinds = [rng.choice(["open", "open", "rules", "reviewer", "approved"])] + (["open"] if i % 6 == 0 else [])
        if i % 6 == 0:
            kinds[0] = "rules"  # replaced by the open one after it: it stays rejected
        for kind in kinds:
            app_id = new_id("app")
            outcome = rng.choice(["eligible", "ineligible"])
            email = f"seller-{i - 1}@example.com" if i % 7 == 3 else f"shop-{app_id}@example.com"
            apps.append({"id": app_id, "seller_id": seller_id, "market": "US", "shop_type": "cross_border",
                         "mode": "pop", "shop_name": f"shop {i}", "representative_name": "R",
                         "representative_birth_date": date(1980, 1, 1), "contact_email": email,
                         "contact_phone": f"+1555{i:03d}{len(apps):04d}", "business_address": {"country": "CN"},
                         "business_country": "CN", "status": {"open": "open", "approved": "approved"}.get(
                             kind, "rejected"),
                         "rejected_by": kind if kind in ("rules", "reviewer") else None, "outcome": outcome,
                         "failed_rules": "" if outcome == "eligible" else "cross_border_external_gmv",
                         "decision": {}, "evaluated_at": now, "created_at": now, "updated_at": now})
            for platform in ("amazon", "ebay")[:rng.randint(1, 2)]:
                records.append({"id": new_id("ext"), "application_id": app_id, "platform": platform,
                                "gmv_amount": rng.choice([1_000_000, 3_000_000]) * 100, "gmv_currency": "USD",
                                "rating_hundredths": 450, "months_trading": 24})
    with unit_of_work() as session:
        for model, rows in ((User, users), (Seller, sellers), (Application, apps), (ExternalRecord, records)):
            session.execute(insert(model), rows)


def _written(session) -> tuple[list, list, list]:
    """What a pass wrote, without the ids and times it makes up."""
    apps = [tuple(r) for r in session.execute(
        select(Application.id, Application.status, Application.outcome, Application.failed_rules,
               Application.rejected_by, Application.decision, Application.evaluated_at).order_by(Application.id))]
    decisions = [tuple(r) for r in session.execute(
        select(ApplicationDecision.application_id, ApplicationDecision.kind, ApplicationDecision.outcome,
               ApplicationDecision.rules, ApplicationDecision.policy_versions, ApplicationDecision.next_step,
               ApplicationDecision.trigger, ApplicationDecision.actor_email, ApplicationDecision.evaluated_at)
        .order_by(ApplicationDecision.application_id))]
    events = [(e.type, e.market, e.data) for e in session.scalars(select(OutboxEvent)
                                                                  .where(OutboxEvent.type.like("application.%"))
                                                                  .order_by(OutboxEvent.id))]
    return apps, decisions, events


@pytest.fixture
def market(us_es, at):
    with clock.frozen(at(2024, 1, 1)):
        schedule(GMV_KEY, usd(2_000_000), at(2024, 1, 2))
    with clock.frozen(at(2024, 1, 3)):
        _seed()
    clock.set_now(at(2024, 1, 4))


def _pass(size: int) -> tuple[dict, tuple]:
    session = new_session()
    try:
        counts = service.reevaluate(session, market="US", trigger="chunks", size=size)
        return counts, _written(session)
    finally:
        session.rollback()  # every size starts from the same seeded state
        session.close()


def test_every_chunk_size_writes_what_one_pass_writes(market):
    whole_counts, whole = _pass(10_000)
    assert whole_counts["now_eligible"] > 0 and whole_counts["no_longer_eligible"] > 0
    assert whole[1] and whole[2]
    reopened = [a for a in whole[0] if a[1] == "open" and a[6] == clock.now()]
    assert reopened  # some rules-rejected applications came back to the queue, some did not (replaced)
    for size in (1, 2, 5, 22, 23):
        assert _pass(size) == (whole_counts, whole), size


def test_committed_chunk_by_chunk_each_chunk_is_a_transaction_of_its_own(market):
    _, whole = _pass(10_000)
    commits = []
    session = new_session()
    event.listen(session, "after_commit", lambda s: commits.append(1))
    try:
        chunks = commit_each(session, service.reevaluate_chunks(session, market="US", trigger="chunks", size=4))
    finally:
        session.close()
    candidates = sum(c["evaluated"] for c in chunks)
    assert [c["evaluated"] for c in chunks] == [4] * (candidates // 4) + ([candidates % 4] if candidates % 4 else [])
    assert len(commits) == len(chunks)
    with unit_of_work(write=False) as s:
        assert _written(s) == whole
    # Run again: nothing changes, nothing is written.
    with unit_of_work() as s:
        assert service.total(commit_each(s, service.reevaluate_chunks(s, market="US", trigger="chunks", size=4))) \
            == {"evaluated": candidates, "now_eligible": 0, "no_longer_eligible": 0}
    with unit_of_work(write=False) as s:
        assert _written(s) == whole


def test_a_worker_that_fails_after_a_chunk_leaves_the_versions_due_and_the_next_run_finishes(market, monkeypatch):
    from marketcast.policies import jobs as policy_jobs

    real = service.reevaluate_after_chunks

    def fails_after_one_chunk(session, *, changes):
        yield next(real(session, changes=changes))
        raise RuntimeError("the worker died here")

    monkeypatch.setattr(service, "reevaluate_after_chunks", fails_after_one_chunk)
    with pytest.raises(RuntimeError):
        policy_jobs.announce_policies()
    with unit_of_work(write=False) as s:
        first = _written(s)
        assert first[1] and not list(s.scalars(select(OutboxEvent).where(OutboxEvent.type == "policy.effective")))
    monkeypatch.setattr(service, "reevaluate_after_chunks", real)
    assert policy_jobs.announce_policies() == 1  # judged again (nothing new to write), then announced
    assert policy_jobs.announce_policies() == 0
    with unit_of_work(write=False) as s:
        assert _written(s) == first
        assert len(list(s.scalars(select(OutboxEvent).where(OutboxEvent.type == "policy.effective")))) == 1
