"""The sold-out gate: once a deal is known to have no units (or to have ended), further checkouts of it are
turned away before any database work, with the same 409 the database would give (docs/adr/0016).

Two marks: one in this process (a dict), and, when MARKETCAST_REDIS_URL is set, a Redis key, so that every API
process learns of a sell-out from the first one that saw it. A sold-out mark lives for a short while only
(units of unpaid orders come back while the deal runs, and other processes cannot be told to forget); an
"ended" mark is for good. A Redis failure never refuses a buyer: the database decides then."""

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


def check(deal_id: str) -> None:
    """Raise the deal's refusal if it is marked here or in Redis; otherwise return (the database decides)."""
    now = time.monotonic()
    mark = _marks.get(deal_id)
    if mark is not None:
        if mark[1] > now:
            raise refusal(mark[0], deal_id)
        with _lock:
            _marks.pop(deal_id, None)
    client = _redis()
    if client is None:
        return
    try:
        found = client.get(_PREFIX + deal_id)
    except Exception as exc:  # Redis down: the database still holds the truth
        log.warning("sold-out gate: Redis unavailable (%s)", exc)
        return
    if found:
        code = found.decode()
        _remember(deal_id, code, now)
        raise refusal(code, deal_id)


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
