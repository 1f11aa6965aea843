"""The background loop. The worker owns the transactions: a job is either a service operation
run in one unit of work here, or a `jobs` module that needs several (webhook delivery must not
hold a transaction open while it waits on a receiver)."""

import logging
import os
import signal
import threading

from marketcast import areas
from marketcast.core import sandbox
from marketcast.core.settings import get_settings

log = logging.getLogger("marketcast.worker")


def run_once() -> dict[str, int]:
    done = {}
    for name, job in areas.jobs().items():
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
    sandbox.install()
    interval = get_settings().worker_interval_seconds
    while not stop.is_set() and (parent_pid is None or os.getppid() == parent_pid):
        run_once()
        stop.wait(interval)
