"""The background loop. The worker owns the transactions: a job is either a service operation
run in one unit of work here, or a `jobs` module that needs several (webhook delivery must not
hold a transaction open while it waits on a receiver)."""

import logging
import signal
import time
from collections.abc import Callable

from marketcast.core import clock, idempotency
from marketcast.core.db import unit_of_work
from marketcast.core.settings import get_settings
from marketcast.creators import service as creators
from marketcast.orders import service as orders
from marketcast.policies import service as policies
from marketcast.sellers import service as sellers
from marketcast.webhooks import jobs as webhooks

log = logging.getLogger("marketcast.worker")



def announce_policies() -> int:
    """Announce versions whose time has come, and re-judge what they affect in the same transaction."""
    with unit_of_work() as session:
        versions = policies.announce_effective_versions(session, now=clock.now())
        changes = [(v.key, v.market) for v in versions]
        sellers.reevaluate_after(session, changes=changes)
        creators.reevaluate_after(session, changes=changes)
        return len(versions)


def graduate_shops() -> int:
    with unit_of_work() as session:
        return sellers.graduate_shops(session)


def expire_orders() -> int:
    with unit_of_work() as session:
        return orders.expire_unpaid(session)


def purge_idempotency_keys() -> int:
    with unit_of_work() as session:
        return idempotency.purge_expired(session)


JOBS: dict[str, Callable[[], int]] = {
    "policies_effective": announce_policies,
    "shops_graduate": graduate_shops,
    "orders_expire": expire_orders,
    "idempotency_purge": purge_idempotency_keys,
    "webhooks_fanout": webhooks.fan_out,
    "webhooks_deliver": webhooks.deliver_due,
}


def run_once() -> dict[str, int]:
    done = {}
    for name, job in JOBS.items():
        try:
            done[name] = job()
        except Exception:  # one failing job must not stop the others
            log.exception("job %s failed", name)
            done[name] = -1
    return done


def run_forever() -> None:
    stop = False

    def _stop(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    interval = get_settings().worker_interval_seconds
    while not stop:
        run_once()
        time.sleep(interval)
