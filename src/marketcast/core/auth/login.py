"""Password login as a flow that owns its transactions, like a worker job: the attempt is counted and committed
before the password is checked, and no transaction (so no row lock, no pooled connection) is held while the
deliberately slow hash is computed (docs/adr/0019).

`login` is what the API and the console await: the whole flow runs on a small thread pool of its own, so a
burst of logins waits there and never takes the threads that every other request needs."""

import asyncio
import functools
import weakref

import anyio
from anyio import to_thread
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from marketcast.core.auth import throttle
from marketcast.core.auth.models import User
from marketcast.core.auth.service import PASSWORD_HASHER
from marketcast.core.db import unit_of_work
from marketcast.core.errors import ServiceBusy, Unauthorized
from marketcast.core.settings import get_settings

_hasher = PASSWORD_HASHER


@functools.cache
def _dummy_hash() -> str:
    # An unknown email is checked against this, so it costs the same time as a wrong password.
    return _hasher.hash("no user has this password")


_limiters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _limiter() -> anyio.CapacityLimiter:
    # One per event loop: a limiter's waiters belong to the loop they wait in (tests run several loops).
    loop = asyncio.get_running_loop()
    if loop not in _limiters:
        _limiters[loop] = anyio.CapacityLimiter(get_settings().login_concurrency)
    return _limiters[loop]


def _matches(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def login_now(*, email: str, password: str, address: str) -> User:
    """Count the attempt (or raise TooManyRequests), check the password (or raise Unauthorized), end the run."""
    with unit_of_work() as session:
        throttle.count_attempt(session, email=email, address=address)
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if not _matches(user.password_hash if user else None, password) or user is None:
        raise Unauthorized("email or password is wrong", code="invalid_credentials")
    with unit_of_work() as session:
        throttle.succeeded(session, email=email, address=address)
    return user


async def login(*, email: str, password: str, address: str) -> User:
    limiter = _limiter()
    if limiter.statistics().tasks_waiting >= get_settings().login_queue_max:
        raise ServiceBusy("too many logins are waiting; retry shortly", retry_after=1)
    call = functools.partial(login_now, email=email, password=password, address=address)
    return await to_thread.run_sync(call, limiter=limiter)
