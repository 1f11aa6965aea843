"""The login throttle: every attempt is counted before its password is checked, in one atomic statement that
also says whether the caller must wait, so parallel guesses can neither slip past the count nor collide.

Per key (an account, a client address): the first `limit` attempts of a run go through; from then on each
counted attempt sets a delay that doubles (base, 2 x base, … up to the maximum) before the next one may be
counted. An attempt that arrives during a delay is refused and not counted, so it does not lengthen the delay:
an attacker holds the owner off for at most the maximum delay, never for good (docs/adr/0019)."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, update
from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth.models import LoginThrottle
from marketcast.core.db import upsert_insert
from marketcast.core.errors import TooManyRequests
from marketcast.core.settings import get_settings

_TABLE = LoginThrottle.__table__


@dataclass(frozen=True)
class Key:
    value: str
    limit: int
    what: str  # for the message: "this account", "this address"


def keys(email: str, address: str) -> list[Key]:
    """The account first: when it is waiting, the address is not counted (the attempt is refused whole)."""
    settings = get_settings()
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]
    return [Key(f"email:{digest}", settings.login_max_failures, "this account"),
            Key(f"ip:{address}"[:64], settings.login_address_max_failures, "this address")]


def delay(attempts: int, limit: int) -> timedelta | None:
    """How long after the `attempts`-th attempt of a run the next one must wait."""
    if attempts < limit:
        return None
    settings = get_settings()
    seconds = settings.login_base_delay_seconds * 2 ** min(attempts - limit, 20)
    return timedelta(seconds=min(seconds, settings.login_max_delay_seconds))


def count(session: Session, key: Key, *, now: datetime) -> int | None:
    """Count one attempt on `key`; its number in the run, or None when the key is waiting (nothing counted).

    One `INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`: the row is locked for this statement only, and a
    key in its delay matches no row, so it returns nothing."""
    stale = _TABLE.c.last_attempt_at < now - timedelta(seconds=get_settings().login_window_seconds)
    stmt = upsert_insert(session, _TABLE).values(key=key.value, attempts=1, last_attempt_at=now, blocked_until=None)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_TABLE.c.key],
        set_={"attempts": case((stale, 1), else_=_TABLE.c.attempts + 1), "last_attempt_at": now},
        where=or_(_TABLE.c.blocked_until.is_(None), _TABLE.c.blocked_until <= now),
    ).returning(_TABLE.c.attempts)
    attempts = session.execute(stmt).scalar_one_or_none()
    if attempts is not None:
        wait = delay(attempts, key.limit)
        # Same transaction, row already locked by the statement above: the next attempt sees this delay.
        session.execute(update(_TABLE).where(_TABLE.c.key == key.value)
                        .values(blocked_until=now + wait if wait else None))
    return attempts


def count_attempt(session: Session, *, email: str, address: str) -> None:
    """Count an attempt on the account and the address, or raise TooManyRequests (the caller rolls back)."""
    now = clock.now()
    for key in keys(email, address):
        if count(session, key, now=now) is None:
            row = session.get(LoginThrottle, key.value, populate_existing=True)
            assert row is not None, "count() refused an attempt, so the key's row is there, locked"
            blocked_until = row.blocked_until
            wait = max(1, int((blocked_until - now).total_seconds() + 0.999)) if blocked_until else 1
            raise TooManyRequests(f"too many login attempts for {key.what}; retry in {wait} s", retry_after=wait)


def succeeded(session: Session, *, email: str, address: str) -> None:
    """A right password ends the account's run; the address's attempt is given back but its run goes on, so a
    client cannot reset its own count by logging into its own account between guesses at others."""
    account, by_address = keys(email, address)
    session.execute(_TABLE.delete().where(_TABLE.c.key == account.value))
    session.execute(update(_TABLE).where(_TABLE.c.key == by_address.value, _TABLE.c.attempts > 0)
                    .values(attempts=_TABLE.c.attempts - 1))
