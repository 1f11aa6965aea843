"""Counting stock with `expected_available`: the count is written only over the figure the owner saw, so a sale
in between is never silently undone. Also: publish and delist check the caller before they lock the product."""

import json
import threading

import pytest
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from marketcast.catalog import service
from marketcast.catalog.models import Product, Sku
from marketcast.cli import app
from marketcast.core.auth import service as auth
from marketcast.core.db import get_engine, unit_of_work
from marketcast.core.errors import Conflict, Forbidden, Invalid
from marketcast.core.outbox import OutboxEvent

API = "/api/v1"


@pytest.fixture
def owned(db, make_shop):
    """A live product with one SKU of 10 available, its shop, and the owner as an Actor."""
    from tests.support.commerce import write_product

    shop = make_shop()
    [sku_id] = write_product(db, shop_id=shop["id"], stock=[10])
    with db(write=False) as s:
        actor = auth.actor_of(auth.get_user_by_email(s, shop["email"]))
        product_id = s.get(Sku, sku_id).product_id
    return {"shop": shop, "sku_id": sku_id, "product_id": product_id, "actor": actor}


def _inventory_events(db) -> list[int]:
    with db(write=False) as s:
        rows = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "inventory.changed").order_by(OutboxEvent.id))
        return [e.data["available"] for e in rows]


def test_the_count_is_written_when_available_is_as_expected(client, db, owned, counters):
    sku_id = owned["sku_id"]
    r = client.patch(f"{API}/skus/{sku_id}", json={"available": 25, "expected_available": 10},
                     headers=owned["shop"]["headers"])
    assert r.status_code == 200, r.text
    assert (r.json()["available"], r.json()["reserved"], r.json()["sold"]) == (25, 0, 0)
    assert counters([sku_id]) == {sku_id: (25, 0, 0)}
    assert _inventory_events(db) == [25]


def test_a_sale_in_between_is_409_stock_changed_with_the_counters_and_nothing_changes(client, db, owned, counters):
    sku_id = owned["sku_id"]
    seen = client.get(f"{API}/skus/{sku_id}", headers=owned["shop"]["headers"]).json()["available"]
    with db() as s:  # a buyer checks out 3 while the owner is counting
        service.reserve(s, quantities={sku_id: 3})
    r = client.patch(f"{API}/skus/{sku_id}", json={"available": 12, "expected_available": seen},
                     headers=owned["shop"]["headers"])
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "stock_changed" and problem["field"] == "expected_available"
    assert (problem["sku_id"], problem["available"], problem["reserved"], problem["sold"]) == (sku_id, 7, 3, 0)
    assert counters([sku_id]) == {sku_id: (7, 3, 0)}
    assert _inventory_events(db) == []
    # Without expected_available the owner still overwrites, as before.
    r = client.patch(f"{API}/skus/{sku_id}", json={"available": 12}, headers=owned["shop"]["headers"])
    assert r.status_code == 200 and counters([sku_id]) == {sku_id: (12, 3, 0)}


def test_strangers_learn_nothing_from_a_wrong_expectation(client, db, owned, make_shop, make_user, counters):
    sku_id = owned["sku_id"]
    callers = [({}, 401, "unauthenticated"), (make_shop()["headers"], 403, "not_owner"),
               (make_user("operator", markets=["ES"])[1], 403, "market_out_of_scope")]
    for headers, status, code in callers:
        for expected in (10, 3):
            r = client.patch(f"{API}/skus/{sku_id}", json={"available": 1, "expected_available": expected},
                             headers=headers)
            assert (r.status_code, r.json()["code"]) == (status, code), r.text
            assert "available" not in r.json()
    assert counters([sku_id]) == {sku_id: (10, 0, 0)} and _inventory_events(db) == []


@pytest.mark.parametrize("expected", [-1, 10**9 + 1, "ten", 1.5])
def test_a_bad_expectation_is_422(client, owned, counters, expected):
    r = client.patch(f"{API}/skus/{owned['sku_id']}", json={"available": 1, "expected_available": expected},
                     headers=owned["shop"]["headers"])
    assert r.status_code == 422 and r.json()["field"] == "expected_available", r.text
    assert counters([owned["sku_id"]]) == {owned["sku_id"]: (10, 0, 0)}


def test_service_compare_and_set(db, owned, counters):
    sku_id, actor = owned["sku_id"], owned["actor"]
    with db() as s:
        loaded = s.get(Sku, sku_id)  # an object already in the session must not be trusted or left stale
        service.reserve(s, quantities={sku_id: 4})
        with pytest.raises(Conflict) as err:
            service.set_available(s, sku_id=sku_id, available=9, actor=actor, expected_available=10)
        assert err.value.code == "stock_changed"
        assert (err.value.extra["available"], err.value.extra["reserved"]) == (6, 4)
        assert loaded.available == 6
        sku = service.set_available(s, sku_id=sku_id, available=9, actor=actor, expected_available=6)
        assert (sku.available, sku.reserved, loaded.available) == (9, 4, 9)
    assert counters([sku_id]) == {sku_id: (9, 4, 0)}
    for bad in (-1, 10**9 + 1, True):
        with pytest.raises(Invalid) as err, db() as s:
            service.set_available(s, sku_id=sku_id, available=1, actor=actor, expected_available=bad)
        assert err.value.field == "expected_available"


def test_two_owners_counting_from_the_same_figure_one_wins(db, owned, counters):
    sku_id, actor = owned["sku_id"], owned["actor"]
    start = threading.Barrier(2)
    outcome: list[str] = []

    def count(to: int) -> None:
        start.wait()
        try:
            with unit_of_work() as s:
                service.set_available(s, sku_id=sku_id, available=to, actor=actor, expected_available=10)
            outcome.append(f"set {to}")
        except Conflict as exc:
            outcome.append(exc.code)

    threads = [threading.Thread(target=count, args=(to,)) for to in (20, 30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcome)[1] == "stock_changed" and sorted(outcome)[0] in ("set 20", "set 30")
    winner = int(sorted(outcome)[0].split()[1])
    assert counters([sku_id]) == {sku_id: (winner, 0, 0)}


def test_cli_stock_with_expected(db, owned, counters):
    runner = CliRunner()
    sku_id, email = owned["sku_id"], owned["shop"]["email"]
    r = runner.invoke(app, ["products", "stock", sku_id, "8", "--expected", "10", "--as", email, "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["available"] == 8
    r = runner.invoke(app, ["products", "stock", sku_id, "5", "--expected", "10", "--as", email])
    assert r.exit_code == 1 and "stock_changed" in r.output and "8 available now" in r.output
    assert counters([sku_id]) == {sku_id: (8, 0, 0)}


# --- publish and delist: who first, then the lock -----------------------------------------------------------

class Locks:
    """The products queries a session sends, as PostgreSQL would get them (SQLite has no FOR UPDATE to see)."""

    def __init__(self, session: Session):
        self.sql: list[str] = []
        event.listen(session, "do_orm_execute", self._record)

    def _record(self, state) -> None:
        if state.is_select:
            self.sql.append(str(state.statement.compile(dialect=postgresql.dialect())))

    def product_locks(self) -> list[int]:
        return [i for i, sql in enumerate(self.sql) if "FROM products" in sql and "FOR UPDATE" in sql]


@pytest.mark.parametrize("operation", ["publish", "delist"])
def test_a_caller_who_may_not_write_never_locks_the_product(db, owned, make_shop, operation):
    stranger = make_shop()
    with db(write=False) as s:
        actor = auth.actor_of(auth.get_user_by_email(s, stranger["email"]))
    with db() as s:
        locks = Locks(s)
        with pytest.raises(Forbidden):
            getattr(service, operation)(s, product_id=owned["product_id"], actor=actor)
    assert locks.sql and locks.product_locks() == []


@pytest.mark.parametrize("operation", ["publish", "delist"])
def test_the_owner_locks_after_the_ownership_check_and_decides_on_the_locked_row(db, owned, operation):
    with db() as s:
        locks = Locks(s)
        product = getattr(service, operation)(s, product_id=owned["product_id"], actor=owned["actor"])
        assert product.status == ("live" if operation == "publish" else "delisted")
    [lock] = locks.product_locks()
    shop_read = next(i for i, sql in enumerate(locks.sql) if "FROM shops" in sql)
    assert shop_read < lock


def test_delist_sees_the_status_as_locked_not_as_first_read(db, owned, monkeypatch):
    """Between the ownership read and the lock another writer may have delisted: the locked row decides.
    PostgreSQL only: on SQLite a writing transaction holds the write lock from its start, so no one can."""
    if get_engine().dialect.name != "postgresql":
        pytest.skip("SQLite lets no other writer in between")
    real = service.sellers.require_shop_owner

    def owner_check_then_someone_delists(session, **kwargs):
        shop = real(session, **kwargs)
        with unit_of_work() as other:
            other.get(Product, owned["product_id"]).status = "delisted"
        return shop

    monkeypatch.setattr(service.sellers, "require_shop_owner", owner_check_then_someone_delists)
    with db() as s:
        product = service.delist(s, product_id=owned["product_id"], actor=owned["actor"])
        assert product.status == "delisted"
        emitted = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "product.delisted")).all()
    assert emitted == []  # already delisted when locked: nothing to announce
