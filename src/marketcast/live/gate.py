"""The sold-out gate: once a deal is known to have no units (or to have ended), further checkouts of it are
turned away before any database work, with the same 409 the database would give (docs/adr/0016).

It runs on the event loop, before the checkout is handed to a worker thread (orders' `checkout_admission`, an
async dependency): a turn-away costs no thread, no connection and no transaction.

Two marks: one in this process, and, when MARKETCAST_REDIS_URL is set, a Redis key, so that every API process
learns of a sell-out from the first one that saw it. A process's own mark is trusted for SOLD_OUT_LOCAL_SECONDS,
then it asks Redis again (or, without Redis, lets one request through to the database while the others are still
turned away: a probe). The Redis sold-out key lives SOLD_OUT_REDIS_SECONDS and is deleted at once when units come
back to the deal (an unpaid order expired): a key left behind by a process killed in between lapses by itself. An
"ended" mark is for good. A Redis failure never refuses a buyer: the database decides then.

A request that succeeded is never turned away when retried with its Idempotency-Key: the gate remembers the
fingerprints (user and key) of committed deal orders, in the process and in Redis, and lets their retries through
to be answered by the replay. Without Redis, a retry that reaches another process than the first is refused."""

import logging
import threading
import time
import weakref
from functools import cache

from marketcast.core.errors import Conflict
from marketcast.core.settings import get_settings

log = logging.getLogger(__name__)

SOLD_OUT_LOCAL_SECONDS = 2.0
SOLD_OUT_REDIS_SECONDS = 30.0
ENDED_SECONDS = 24 * 3600.0
_PREFIX = "marketcast:live:deal:"

_marks: dict[str, tuple[str, float]] = {}  # deal id -> (code, monotonic time until which it is trusted)
# deal id -> fingerprints of requests whose deal order committed (see orders.hooks.CheckoutRequest)
_succeeded: dict[str, set[str]] = {}
_lock = threading.Lock()
_async_clients: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


@cache
def _redis_for(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)


def _redis():
    url = get_settings().redis_url
    return _redis_for(url) if url else None


def _async_redis():
    """A redis.asyncio client for the running event loop (a client belongs to one loop)."""
    import asyncio

    url = get_settings().redis_url
    if not url:
        return None
    loop = asyncio.get_running_loop()
    found = _async_clients.get(loop)
    if found is None or found[0] != url:
        import redis.asyncio as aioredis

        found = (url, aioredis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5))
        _async_clients[loop] = found
    return found[1]


def refusal(code: str, deal_id: str) -> Conflict:
    if code == "deal_sold_out":
        return Conflict(f"deal {deal_id} is sold out", code="deal_sold_out", deal_id=deal_id)
    return Conflict(f"deal {deal_id} is not open", code="deal_not_open", deal_id=deal_id)


def _local(deal_id: str, now: float) -> tuple[str | None, bool]:
    """(code of a mark this process trusts, or None; whether that mark just lapsed)."""
    mark = _marks.get(deal_id)
    if mark is None:
        return None, False
    if mark[1] > now:
        return mark[0], False
    return None, True


async def check(deal_id: str, fingerprint: str | None = None) -> None:
    """Raise the deal's refusal if it is marked here or in Redis, unless `fingerprint` names a request that
    succeeded (its retry is answered by the replay of its first answer); otherwise return (the database decides)."""
    now = time.monotonic()
    code, lapsed = _local(deal_id, now)
    if fingerprint is not None and fingerprint in _succeeded.get(deal_id, ()):
        return
    client = _async_redis()
    if client is None:
        if code is not None:
            raise refusal(code, deal_id)
        if lapsed:
            # One request goes to the database to see whether units came back; the others are still refused.
            with _lock:
                mark = _marks.get(deal_id)
                if mark is not None and mark[1] <= now:
                    _marks[deal_id] = (mark[0], now + SOLD_OUT_LOCAL_SECONDS)
                    return
            mark = _marks.get(deal_id)
            if mark is not None:
                raise refusal(mark[0], deal_id)
        return
    try:
        pipe = client.pipeline(transaction=False)
        if code is None:
            pipe.get(_PREFIX + deal_id)
        if fingerprint is not None:
            pipe.sismember(_PREFIX + deal_id + ":ok", fingerprint)
        answers = await pipe.execute()
    except Exception as exc:  # Redis down: the database still holds the truth
        log.warning("sold-out gate: Redis unavailable (%s)", exc)
        return
    if code is None:
        found = answers.pop(0)
        if not found:
            if lapsed:
                with _lock:
                    _marks.pop(deal_id, None)
            return
        code = found.decode()
        _remember(deal_id, code, now)
    if fingerprint is not None and answers and answers[0]:
        return
    raise refusal(code, deal_id)


def _remember(deal_id: str, code: str, now: float) -> None:
    ttl = SOLD_OUT_LOCAL_SECONDS if code == "deal_sold_out" else ENDED_SECONDS
    with _lock:
        _marks[deal_id] = (code, now + ttl)


def mark(deal_id: str, code: str) -> None:
    """The deal was seen sold out (`deal_sold_out`) or ended (`deal_not_open`) in committed data."""
    _remember(deal_id, code, time.monotonic())
    client = _redis()
    if client is None:
        return
    ttl = SOLD_OUT_REDIS_SECONDS if code == "deal_sold_out" else ENDED_SECONDS
    try:
        client.set(_PREFIX + deal_id, code, px=int(ttl * 1000))
    except Exception as exc:
        log.warning("sold-out gate: Redis unavailable (%s)", exc)


def remember(deal_id: str, fingerprint: str) -> None:
    """A deal order of this request committed: its retries pass the gate (to be replayed from the database)."""
    with _lock:
        _succeeded.setdefault(deal_id, set()).add(fingerprint)
    client = _redis()
    if client is None:
        return
    try:
        pipe = client.pipeline(transaction=False)
        pipe.sadd(_PREFIX + deal_id + ":ok", fingerprint)
        pipe.expire(_PREFIX + deal_id + ":ok", int(get_settings().idempotency_ttl_hours * 3600))
        pipe.execute()
    except Exception as exc:
        log.warning("sold-out gate: Redis unavailable (%s)", exc)


def is_marked(deal_id: str) -> bool:
    return deal_id in _marks


def clear(deal_id: str, *, everywhere: bool = True) -> None:
    """Units came back to the deal: forget a sold-out mark here and (everywhere) in Redis; other processes' own
    marks lapse within SOLD_OUT_LOCAL_SECONDS."""
    with _lock:
        found = _marks.get(deal_id)
        if found is not None and found[0] == "deal_sold_out":
            _marks.pop(deal_id, None)
    client = _redis()
    if client is None or not everywhere:
        return
    try:
        # Only a sold-out mark: an ended deal stays ended.
        if client.get(_PREFIX + deal_id) == b"deal_sold_out":
            client.delete(_PREFIX + deal_id)
    except Exception as exc:
        log.warning("sold-out gate: Redis unavailable (%s)", exc)


def reset() -> None:
    """Forget every mark of this process (tests)."""
    with _lock:
        _marks.clear()
        _succeeded.clear()
