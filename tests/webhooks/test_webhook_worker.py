"""The real `marketcast worker`, killed mid-delivery, and two workers claiming at once."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from standardwebhooks import Webhook

from marketcast.core.db import get_engine, unit_of_work
from marketcast.webhooks import jobs, service
from tests.support.webhooks import delivery_of, emit, subscribe

MARKETCAST = str(Path(sys.executable).parent / "marketcast")


def test_a_worker_killed_mid_delivery_loses_nothing(receiver, tmp_path):
    receiver.answer("hang", 200)  # the first request is held until the sender is gone
    sub_id, secret = subscribe(receiver.url, ["*"])
    event_id = emit("market.status_changed", market="US", reason="review")
    env = {**os.environ, "MARKETCAST_WEBHOOK_LEASE_SECONDS": "1", "MARKETCAST_WORKER_INTERVAL_SECONDS": "0.1"}
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen([MARKETCAST, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert receiver.wait_for(1, timeout=60), (tmp_path / "worker.log").read_text()
        claimed = delivery_of(sub_id)
        assert claimed.status == "delivering" and claimed.attempts == 0
    finally:
        worker.kill()  # SIGKILL: no cleanup of any kind
        worker.wait(timeout=10)
    time.sleep(1.2)  # let the dead worker's lease run out

    done = subprocess.run([MARKETCAST, "worker", "--once"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "webhooks_deliver: 1" in done.stdout

    assert receiver.ids() == [event_id, event_id]  # the same event, so the receiver can dedupe
    headers, body = receiver.requests[1]
    assert Webhook(secret).verify(body, headers)["data"]["reason"] == "review"
    delivery = delivery_of(sub_id)
    assert delivery.status == "delivered" and delivery.attempts == 1  # the killed attempt left no record


def test_two_workers_never_claim_the_same_delivery():
    subscribe("https://a.example/hook", ["*"])
    for _ in range(3):
        emit("market.status_changed")
    jobs.fan_out()
    first: list[service.Claim] = []
    holding, release = threading.Event(), threading.Event()

    def worker_a() -> None:
        with unit_of_work() as session:
            first.extend(service.claim_due(session, limit=2, lease_seconds=60))
            holding.set()
            release.wait(10)  # keeps its transaction (and, on PostgreSQL, its row locks) open

    a = threading.Thread(target=worker_a)
    a.start()
    assert holding.wait(10)
    timer = threading.Timer(2, release.set)
    timer.start()
    try:
        with unit_of_work() as session:
            second = service.claim_due(session, limit=10, lease_seconds=60)
        if get_engine().dialect.name == "postgresql":
            assert not release.is_set()  # SKIP LOCKED: the second worker did not wait for the first
    finally:
        release.set()
        timer.cancel()
        a.join(10)
    ids_a, ids_b = {c.delivery_id for c in first}, {c.delivery_id for c in second}
    assert len(ids_a) == 2 and len(ids_b) == 1 and not ids_a & ids_b
