"""Creators in collaborations: join an open one (or ask, when the shop approves each creator), accept an
invitation, the shop's approval, the rate lock, and the worker's decrease reminders and applications."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketcast.affiliate import collaborations, events, people, rules
from marketcast.affiliate.models import Collaboration, CollaborationMember
from marketcast.core import clock, outbox
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import Conflict, NotFound
from marketcast.core.ids import new_id
from marketcast.policies import service as policies
from marketcast.sellers import service as sellers


def _joinable(session: Session, collaboration_id: str, kind: str) -> Collaboration:
    collab = collaborations.get(session, collaboration_id, lock=True)
    if collab.kind != kind:
        verb = "join" if kind == "open" else "accept"
        raise Conflict(f"collaboration {collab.id} is {collab.kind}; only {kind} ones are {verb}ed",
                       code="wrong_collaboration_kind")
    if collab.status != "active" or (collab.ends_at is not None and collab.ends_at <= clock.now()):
        raise Conflict(f"collaboration {collab.id} has ended", code="collaboration_ended")
    return collab


def _lock(member: CollaborationMember, session: Session, market: str) -> None:
    now = clock.now()
    days = policies.value(session, key="affiliate.commission.rate_lock_days", market=market)
    member.status, member.joined_at, member.locked_until = "joined", now, now + timedelta(days=days)


def _joined_event(session: Session, collab: Collaboration, member: CollaborationMember) -> None:
    outbox.emit(session, events.CollaborationMemberJoined(
        collaboration_id=collab.id, shop_id=collab.shop_id, market=collab.market, creator_id=member.creator_id,
        status=member.status, commission_rate_bps=member.commission_rate_bps, locked_until=member.locked_until),
        market=collab.market)


def join(session: Session, *, collaboration_id: str, actor: Actor) -> CollaborationMember:
    """An affiliate creator of the market joins an open collaboration at its rate, locked for
    affiliate.commission.rate_lock_days; or waits for the shop's approval when it asks for one."""
    collab = _joinable(session, collaboration_id, "open")
    creator = people.own_creator(session, actor=actor, market=collab.market)
    people.require_affiliate(creator)
    existing = _member(session, collab.id, creator.id)
    if existing is not None:
        return existing  # joining twice changes nothing, not even the lock
    member = CollaborationMember(id=new_id("cmb"), collaboration_id=collab.id, creator_id=creator.id,
                                 status="pending_approval", commission_rate_bps=collab.commission_rate_bps,
                                 created_at=clock.now())
    if not collab.requires_approval:
        _lock(member, session, collab.market)
    try:
        with session.begin_nested():
            session.add(member)
    except IntegrityError:  # a second request of the same creator got in first
        raise Conflict("you joined this collaboration meanwhile", code="already_member") from None
    _joined_event(session, collab, member)
    return member


def accept(session: Session, *, collaboration_id: str, actor: Actor) -> CollaborationMember:
    """An invited creator accepts a targeted collaboration; the rate locks from now."""
    collab = _joinable(session, collaboration_id, "targeted")
    creator = people.own_creator(session, actor=actor, market=collab.market)
    people.require_affiliate(creator)
    member = _member(session, collab.id, creator.id, lock=True)
    if member is None:
        raise Conflict(f"you are not invited to collaboration {collab.id}", code="not_invited")
    if member.status == "joined":
        return member
    member.commission_rate_bps = collab.commission_rate_bps
    _lock(member, session, collab.market)
    _joined_event(session, collab, member)
    return member


def approve(session: Session, *, collaboration_id: str, creator_id: str, actor: Actor) -> CollaborationMember:
    collab = collaborations.get(session, collaboration_id, lock=True)
    sellers.require_shop_owner(session, shop_id=collab.shop_id, actor=actor)
    member = _member(session, collab.id, creator_id, lock=True)
    if member is None:
        raise NotFound("member", creator_id)
    if member.status == "joined":
        return member
    if member.status != "pending_approval":
        raise Conflict(f"creator {creator_id} has not asked to join", code="not_pending_approval")
    member.commission_rate_bps = collab.commission_rate_bps
    _lock(member, session, collab.market)
    _joined_event(session, collab, member)
    return member


def _member(session: Session, collaboration_id: str, creator_id: str, *,
            lock: bool = False) -> CollaborationMember | None:
    stmt = select(CollaborationMember).where(CollaborationMember.collaboration_id == collaboration_id,
                                             CollaborationMember.creator_id == creator_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalar(stmt)


def of_creator(session: Session, *, creator_id: str, actor: Actor,
               status: str | None = None) -> list[tuple[CollaborationMember, Collaboration]]:
    """The creator's collaborations (status: invited, pending_approval, joined), newest first."""
    people.require_self(session, creator_id=creator_id, actor=actor, write=False)
    stmt = (select(CollaborationMember, Collaboration)
            .join(Collaboration, Collaboration.id == CollaborationMember.collaboration_id)
            .where(CollaborationMember.creator_id == creator_id).order_by(CollaborationMember.id.desc()))
    if status:
        stmt = stmt.where(CollaborationMember.status == status)
    return [(m, c) for m, c in session.execute(stmt)]


def remind_and_apply(session: Session) -> tuple[int, int]:
    """The worker: a reminder event 2 days before a scheduled decrease applies, then the decreases that are due.
    Returns (reminded, applied)."""
    now = clock.now()
    rows = session.execute(
        select(CollaborationMember, Collaboration)
        .join(Collaboration, Collaboration.id == CollaborationMember.collaboration_id)
        .where(CollaborationMember.pending_from.is_not(None),
               CollaborationMember.pending_from <= now + rules.REMINDER_BEFORE)
        .order_by(CollaborationMember.id).with_for_update(of=CollaborationMember)).all()
    announced, reminded, applied = [], 0, 0
    for member, collab in rows:
        if not member.reminded:
            member.reminded, reminded = True, reminded + 1
            announced.append((collaborations.member_event(events.RateDecreaseReminder, collab, member),
                              collab.market))
        # Selected with a pending change: its rate and date are set.
        assert member.pending_from is not None and member.pending_rate_bps is not None
        if member.pending_from <= now:
            member.commission_rate_bps = member.pending_rate_bps
            member.pending_rate_bps, member.pending_from = None, None
            applied += 1
            announced.append((collaborations.member_event(events.RateDecreaseApplied, collab, member),
                              collab.market))
    outbox.emit_many(session, announced)
    return reminded, applied
