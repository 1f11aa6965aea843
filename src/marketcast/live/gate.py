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

A request that succeeded is never turned away when retried with its Idempotency-Key: the gate records the
fingerprint (user and key) of every request it lets through, before that request's checkout can commit, in the
process and in Redis (one script with the mark's look-up: one round trip), and lets their retries through to be
answered by the replay (or refused by the database, for those that did not buy). Without Redis, a retry that
reaches another process than the first is refused."""

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
# deal id -> fingerprints of requests let through, which may have bought (see orders.hooks.CheckoutRequest)
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


# One round trip at admission: a fingerprint already recorded passes; else the deal's mark refuses; else the
# fingerprint is recorded (before its checkout can commit) and the request passes. Answers '+', a mark, or ''.
_ADMIT = """
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return '+' end
local mark = redis.call('GET', KEYS[1])
if mark then return mark end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return ''
"""
_scripts: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _admit_script(client):
    found = _scripts.get(client)
    if found is None:
        found = _scripts[client] = client.register_script(_ADMIT)
    return found


async def check(deal_id: str, fingerprint: str | None = None) -> None:
    """Raise the deal's refusal if it is marked here or in Redis, unless `fingerprint` names a request that was
    let through before (its retry is answered by the database: the replay of its first answer); otherwise record
    `fingerprint` and return (the database decides). A request is recorded before its checkout can commit, so a
    process that sees a deal's mark in Redis also sees every request that may have bought from it."""
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
                probe = False
                if mark is not None and mark[1] <= now:
                    _marks[deal_id], probe = (mark[0], now + SOLD_OUT_LOCAL_SECONDS), True
            if probe:
                _record(deal_id, fingerprint)  # takes _lock itself (not reentrant)
                return
            mark = _marks.get(deal_id)
            if mark is not None:
                raise refusal(mark[0], deal_id)
        _record(deal_id, fingerprint)
        return
    if fingerprint is None:
        fingerprint = ""
    try:
        answer = await _admit_script(client)(keys=[_PREFIX + deal_id, _PREFIX + deal_id + ":ok"],
                                             args=[fingerprint, int(get_settings().idempotency_ttl_hours * 3600)])
    except Exception as exc:  # Redis down: the database still holds the truth
        log.warning("sold-out gate: Redis unavailable (%s)", exc)
        _record(deal_id, fingerprint)
        return
    answer = answer.decode() if isinstance(answer, bytes) else str(answer)
    if answer in ("", "+"):
        if code is not None or lapsed:  # Redis has no mark (units came back): ours is forgotten
            with _lock:
                if _marks.get(deal_id, ("", 0.0))[0] == "deal_sold_out":
                    _marks.pop(deal_id, None)
        _record(deal_id, fingerprint)
        return
    _remember(deal_id, answer, now)
    raise refusal(answer, deal_id)


def _record(deal_id: str, fingerprint: str | None) -> None:
    if fingerprint:
        with _lock:
            _succeeded.setdefault(deal_id, set()).add(fingerprint)


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
