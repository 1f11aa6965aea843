"""The webhook jobs the worker runs. They own their transactions: each step commits before the next,
and no transaction is open while a receiver is being waited on.

A worker killed mid-delivery loses nothing: its claim is a lease (the delivery's next_attempt_at),
and once it runs out another run takes the delivery again, with the same event id."""

import logging
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from marketcast import __version__
from marketcast.core import clock
from marketcast.core.db import unit_of_work
from marketcast.core.settings import get_settings
from marketcast.webhooks import service, signing, targets

log = logging.getLogger("marketcast.webhooks")

FAN_OUT_BATCH = 500
FAN_OUT_MAX_BATCHES = 20  # bounds one run, so other jobs get their turn behind a large backlog
# Claimed deliveries are sent in parallel, so a batch takes about one timeout, well inside the lease.
CLAIM_BATCH = 20


def fan_out() -> int:
    """Turn undispatched outbox events into deliveries; the number of events handled."""
    total = 0
    for _ in range(FAN_OUT_MAX_BATCHES):
        with unit_of_work() as session:
            handled = service.fan_out_batch(session, limit=FAN_OUT_BATCH)
        total += handled
        if handled < FAN_OUT_BATCH:
            break
    return total


def lease_seconds() -> float:
    settings = get_settings()
    return settings.webhook_lease_seconds or settings.webhook_timeout_seconds + 30


def _send(claim: service.Claim, timeout: float, allow_private: bool) -> dict:
    started_at = clock.now()
    began = time.monotonic()
    # Checked again here, not only at subscription: a host name may resolve to a private address, now or later.
    # The connection then goes to the address checked, never to a second answer of the resolver.
    address, refused = targets.resolve_target(claim.url, allow_private=allow_private)
    if refused:
        note = "" if refused.startswith("cannot resolve") else " (MARKETCAST_WEBHOOK_ALLOW_PRIVATE_URLS is off)"
        return dict(started_at=started_at, duration_ms=int((time.monotonic() - began) * 1000), status_code=None,
                    error=f"refused to send: {refused}{note}")
    assert address is not None, "resolve_target answers an address or why not"
    # Receivers reject signatures older than a few minutes by their own clock, so the signed timestamp is
    # real time even when the business clock is frozen (a replay, a test).
    timestamp = int(clock.wall_now().timestamp())
    headers = signing.headers(claim.secret, msg_id=claim.event_id, timestamp=timestamp, body=claim.body)
    headers["user-agent"] = f"Marketcast-Webhooks/{__version__}"
    status_code, error = None, None
    try:
        # Streamed so a receiver's (possibly large) answer body is never read.
        with targets.pinned_client(address, timeout=timeout) as client, \
                client.stream("POST", claim.url, content=claim.body.encode(), headers=headers) as response:
            status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"receiver answered HTTP {status_code}"
    except httpx.TimeoutException:
        error = f"timed out after {timeout:g} s"
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        # One receiver's bad URL or broken answer fails its own attempt, never the batch.
        error = f"{type(exc).__name__}: {exc}"
    duration_ms = int((time.monotonic() - began) * 1000)
    return dict(started_at=started_at, duration_ms=duration_ms, status_code=status_code, error=error)


def deliver_due(limit: int = CLAIM_BATCH) -> int:
    """Claim due deliveries, POST them, record the outcomes; the number of deliveries attempted."""
    timeout = get_settings().webhook_timeout_seconds
    allow_private = targets.private_allowed()
    with unit_of_work() as session:
        claims = service.claim_due(session, limit=limit, lease_seconds=lease_seconds())
    if not claims:
        return 0
    with ThreadPoolExecutor(max_workers=len(claims), thread_name_prefix="webhook") as pool:
        outcomes = list(pool.map(lambda claim: _send(claim, timeout, allow_private), claims))
    for claim, outcome in zip(claims, outcomes, strict=True):
        try:
            with unit_of_work() as session:
                recorded = service.record_attempt(session, delivery_id=claim.delivery_id,
                                                  lease_token=claim.lease_token, **outcome)
            if recorded is None:
                log.warning("delivery %s was claimed again before this attempt ended; result dropped",
                            claim.delivery_id)
        except Exception:  # one unrecordable outcome must not lose the others; the lease brings it back
            log.exception("could not record the attempt of delivery %s", claim.delivery_id)
    return len(claims)


JOBS = {"webhooks_fanout": fan_out, "webhooks_deliver": deliver_due}
