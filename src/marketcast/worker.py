"""The background loop. The worker owns the transactions: a job is either a service operation
run in one unit of work here, or a `jobs` module that needs several (webhook delivery must not
hold a transaction open while it waits on a receiver)."""

import logging
import os
import signal
import threading
from collections.abc import Callable

import marketcast.affiliate.handlers  # noqa: F401  (affiliate subscribes to the orders hooks)
from marketcast.affiliate import jobs as affiliate
from marketcast.core import clock, idempotency
from marketcast.core.chunks import commit_each
from marketcast.core.db import unit_of_work
from marketcast.core.settings import get_settings
from marketcast.creators import service as creators
from marketcast.orders import reconcile
from marketcast.orders import service as orders
from marketcast.policies import service as policies
from marketcast.sellers import service as sellers
from marketcast.webhooks import jobs as webhooks

log = logging.getLogger("marketcast.worker")



def announce_policies() -> int:
    """Re-judge the applications that the versions whose time has come affect, a chunk per transaction, then
    announce the versions and re-judge creators in one last transaction. A crash before that leaves the versions
    unannounced: the next run judges again (what was done writes nothing) and announces."""
    now = clock.now()
    with unit_of_work() as session:
        due = [(v.key, v.market) for v in policies.due_versions(session, now=now)]
        commit_each(session, sellers.reevaluate_after_chunks(session, changes=due))
        versions = policies.announce_effective_versions(session, now=now)
        changes = [(v.key, v.market) for v in versions]
        # A version scheduled for this very moment after the first read: judged here, in the last transaction.
        sellers.reevaluate_after(session, changes=[c for c in changes if c not in due])
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
    "payments_reconcile": reconcile.settle_lost_payments,
    "orders_expire": expire_orders,
    "idempotency_purge": purge_idempotency_keys,
    **affiliate.JOBS,
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


def run_forever(parent_pid: int | None = None) -> None:
    """Run the jobs every interval until SIGTERM or SIGINT (the current run finishes first), or, with
    `parent_pid`, until that process is gone (`serve --with-worker` killed outright leaves no orphan)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    interval = get_settings().worker_interval_seconds
    while not stop.is_set() and (parent_pid is None or os.getppid() == parent_pid):
        run_once()
        stop.wait(interval)
