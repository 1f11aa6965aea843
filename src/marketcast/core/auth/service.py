"""Users and API tokens (the password login itself is core.auth.login)."""

import hashlib
import secrets

from argon2 import PasswordHasher
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth import passwords
from marketcast.core.auth.actor import Actor
from marketcast.core.auth.models import ApiToken, User
from marketcast.core.db import rowcount
from marketcast.core.errors import Conflict, Invalid, NotFound
from marketcast.core.fields import market_code
from marketcast.core.ids import new_id

ROLES = ("operator", "seller", "creator", "buyer")
PASSWORD_HASHER = PasswordHasher()


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
    if password is not None:
        passwords.check_new(password, email=email)
    if session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(f"a user with email {email} already exists", code="email_taken", field="email")
    user = User(id=new_id("usr"), email=email, role=role, created_at=clock.now(),
                password_hash=PASSWORD_HASHER.hash(password) if password else None,
                markets=sorted({market_code(m) for m in markets if m.strip()}) if markets is not None else None)
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


def find_user_id(session: Session, *, email: str) -> str | None:
    """The id of the user with this email, or None: for searches, where no such user means no results."""
    return session.scalar(select(User.id).where(User.email == email.strip().lower()))


def set_password(session: Session, *, email: str, password: str) -> User:
    """A new password also ends the user's console sessions."""
    user = get_user_by_email(session, email)
    passwords.check_new(password, email=user.email)
    user.password_hash = PASSWORD_HASHER.hash(password)
    end_console_sessions(session, user_id=user.id)
    return user


def end_console_sessions(session: Session, *, user_id: str) -> None:
    """Every console cookie of the user is refused from now on (it carries the old epoch)."""
    session.execute(update(User).where(User.id == user_id).values(session_epoch=User.session_epoch + 1))


def console_session(user: User) -> dict:
    """What a console cookie holds for a signed-in user."""
    return {"user_id": user.id, "epoch": user.session_epoch}


def actor_for_console_session(session: Session, cookie: dict) -> Actor | None:
    """The user a console cookie names, or None when it names none or its epoch has ended."""
    user_id, epoch = cookie.get("user_id"), cookie.get("epoch")
    if not isinstance(user_id, str) or not isinstance(epoch, int):
        return None
    user = session.get(User, user_id, populate_existing=True)
    return actor_of(user) if user is not None and user.session_epoch == epoch else None


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, *, user: User) -> str:
    token = "mc_" + secrets.token_urlsafe(32)
    session.add(ApiToken(id=new_id("tok"), user_id=user.id, token_hash=_hash_token(token), created_at=clock.now()))
    return token


# Built once: every authenticated API request runs it, and building a statement anew (and its cache key) costs more
# than running it (the hot path of a flash sale, docs/adr/0016).
_BY_TOKEN = select(User).join(ApiToken, ApiToken.user_id == User.id).where(ApiToken.token_hash == bindparam("b_hash"))
_BY_TOKENS = (select(User, ApiToken.token_hash).join(ApiToken, ApiToken.user_id == User.id)
              .where(ApiToken.token_hash.in_(bindparam("b_hashes", expanding=True))))


def actor_for_token(session: Session, token: str) -> Actor | None:
    row = session.execute(_BY_TOKEN, {"b_hash": _hash_token(token)}).scalar_one_or_none()
    return actor_of(row) if row else None


def actors_for_tokens(session: Session, tokens: list[str]) -> dict[str, Actor]:
    """token -> its user, for many API tokens in one query (a batched checkout); unknown tokens are absent."""
    hashed = {_hash_token(token): token for token in tokens}
    rows = session.execute(_BY_TOKENS, {"b_hashes": sorted(hashed)})
    return {hashed[token_hash]: actor_of(user) for user, token_hash in rows}


def revoke_token(session: Session, *, token: str) -> bool:
    """Revoke the token itself (signing out an integration); False when it was not a token of ours."""
    return rowcount(session.execute(delete(ApiToken).where(ApiToken.token_hash == _hash_token(token)))) > 0


def revoke_tokens(session: Session, *, email: str) -> int:
    """Revoke every API token of a user (a leaked token, a person leaving) and end their console sessions; how
    many tokens there were."""
    user = get_user_by_email(session, email)
    end_console_sessions(session, user_id=user.id)
    return rowcount(session.execute(delete(ApiToken).where(ApiToken.user_id == user.id)))
