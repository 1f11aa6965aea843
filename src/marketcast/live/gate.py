"""The sold-out gate: once a deal is known to have no units (or to have ended), further checkouts of it are
turned away before any database work, with the same 409 the database would give (docs/adr/0016).

Two marks: one in this process (a dict), and, when MARKETCAST_REDIS_URL is set, a Redis key, so that every API
process learns of a sell-out from the first one that saw it. A sold-out mark lives for a short while only
(units of unpaid orders come back while the deal runs, and other processes cannot be told to forget); an
"ended" mark is for good. A Redis failure never refuses a buyer: the database decides then.

A request that succeeded is never turned away when retried with its Idempotency-Key: the gate remembers the
fingerprints (user and key) of committed deal orders, in the process and in Redis, and lets their retries through
to be answered by the replay. Without Redis, a retry that reaches another process than the first is refused."""

import logging
import threading
import time
from functools import cache

from marketcast.core.errors import Conflict
from marketcast.core.settings import get_settings

log = logging.getLogger(__name__)

SOLD_OUT_TTL_SECONDS = 2.0
ENDED_TTL_SECONDS = 24 * 3600.0
_PREFIX = "marketcast:live:deal:"

_marks: dict[str, tuple[str, float]] = {}  # deal id -> (code, monotonic expiry)
# deal id -> fingerprints of requests whose deal order committed (see orders.hooks.CheckoutRequest)
_succeeded: dict[str, set[str]] = {}
_lock = threading.Lock()


@cache
def _redis_for(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)


def _redis():
    url = get_settings().redis_url
    return _redis_for(url) if url else None


def refusal(code: str, deal_id: str) -> Conflict:
    if code == "deal_sold_out":
        return Conflict(f"deal {deal_id} is sold out", code="deal_sold_out", deal_id=deal_id)
    return Conflict(f"deal {deal_id} is not open", code="deal_not_open", deal_id=deal_id)


def check(deal_id: str, fingerprint: str | None = None) -> None:
    """Raise the deal's refusal if it is marked here or in Redis, unless `fingerprint` names a request that
    succeeded (its retry is answered by the replay of its first answer); otherwise return (the database decides)."""
    now = time.monotonic()
    mark = _marks.get(deal_id)
    if mark is not None and mark[1] <= now:
        with _lock:
            _marks.pop(deal_id, None)
        mark = None
    client = _redis()
    if mark is None and client is None:
        return
    if fingerprint is not None and fingerprint in _succeeded.get(deal_id, ()):
        return
    code = mark[0] if mark is not None else None
    if client is not None:
        try:
            pipe = client.pipeline(transaction=False)
            if code is None:
                pipe.get(_PREFIX + deal_id)
            if fingerprint is not None:
                pipe.sismember(_PREFIX + deal_id + ":ok", fingerprint)
            answers = pipe.execute()
        except Exception as exc:  # Redis down: the database still holds the truth
            log.warning("sold-out gate: Redis unavailable (%s)", exc)
            return
        if code is None:
            found = answers.pop(0)
            if not found:
                return
            code = found.decode()
            _remember(deal_id, code, now)
        if fingerprint is not None and answers and answers[0]:
            return
    raise refusal(code, deal_id)


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


def _remember(deal_id: str, code: str, now: float) -> None:
    ttl = SOLD_OUT_TTL_SECONDS if code == "deal_sold_out" else ENDED_TTL_SECONDS
    with _lock:
        _marks[deal_id] = (code, now + ttl)


def mark(deal_id: str, code: str) -> None:
    """The deal was seen sold out (`deal_sold_out`) or ended (`deal_not_open`) in committed data."""
    _remember(deal_id, code, time.monotonic())
    client = _redis()
    if client is None:
        return
    ttl = SOLD_OUT_TTL_SECONDS if code == "deal_sold_out" else ENDED_TTL_SECONDS
    try:
        client.set(_PREFIX + deal_id, code, px=int(ttl * 1000))
    except Exception as exc:
        log.warning("sold-out gate: Redis unavailable (%s)", exc)


def clear(deal_id: str) -> None:
    """Units came back to the deal: forget a sold-out mark here and in Redis (other processes' own marks lapse
    within SOLD_OUT_TTL_SECONDS)."""
    with _lock:
        mark_ = _marks.get(deal_id)
        if mark_ is not None and mark_[0] == "deal_sold_out":
            _marks.pop(deal_id, None)
    client = _redis()
    if client is None:
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
