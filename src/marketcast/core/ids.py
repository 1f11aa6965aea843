"""Prefixed, sortable, random ids such as mkt_01J…: readable in logs, safe in URLs.

Like a monotonic ULID: 48 bits of milliseconds, then 80 bits that are random for the first id of a
millisecond and incremented for the next ones, so ids made by one process sort in creation order
(events written in one transaction come out in the order they were emitted)."""

import os
import re
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_lock = threading.Lock()
_last = (0, 0)


_PAIRS = tuple(high + low for high in _ALPHABET for low in _ALPHABET)  # every two digits: 10 bits a look-up


def _encode(number: int, length: int) -> str:
    """The last `length` base-32 digits of `number` (higher ones are dropped), two digits a look-up: ids are
    made for every row a set-based pass writes, and a digit at a time was a visible part of its cost."""
    even = length + length % 2
    text = "".join([_PAIRS[(number >> shift) & 1023] for shift in range(5 * even - 10, -1, -10)])
    return text[even - length:]


def _next() -> tuple[int, int]:
    global _last
    with _lock:
        millis = int(time.time() * 1000)
        last_millis, last_rand = _last
        if millis <= last_millis:
            millis, rand = last_millis, last_rand + 1
        else:
            # Leave head-room below 2**80 so increments never overflow within a millisecond.
            rand = int.from_bytes(os.urandom(10), "big") >> 1
        _last = (millis, rand)
        return _last


_millis_text = (0, _encode(0, 10))


def new_id(prefix: str) -> str:
    global _millis_text
    millis, rand = _next()
    known = _millis_text  # one read: another thread may replace it meanwhile
    if known[0] != millis:  # the same millisecond for many ids in a row: its digits once
        known = _millis_text = (millis, _encode(millis, 10))
    return f"{prefix}_{known[1]}{_encode(rand, 16)}"


def new_ids(prefix: str, count: int) -> list[str]:
    """`count` ids at once, in creation order, for set-based passes that write thousands of rows."""
    return [new_id(prefix) for _ in range(count)]


_SHAPE = re.compile(r"^[a-z]{2,5}_[0-9a-z]{1,27}$")


def looks_like_id(value: object) -> bool:
    """Whether `value` has the shape of an id we issue. Junk (NUL, very long text) then never reaches the
    database: it is simply not an id of ours, so not found (PostgreSQL would fail on a NUL with a 500)."""
    return isinstance(value, str) and bool(_SHAPE.match(value))
