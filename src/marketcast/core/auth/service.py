"""Users, API tokens and password logins."""

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth.actor import Actor
from marketcast.core.auth.models import ApiToken, LoginThrottle, User
from marketcast.core.errors import Conflict, Invalid, NotFound, TooManyRequests, Unauthorized
from marketcast.core.ids import new_id
from marketcast.core.settings import get_settings

ROLES = ("operator", "seller", "creator", "buyer")
_hasher = PasswordHasher()


def actor_of(user: User) -> Actor:
    return Actor(user_id=user.id, email=user.email, role=user.role,
                 markets=tuple(user.markets) if user.markets is not None else None)


def create_user(session: Session, *, email: str, role: str, password: str | None = None,
                markets: list[str] | None = None) -> User:
    email = email.strip().lower()
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}", field="role")
    if markets is not None and role != "operator":
        raise Invalid("only operators can be limited to markets", field="markets")
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(f"a user with email {email} already exists", code="email_taken", field="email")
    user = User(id=new_id("usr"), email=email, role=role, created_at=clock.now(),
                password_hash=_hasher.hash(password) if password else None,
                markets=sorted({m.strip().upper() for m in markets if m.strip()}) if markets is not None else None)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"a user with email {email} already exists", code="email_taken", field="email") from None
    return user


def get_user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound("user", email)
    return user


def set_password(session: Session, *, email: str, password: str) -> User:
    user = get_user_by_email(session, email)
    user.password_hash = _hasher.hash(password)
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, *, user: User) -> str:
    token = "mc_" + secrets.token_urlsafe(32)
    session.add(ApiToken(id=new_id("tok"), user_id=user.id, token_hash=_hash_token(token), created_at=clock.now()))
    return token


def actor_for_token(session: Session, token: str) -> Actor | None:
    row = session.execute(
        select(User).join(ApiToken, ApiToken.user_id == User.id).where(ApiToken.token_hash == _hash_token(token))
    ).scalar_one_or_none()
    return actor_of(row) if row else None


def revoke_token(session: Session, *, token: str) -> bool:
    """Revoke the token itself (signing out an integration); False when it was not a token of ours."""
    return session.execute(delete(ApiToken).where(ApiToken.token_hash == _hash_token(token))).rowcount > 0


def revoke_tokens(session: Session, *, email: str) -> int:
    """Revoke every API token of a user (a leaked token, a person leaving); how many there were."""
    user = get_user_by_email(session, email)
    return session.execute(delete(ApiToken).where(ApiToken.user_id == user.id)).rowcount


def check_password(session: Session, *, email: str, password: str) -> User:
    """The user whose password this is, or Unauthorized (same answer for unknown email and wrong password)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    try:
        if user is None or not user.password_hash or not _hasher.verify(user.password_hash, password):
            raise Unauthorized("email or password is wrong", code="invalid_credentials")
    except (VerificationError, InvalidHashError):
        raise Unauthorized("email or password is wrong", code="invalid_credentials") from None
    return user


def check_throttle(session: Session, *, address: str) -> None:
    row = session.get(LoginThrottle, address)
    now = clock.now()
    if row and row.blocked_until and row.blocked_until > now:
        wait = max(1, int((row.blocked_until - now).total_seconds() + 0.999))
        raise TooManyRequests(f"too many failed logins from this address; retry in {wait} s", retry_after=wait)


def record_failure(session: Session, *, address: str) -> None:
    settings = get_settings()
    now = clock.now()
    row = session.get(LoginThrottle, address)
    if row is None or (now - row.first_failed_at).total_seconds() > settings.login_window_seconds:
        if row is None:
            row = LoginThrottle(address=address, failures=0, first_failed_at=now)
            session.add(row)
        row.failures, row.first_failed_at, row.blocked_until = 0, now, None
    row.failures += 1
    over = row.failures - settings.login_max_failures
    if over >= 0:
        # Doubles with each further failure: 2 s, 4 s, 8 s … capped at the window.
        row.blocked_until = now + timedelta(seconds=min(2 ** (over + 1), settings.login_window_seconds))


def clear_failures(session: Session, *, address: str) -> None:
    row = session.get(LoginThrottle, address)
    if row is not None:
        session.delete(row)


def _throttle_keys(email: str, address: str) -> list[str]:
    # Per address (one client guessing many passwords) and per account (many clients guessing one).
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]
    return [f"ip:{address}"[:64], f"email:{digest}"]


def login(session: Session, *, email: str, password: str, address: str) -> User:
    """A throttled password check: 429 while the address or the account is blocked; a wrong password counts
    against both. The caller keeps the counting even though it answers with an error."""
    keys = _throttle_keys(email, address)
    for key in keys:
        check_throttle(session, address=key)
    try:
        user = check_password(session, email=email, password=password)
    except Unauthorized:
        for key in keys:
            record_failure(session, address=key)
        raise
    for key in keys:
        clear_failures(session, address=key)
    return user
