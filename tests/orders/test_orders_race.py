"""Real parallel buyers racing for the last units, and parallel retries of one request: exactly K units are sold,
stock never goes below zero, one key makes one order, and nobody ever sees a 500.

Threads each with their own TestClient (and so their own sessions); processes (multiprocessing, spawn) against a
live uvicorn server; a black-box `marketcast serve` subprocess on a SQLite file."""

import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from marketcast.core import clock
from marketcast.core.auth import service as auth
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import make_engine, unit_of_work
from marketcast.markets import service as markets
from marketcast.orders.models import Order
from marketcast.policies import service as policies
from tests.support.commerce import write_product, write_shop
from tests.support.race_client import buy


def _race(app, n: int, request) -> list:
    """n threads, each with its own client, released together; returns their responses."""
    barrier = threading.Barrier(n)

    def one(i: int):
        with TestClient(app) as c:
            barrier.wait(timeout=30)
            return request(c, i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def _outcomes(responses) -> Counter:
    return Counter((r.status_code, r.json().get("code") if r.status_code >= 400 else None) for r in responses)


@pytest.mark.slow
def test_twenty_threads_race_for_the_last_five_units(app, make_user, make_skus, counters, order_count):
    sku = make_skus(5)[0]
    buyers = [make_user("buyer")[1] for _ in range(20)]
    body = {"lines": [{"sku_id": sku, "quantity": 1}]}
    responses = _race(app, 20, lambda c, i: c.post("/api/v1/orders", json=body,
                                                   headers={**buyers[i], "Idempotency-Key": uuid.uuid4().hex}))
    assert _outcomes(responses) == {(201, None): 5, (409, "out_of_stock"): 15}
    assert counters([sku])[sku] == (0, 5, 0)
    assert order_count() == 5


@pytest.mark.slow
def test_parallel_retries_of_one_request_make_one_order(app, buyer, make_skus, counters, order_count):
    sku = make_skus(50)[0]
    headers = {**buyer["headers"], "Idempotency-Key": "the-one"}
    body = {"lines": [{"sku_id": sku, "quantity": 2}]}
    responses = _race(app, 16, lambda c, i: c.post("/api/v1/orders", json=body, headers=headers))
    outcomes = _outcomes(responses)
    assert set(outcomes) <= {(201, None), (409, "idempotency_in_progress")} and outcomes[(201, None)] >= 1
    assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
    assert order_count() == 1 and counters([sku])[sku] == (48, 2, 0)


@pytest.mark.slow
def test_parallel_payments_of_one_order_charge_once(app, place, buyer, make_skus, db, counters):
    from marketcast.orders.models import PaymentAttempt

    sku = make_skus(5)[0]
    order = place(buyer["headers"], [(sku, 1)]).json()
    responses = _race(app, 10, lambda c, i: c.post(f"/api/v1/orders/{order['id']}/pay",
                                                   json={"card_number": "4242424242424242"},
                                                   headers=buyer["headers"]))
    outcomes = _outcomes(responses)
    assert set(outcomes) <= {(200, None), (409, "payment_in_progress")} and outcomes[(200, None)] >= 1
    with db(write=False) as s:
        attempts = s.scalars(select(PaymentAttempt.status).where(PaymentAttempt.order_id == order["id"])).all()
    assert attempts == ["approved"] and counters([sku])[sku] == (4, 0, 1)


@pytest.mark.slow
def test_threads_on_a_probation_shop_stop_exactly_at_the_daily_cap(app, make_user, make_shop, db, at, order_count):
    """The cap is a guarded counter, not a COUNT then INSERT: simultaneous checkouts cannot overshoot it."""
    shop = make_shop(status="probation")
    sku = write_product(db, shop_id=shop["id"], stock=[100])[0]
    with clock.frozen(at(2024, 9, 1)), db() as s:
        policies.schedule(s, key="shop.probation.daily_order_cap", market="US", value=4,
                          effective_from=at(2024, 9, 2), reason="tight start", actor=SYSTEM)
    buyers = [make_user("buyer")[1] for _ in range(16)]
    body = {"lines": [{"sku_id": sku, "quantity": 1}]}
    with clock.frozen(at(2024, 9, 2, 15)):
        responses = _race(app, 16, lambda c, i: c.post("/api/v1/orders", json=body,
                                                       headers={**buyers[i], "Idempotency-Key": uuid.uuid4().hex}))
    assert _outcomes(responses) == {(201, None): 4, (409, "daily_order_cap_reached"): 12}
    assert order_count() == 4


@pytest.fixture
def live_server(app):
    """The app on a free port, served by uvicorn in a thread of this process (so it uses the test database)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    _wait_healthy(base, alive=thread.is_alive)
    yield base
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _wait_healthy(base: str, *, alive) -> None:
    deadline = time.monotonic() + 120  # a busy 2-core machine takes half a minute to start a server
    while time.monotonic() < deadline and alive():
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{base} did not answer /healthz")


def _processes_race(base: str, tokens: list[str], sku: str) -> list[tuple]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(tokens)), ctx.Queue()
    procs = [ctx.Process(target=buy, args=(base, token, sku, uuid.uuid4().hex, barrier, results))
             for token in tokens]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    return outcomes


def _tokens(make_user, n: int) -> list[str]:
    return [make_user("buyer")[1]["Authorization"].split(" ", 1)[1] for _ in range(n)]


@pytest.mark.slow
def test_processes_race_through_a_live_server(live_server, make_user, make_skus, counters, order_count):
    sku = make_skus(4)[0]
    outcomes = _processes_race(live_server, _tokens(make_user, 12), sku)
    assert Counter((status, code) for status, code, _ in outcomes) == {(201, None): 4, (409, "out_of_stock"): 8}
    assert counters([sku])[sku] == (0, 4, 0) and order_count() == 4


@pytest.mark.slow
def test_forty_buyers_race_through_marketcast_serve(tmp_path, database_url):
    """Black box: the real command on a SQLite file of its own, one uvicorn worker, 40 buyers for 7 units."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the black-box server runs on its own SQLite file")
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    from marketcast.core.migrate import upgrade

    upgrade(url)
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        markets.create(s, code="US", name="United States", currency="USD", timezone="America/New_York",
                       status="live", actor=SYSTEM)
        seller = auth.create_user(s, email="seller@example.com", role="seller")
        seller_id = seller.id
        buyers = [auth.create_user(s, email=f"b{i}@example.com", role="buyer") for i in range(40)]
        tokens = [auth.issue_token(s, user=b) for b in buyers]
    shop_id = write_shop(lambda: unit_of_work(engine), user_id=seller_id, email="seller@example.com")
    sku = write_product(lambda: unit_of_work(engine), shop_id=shop_id, stock=[7])[0]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "MARKETCAST_DATABASE_URL": url}
    cli = Path(sys.executable).with_name("marketcast")
    server = subprocess.Popen([str(cli), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_healthy(base, alive=lambda: server.poll() is None)
        barrier = threading.Barrier(40)

        def one(token: str):
            with httpx.Client(base_url=base, timeout=90) as c:
                barrier.wait(timeout=30)
                return c.post("/api/v1/orders", json={"lines": [{"sku_id": sku, "quantity": 1}]},
                              headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})

        with ThreadPoolExecutor(max_workers=40) as pool:
            responses = list(pool.map(one, tokens))
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert _outcomes(responses) == {(201, None): 7, (409, "out_of_stock"): 33}
    with unit_of_work(engine, write=False) as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 7
    engine.dispose()
