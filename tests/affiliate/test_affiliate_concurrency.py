"""The affiliate area under real concurrency (threads, one connection and transaction each), on SQLite and
PostgreSQL: two settlement runs at once close one statement; one creator joining twice at once is one member;
refunds racing on one attributed order reduce its one commission exactly."""

import threading
import uuid

from sqlalchemy import func, select

from marketcast.affiliate import jobs, membership
from marketcast.affiliate.models import CollaborationMember, Commission, Statement
from marketcast.core import clock
from marketcast.core.auth import service as auth
from marketcast.core.auth.models import User
from marketcast.core.db import unit_of_work
from marketcast.core.errors import Conflict

THREADS = 4


def _race(target, count: int = THREADS) -> list:
    start, results = threading.Barrier(count), []

    def run():
        start.wait(timeout=10)
        try:
            results.append(target())
        except Exception as exc:  # collected: the test says which ones are allowed
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_settlement_runs_at_once_close_one_statement(steps, shop, product, creator, buyer, at):
    with clock.frozen(at(2024, 7, 1, 15)):
        pid, sku = product(price=5000)
        collab = steps.collaboration(shop, product_ids=[pid])
        steps.join(creator, collab["id"])
        for _ in range(3):
            order = steps.sale(buyer, [(sku, 2)], attribution={"creator_id": creator["id"], "source": "live"})
            steps.deliver(shop, order["id"])
    with clock.frozen(at(2024, 8, 1, 12)):
        results = _race(jobs.settle_commissions)
    assert not [r for r in results if isinstance(r, Exception)], results
    with unit_of_work(write=False) as s:
        statements = list(s.scalars(select(Statement).where(Statement.creator_id == creator["id"])))
        settled = list(s.scalars(select(Commission).where(Commission.statement_id.is_not(None))))
    assert len(statements) == 1 and len(settled) == 3
    assert statements[0].total == sum(c.settled_amount for c in settled) == 3 * 1000


def test_one_creator_joining_twice_at_once_is_one_member(steps, shop, product, creator):
    pid, _ = product()
    collab = steps.collaboration(shop, product_ids=[pid])
    with unit_of_work(write=False) as s:
        actor = auth.actor_of(s.get(User, creator["user_id"]))

    def join():
        with unit_of_work() as session:
            return membership.join(session, collaboration_id=collab["id"], actor=actor).status

    results = _race(join)
    assert all(r == "joined" or (isinstance(r, Conflict) and r.code == "already_member") for r in results), results
    with unit_of_work(write=False) as s:
        assert s.scalar(select(func.count()).select_from(CollaborationMember)) == 1


def test_refunds_racing_on_one_order_reduce_its_commission_exactly(client, steps, shop, product, creator, buyer):
    pid, sku = product(price=1000)
    collab = steps.collaboration(shop, product_ids=[pid], commission_rate_bps=1000)
    steps.join(creator, collab["id"])
    order = steps.sale(buyer, [(sku, 8)], attribution={"creator_id": creator["id"], "source": "video"})
    line = order["lines"][0]["id"]

    def refund_one():
        r = client.post(f"/api/v1/orders/{order['id']}/refunds", json={"lines": [{"line_id": line, "quantity": 1}]},
                        headers={**shop["headers"], "Idempotency-Key": uuid.uuid4().hex})
        return r.status_code

    assert _race(refund_one, 6) == [201] * 6
    [c] = steps.commissions(creator)
    assert (c["base"]["amount"], c["amount"]["amount"], c["status"]) == (2000, 200, "pending")
