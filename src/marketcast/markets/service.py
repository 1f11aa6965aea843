"""Markets: create, move through their lifecycle, reschedule, keep history, keep waitlists.

Every change writes a MarketEvent (the audit trail) and outbox events (what others hear) in the
caller's transaction. Writers lock the market row first, so concurrent changes queue instead of
both reading the old status."""

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketcast.core import clock, outbox, text
from marketcast.core.auth.actor import Actor
from marketcast.core.auth.models import User
from marketcast.core.errors import Conflict, Forbidden, Invalid, NotFound
from marketcast.core.ids import new_id
from marketcast.core.pagination import Paged, paginate
from marketcast.markets import rules
from marketcast.markets.events import (
    MarketCreated,
    MarketLaunched,
    MarketLaunchRescheduled,
    MarketRescheduled,
    MarketStatusChanged,
)
from marketcast.markets.models import Market, MarketEvent, WaitlistEntry

STATUSES = rules.STATUSES  # for the console and other areas, which read markets through this module


# Built once: every checkout reads its market (a statement built anew costs more to build than to run).
_BY_CODE = select(Market).where(Market.code == bindparam("b_code"))
_BY_CODE_LOCKED = {None: _BY_CODE, "update": _BY_CODE.with_for_update(), "share": _BY_CODE.with_for_update(read=True)}


def _find(session: Session, code: str, *, lock: str | None = None) -> Market:
    market = session.scalar(_BY_CODE_LOCKED[lock], {"b_code": rules.normalize_code(code)})
    if market is None:
        raise NotFound("market", rules.normalize_code(code))
    return market


def _record(session: Session, market: Market, *, kind: str, from_status: str | None, from_window: str | None,
            reason: str, actor: Actor) -> MarketEvent:
    market.revision = (market.revision or 0) + 1
    market.updated_at = clock.now()
    event = MarketEvent(id=new_id("mev"), market_id=market.id, seq=market.revision, kind=kind,
                        from_status=from_status, to_status=market.status, from_window=from_window,
                        to_window=market.launch_window, reason=reason, actor_email=actor.email, at=clock.now())
    session.add(event)
    return event


def _set_window(market: Market, window: rules.LaunchWindow | None) -> None:
    market.launch_window = window.value if window else None
    market.window_start = window.start if window else None


def _registrants(session: Session, market: Market, *, not_launch_notified: bool = False) -> list:
    stmt = (select(WaitlistEntry.user_id, User.email).join(User, User.id == WaitlistEntry.user_id)
            .where(WaitlistEntry.market_id == market.id).order_by(WaitlistEntry.joined_at, WaitlistEntry.id))
    if not_launch_notified:
        stmt = stmt.where(WaitlistEntry.launch_notified_at.is_(None))
    return list(session.execute(stmt))


def _notify_window_changed(session: Session, market: Market, *, old_window: str | None, reason: str) -> None:
    """One `market.launch_rescheduled` per registrant: one SELECT, then one bulk INSERT (a waitlist may hold
    thousands, and an ORM object per event would cost a round trip each)."""
    outbox.emit_many(session, [
        (MarketLaunchRescheduled(market=market.code, user_id=user_id, email=email, old_window=old_window,
                                 new_window=market.launch_window, reason=reason), market.code)
        for user_id, email in _registrants(session, market)])


def _notify_launched(session: Session, market: Market, *, old_window: str | None) -> None:
    """One `market.launched` per registrant not yet told, in one bulk INSERT, then they are marked told."""
    now = clock.now()
    outbox.emit_many(session, [
        (MarketLaunched(market=market.code, user_id=user_id, email=email, old_window=old_window, launched_at=now),
         market.code)
        for user_id, email in _registrants(session, market, not_launch_notified=True)])
    # Safe without listing ids: joining takes a share lock on the market row, which our update lock excludes.
    session.execute(update(WaitlistEntry).where(WaitlistEntry.market_id == market.id,
                                                WaitlistEntry.launch_notified_at.is_(None))
                    .values(launch_notified_at=now))


def _status_changed(session: Session, market: Market, *, from_status: str, from_window: str | None,
                    reason: str) -> None:
    outbox.emit(session, MarketStatusChanged(market=market.code, from_status=from_status, to=market.status,
                                             reason=reason, from_window=from_window,
                                             launch_window=market.launch_window), market=market.code)


def create(session: Session, *, code: str, name: str, currency: str, timezone: str, launch_window: str | None = None,
           status: str = "planned", reason: str = "created", actor: Actor) -> Market:
    code = rules.check_code(code)
    actor.require_operator_of(code, "changing markets")
    name = rules.check_name(name)
    reason = text.reason(reason)
    if status not in rules.CREATABLE:
        raise Invalid(f"a new market starts as {', '.join(rules.CREATABLE)}", code="invalid_status",
                            field="status")
    window = rules.parse_window(launch_window)
    if status == "postponed" and window is not None:
        raise Invalid("a postponed market has no launch window", code="invalid_launch_window",
                            field="launch_window")
    if session.scalar(select(Market.id).where(Market.code == code)):
        raise Conflict(f"market {code} already exists", code="market_exists", field="code")
    now = clock.now()
    market = Market(id=new_id("mkt"), code=code, name=name, currency=rules.check_currency(currency),
                    timezone=rules.check_timezone(timezone), status=status, created_at=now, updated_at=now,
                    launched_at=now if status == "live" else None, revision=0)
    _set_window(market, window)
    session.add(market)
    try:
        session.flush()  # the unique code is the real guard against two creators racing
    except IntegrityError:
        raise Conflict(f"market {code} already exists", code="market_exists", field="code") from None
    _record(session, market, kind="created", from_status=None, from_window=None, reason=reason, actor=actor)
    outbox.emit(session, MarketCreated(market=code, name=market.name, currency=market.currency,
                                       timezone=market.timezone, status=status, launch_window=market.launch_window,
                                       reason=reason), market=code)
    return market


def get(session: Session, code: str) -> Market:
    return _find(session, code)


def is_overdue(market: Market) -> bool:
    """Planned, and the last day of its launch window has passed (in UTC, by the business clock)."""
    return rules.is_overdue(market.status, market.launch_window, clock.now().date())


def list_markets(session: Session, *, status: str | None = None, page_size: int | None = None,
                 page_token: str | None = None) -> Paged[Market]:
    stmt = select(Market)
    if status is not None:
        stmt = stmt.where(Market.status == rules.check_status(status))
    return paginate(session, stmt, order_by=[Market.code], page_size=page_size, page_token=page_token)


def transition(session: Session, *, code: str, status: str, reason: str, actor: Actor,
               launch_window: str | None = None) -> Market:
    """Move a market to `status`. Going to postponed clears the window; going back to planned may set one."""
    actor.require_operator_of(rules.normalize_code(code), "changing markets")
    reason = text.reason(reason)
    market = _find(session, code, lock="update")
    from_status, from_window = market.status, market.launch_window
    rules.check_transition(market.code, from_status, status)
    window = rules.parse_window(launch_window)
    if window is not None and not (from_status == "postponed" and status == "planned"):
        raise Invalid("a launch window can only come with a move from postponed back to planned",
                            code="launch_window_not_allowed", field="launch_window")
    market.status = status
    if status == "postponed" or (status == "planned" and window is not None):
        _set_window(market, window)
    if status == "live" and market.launched_at is None:
        market.launched_at = clock.now()
    _record(session, market, kind="transition", from_status=from_status, from_window=from_window, reason=reason,
            actor=actor)
    _status_changed(session, market, from_status=from_status, from_window=from_window, reason=reason)
    if market.launch_window != from_window:
        _notify_window_changed(session, market, old_window=from_window, reason=reason)
    if status == "live":
        _notify_launched(session, market, old_window=from_window)
    return market


def reschedule(session: Session, *, code: str, launch_window: str | None, reason: str, actor: Actor) -> Market:
    """Give a planned or postponed market a new window (None: no date yet); a postponed one becomes planned."""
    actor.require_operator_of(rules.normalize_code(code), "changing markets")
    reason = text.reason(reason)
    window = rules.parse_window(launch_window)
    market = _find(session, code, lock="update")
    rules.check_reschedulable(market.code, market.status)
    from_status, from_window = market.status, market.launch_window
    if (window.value if window else None) == from_window:
        raise Conflict(f"market {market.code} already has launch window {from_window or 'none'}",
                       code="window_unchanged", field="launch_window")
    _set_window(market, window)
    if from_status == "postponed" and window is not None:
        market.status = "planned"
    _record(session, market, kind="rescheduled", from_status=from_status, from_window=from_window, reason=reason,
            actor=actor)
    outbox.emit(session, MarketRescheduled(market=market.code, old_window=from_window,
                                           new_window=market.launch_window, reason=reason, from_status=from_status,
                                           status=market.status), market=market.code)
    if market.status != from_status:
        # Subscribers that follow only status still learn the market is planned again.
        _status_changed(session, market, from_status=from_status, from_window=from_window, reason=reason)
    _notify_window_changed(session, market, old_window=from_window, reason=reason)
    return market


def history(session: Session, *, code: str) -> list[MarketEvent]:
    market = _find(session, code)
    return list(session.scalars(select(MarketEvent).where(MarketEvent.market_id == market.id)
                                .order_by(MarketEvent.seq)))


def join_waitlist(session: Session, *, code: str, actor: Actor) -> tuple[WaitlistEntry, bool]:
    """The caller's entry on the waitlist and whether it is new; joining twice returns the first entry."""
    if actor.user_id is None:
        raise Forbidden("only a signed-in user can join a waitlist", code="user_required")
    # A share lock: a concurrent go-live waits for us (or we for it), so no one joins unnoticed.
    market = _find(session, code, lock="share")
    if market.status == "live":
        raise Conflict(f"market {market.code} is already live", code="market_already_live", market=market.code)
    if market.status == "closed":
        raise Conflict(f"market {market.code} is closed", code="market_closed", market=market.code)
    existing = _entry(session, market, actor.user_id)
    if existing is not None:
        return existing, False
    entry = WaitlistEntry(id=new_id("wle"), market_id=market.id, user_id=actor.user_id, joined_at=clock.now())
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        # Someone else (the same user, twice at once) won the race; the database kept one row.
        kept = _entry(session, market, actor.user_id)
        assert kept is not None, "the insert failed on the unique (market, user) row, so that row is there"
        return kept, False
    return entry, True


def _entry(session: Session, market: Market, user_id: str) -> WaitlistEntry | None:
    return session.scalar(select(WaitlistEntry).where(WaitlistEntry.market_id == market.id,
                                                      WaitlistEntry.user_id == user_id))


def leave_waitlist(session: Session, *, code: str, actor: Actor) -> bool:
    market = _find(session, code)
    if actor.user_id is None:
        return False
    entry = _entry(session, market, actor.user_id)
    if entry is None:
        return False
    session.delete(entry)
    session.flush()
    return True


def on_waitlist(session: Session, *, code: str, actor: Actor | None) -> bool:
    if actor is None or actor.user_id is None:
        return False
    return _entry(session, _find(session, code), actor.user_id) is not None


def waitlist_count(session: Session, *, code: str) -> int:
    market = _find(session, code)
    return session.scalar(select(func.count()).select_from(WaitlistEntry)
                          .where(WaitlistEntry.market_id == market.id)) or 0


def waitlist_counts(session: Session, *, codes: list[str] | None = None) -> dict[str, int]:
    """Waitlist size of every market (or of `codes`), zero included, in one grouped query."""
    stmt = (select(Market.code, func.count(WaitlistEntry.id)).outerjoin(WaitlistEntry,
                                                                         WaitlistEntry.market_id == Market.id)
            .group_by(Market.code))
    if codes is not None:
        stmt = stmt.where(Market.code.in_([rules.normalize_code(c) for c in codes]))
    return {code: count for code, count in session.execute(stmt)}


def require_live(session: Session, *, code: str, action: str) -> Market:
    """The market, if it is live; otherwise Conflict `market_not_live` saying what is blocked and why."""
    market = _find(session, code)
    if market.status != "live":
        raise Conflict(f"market {market.code} is {rules.describe(market.status, market.launch_window)}: "
                       f"cannot {action} until it is live", code="market_not_live", market=market.code,
                       market_status=market.status, launch_window=market.launch_window)
    return market
