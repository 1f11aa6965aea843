"""Two `marketcast serve` processes against one Redis serve one room: a viewer connected to one sees, in order,
what is published through the other; a reconnect to either resumes from the shared stream; viewer counts add up
across processes. And a LIVE room for real: a viewer on one process sees a flash-deal purchase made through the
other's checkout (PostgreSQL: the two servers and the test share the database)."""

import asyncio
import json
import os
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from websockets.asyncio.client import connect as ws_connect

from marketcast.core import clock
from marketcast.live.models import FlashDeal
from tests.live.conftest import Steps
from tests.support.commerce import write_product
from tests.support.orders import APPROVE
from tests.support.serve import serve

pytestmark = [pytest.mark.redis, pytest.mark.slow]
ON_POSTGRES = os.environ.get("MARKETCAST_TEST_BACKEND") == "postgres"


def connect(url: str, **options):
    """A loaded machine can take a while to answer a handshake."""
    return ws_connect(url, open_timeout=60, **options)


ROOMS = "/api/v1/realtime/diagnostics/rooms"


@pytest.fixture(scope="module")
def two_servers(database_url, redis_url, tmp_path_factory):
    # Started once for the module: two processes take a minute to start on a busy machine.
    tmp_path = tmp_path_factory.mktemp("two-servers")
    prefix = f"mc-test-{uuid.uuid4().hex[:10]}"
    env = {"MARKETCAST_REDIS_URL": redis_url, "MARKETCAST_REDIS_PREFIX": prefix,
           "MARKETCAST_REALTIME_DIAGNOSTICS": "true", "MARKETCAST_REALTIME_PRESENCE_INTERVAL_SECONDS": "0.2"}
    first = serve(database_url, tmp_path / "a.log", workers=1, **env)
    try:
        second = serve(database_url, tmp_path / "b.log", workers=1, **env)
    except BaseException:
        first.stop(within=5)
        raise
    yield first, second
    for served in (first, second):
        served.stop(within=10)
    import redis

    with redis.Redis.from_url(redis_url) as client:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)


def ws_url(base: str, room: str, query: str = "") -> str:
    return base.replace("http://", "ws://") + f"{ROOMS}/{room}/ws" + query


async def publish(base: str, room: str, type: str, **data) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{base}{ROOMS}/{room}/messages", json={"type": type, "data": data}, timeout=10)
    assert answer.status_code == 202, answer.text


async def next_of(ws, type: str) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 15))
        if message["type"] == type:
            return message


def test_a_viewer_on_one_process_sees_in_order_what_the_other_publishes(two_servers):
    a, b = two_servers
    room = "show"

    async def scenario():
        async with connect(ws_url(a.base, room)) as on_a:
            snapshot = json.loads(await asyncio.wait_for(on_a.recv(), 15))
            assert snapshot["type"] == "snapshot"
            for i in range(20):
                await publish(b.base if i % 2 else a.base, room, "purchase", i=i)
            got = [await next_of(on_a, "purchase") for _ in range(20)]
            assert [m["data"]["i"] for m in got] == list(range(20))
            seqs = [m["seq"] for m in got]
            assert seqs == sorted(set(seqs)) and seqs[0] > snapshot["seq"]
            last = seqs[-1]
        # Away from both; then back through the other process, which reads the shared stream.
        for i in range(20, 25):
            await publish(a.base, room, "purchase", i=i)
        async with connect(ws_url(b.base, room, f"?after_seq={last}")) as on_b:
            missed = [await next_of(on_b, "purchase") for _ in range(5)]
            assert [m["data"]["i"] for m in missed] == list(range(20, 25))

    asyncio.run(scenario())


def test_the_viewer_count_adds_up_the_connections_of_both_processes(two_servers):
    a, b = two_servers
    room = "crowd"

    async def count_reaches(ws, n: int) -> None:
        while (await next_of(ws, "viewers"))["data"]["count"] != n:
            pass

    async def scenario():
        async with connect(ws_url(a.base, room)) as first, connect(ws_url(b.base, room)) as second, \
                connect(ws_url(b.base, room)) as third:
            await asyncio.wait_for(asyncio.gather(*(count_reaches(ws, 3) for ws in (first, second, third))), 20)
            await third.close()
            await asyncio.wait_for(asyncio.gather(count_reaches(first, 2), count_reaches(second, 2)), 20)

    asyncio.run(scenario())


@pytest.mark.skipif(not ON_POSTGRES, reason="three processes writing one database: the PostgreSQL run has it")
def test_a_viewer_on_one_process_sees_a_deal_purchase_made_through_the_other(two_servers, make_shop, make_user, db):
    a, b = two_servers
    shop = make_shop()
    sku = write_product(db, shop_id=shop["id"], stock=[20], prices=[1000])[0]
    _, buyer = make_user("buyer")
    with httpx.Client(base_url=a.base, timeout=30) as on_a:
        steps = Steps(on_a)
        product_id = steps.call("GET", f"/skus/{sku}", None)["product_id"]
        live = steps.live_with(shop, product_id)
        deal = steps.deal(shop, live["id"], sku, allotment=5)
        steps.start_deal(shop, deal["id"])
    with db() as s:  # the countdown is over: the servers run on the real clock, which this test does not move
        s.execute(update(FlashDeal).where(FlashDeal.id == deal["id"])
                  .values(opens_at=clock.now() - timedelta(seconds=1)))
    room = b.base.replace("http://", "ws://") + f"/api/v1/live/sessions/{live['id']}/ws"

    async def scenario() -> tuple[dict, list[dict]]:
        async with connect(room) as viewer, httpx.AsyncClient(base_url=a.base, timeout=30) as http:
            snapshot = json.loads(await asyncio.wait_for(viewer.recv(), 15))
            placed = await http.post("/api/v1/orders", headers={**buyer, "Idempotency-Key": uuid.uuid4().hex},
                                     json={"lines": [{"sku_id": sku, "quantity": 1, "deal_id": deal["id"]}]})
            assert placed.status_code == 201, placed.text
            paid = await http.post(f"/api/v1/orders/{placed.json()['id']}/pay", headers=buyer,
                                   json={"card_number": APPROVE})
            assert paid.status_code == 200 and paid.json()["status"] == "paid", paid.text
            heard: list[dict] = []
            while not heard or heard[-1]["type"] != "purchase":
                message = json.loads(await viewer.recv())
                if message["type"] != "viewers":
                    heard.append(message)
            return snapshot, heard

    snapshot, heard = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert snapshot["type"] == "snapshot"
    assert (snapshot["data"]["deal"]["id"], snapshot["data"]["deal"]["status"]) == (deal["id"], "open")
    assert snapshot["data"]["deal"]["units_left"] == 5
    # In order: the units the checkout took (when the order was placed), then the ticker (when it was paid).
    assert [m["type"] for m in heard] == ["deal", "purchase"]
    assert heard[0]["data"] == {"id": deal["id"], "units_left": 4}
    assert heard[1]["data"] | {"at": None} == {"product_id": product_id, "sku_id": sku, "quantity": 1,
                                               "deal_id": deal["id"], "at": None}  # never who bought
    assert snapshot["seq"] < heard[0]["seq"] < heard[1]["seq"]
