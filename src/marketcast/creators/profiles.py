"""Creator profiles: create, read, list with counts, follower snapshots, suspension, eligibility at a time.

Keyword-only operations that take a Session, never commit, and raise domain errors; other areas call them
through creators.service."""

from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketcast.core import clock, outbox, text
from marketcast.core.auth import scope
from marketcast.core.auth.actor import Actor, Role
from marketcast.core.db import upsert_insert
from marketcast.core.errors import Conflict, Forbidden, Invalid, NotFound
from marketcast.core.ids import looks_like_id, new_id
from marketcast.core.pagination import paginate
from marketcast.creators import judging, rules
from marketcast.creators.events import CreatorCreated
from marketcast.creators.models import Creator, FollowerSnapshot, StatusChange
from marketcast.policies import service as policies

MAX_FOLLOWERS = 10**11


def _write(session: Session, creator: Creator, judgement: rules.Judgement, *, kind: str, at: datetime,
           trigger: str | None, reason: str | None = None, actor: Actor | None = None) -> None:
    """Apply a judgement to one creator: columns, a status-change record when it moved (or was created), the
    event when it moved."""
    columns, change, event = judging.move_rows(creator, judgement, kind=kind, at=at, trigger=trigger, reason=reason,
                                               actor=actor)
    moved = creator.affiliate_status != judgement.status
    for name, value in columns.items():
        setattr(creator, name, value)
    if moved:
        session.add(StatusChange(**change))
    if event:
        outbox.emit(session, event, market=event.market)


def create_creator(session: Session, *, actor: Actor, market: str, handle: str, date_of_birth: date) -> Creator:
    """A creator user's profile in a market, judged at once (ineligible until followers are reported)."""
    actor.require_role(Role.CREATOR, "a creator profile")
    now = clock.now()
    ctx = judging.context(session, market=market, at=now, field="market")
    handle = rules.normalize_handle(handle)
    if date_of_birth.year < 1900 or date_of_birth > now.date():
        raise Invalid("date_of_birth must be a date between 1900 and today", code="invalid_date_of_birth",
                      field="date_of_birth")
    if session.scalar(select(Creator.id).where(Creator.user_id == actor.user_id, Creator.market == ctx.market)):
        raise Conflict(f"you already have a creator profile in {ctx.market}", code="creator_exists", field="market")
    if session.scalar(select(Creator.id).where(Creator.market == ctx.market, Creator.handle == handle)):
        raise _handle_taken(handle, ctx.market)
    creator = Creator(id=new_id("crt"), user_id=actor.user_id, market=ctx.market, handle=handle,
                      date_of_birth=date_of_birth, followers=0, followers_as_of=None, affiliate_status=None,
                      failed_rules="", status_changed_at=now, created_at=now)
    judgement = rules.judge(ctx, judging.figures(creator, 0, now))
    columns, change, _ = judging.move_rows(creator, judgement, kind="created", at=now, trigger="created", actor=actor)
    for name, value in columns.items():
        setattr(creator, name, value)
    try:
        with session.begin_nested():  # two racing sign-ups: the unique constraints decide, the loser gets a 409
            session.add(creator)
    except IntegrityError:
        raise _handle_taken(handle, ctx.market) from None
    session.add(StatusChange(**change))
    outbox.emit(session, CreatorCreated(creator_id=creator.id, user_id=creator.user_id, market=creator.market,
                                        handle=creator.handle, affiliate_status=creator.affiliate_status),
                market=creator.market)
    return creator


def _handle_taken(handle: str, market: str) -> Conflict:
    return Conflict(f"the handle {handle} is taken in {market}", code="handle_taken", field="handle")


def find(session: Session, creator_id: str, *, lock: bool = False) -> Creator:
    creator = None
    if looks_like_id(creator_id):
        stmt = select(Creator).where(Creator.id == creator_id)
        creator = session.scalar(stmt.with_for_update() if lock else stmt)
    if creator is None:
        raise NotFound("creator", creator_id)
    return creator


def get_creator(session: Session, creator_id: str, *, actor: Actor) -> Creator:
    """The creator, for the creator themselves or an operator of its market."""
    creator = find(session, creator_id)
    if actor.is_operator:
        actor.require_market(creator.market)
    elif creator.user_id != actor.user_id:
        raise Forbidden(f"creator {creator.id} is not yours", code="not_owner")
    return creator


def creators_of_user(session: Session, *, user_id: str) -> list[Creator]:
    return list(session.scalars(select(Creator).where(Creator.user_id == user_id).order_by(Creator.market)))


def _filtered(actor: Actor, market: str | None, q: str | None):
    stmt = select(Creator)
    if actor.is_operator:
        stmt = scope.in_markets(stmt, Creator.market, actor, market)
    elif actor.role == "creator":
        stmt = stmt.where(Creator.user_id == actor.user_id)
    else:
        raise Forbidden(f"listing creators is for operators and creators; you are {actor.role}", code="wrong_role")
    if market is not None:
        stmt = stmt.where(Creator.market == market.upper())
    if q:
        needle = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Creator.handle.like(f"%{needle}%", escape="\\"))
    return stmt


def list_creators(session: Session, *, actor: Actor, market: str | None = None, status: str | None = None,
                  q: str | None = None, page_size: int | None = None, page_token: str | None = None
                  ) -> tuple[list[Creator], str | None, dict[str, int]]:
    """A page of creators (operators: their markets), and how many of each status match market and q."""
    stmt = _filtered(actor, market, q)
    sub = stmt.subquery()
    counted = select(sub.c.affiliate_status, func.count()).group_by(sub.c.affiliate_status)
    counts = {s: 0 for s in rules.STATUSES} | dict(session.execute(counted).tuples().all())
    if status is not None:
        stmt = stmt.where(Creator.affiliate_status == status)
    rows, token = paginate(session, stmt, order_by=[Creator.id], page_size=page_size, page_token=page_token)
    return rows, token, counts


def eligibility(session: Session, *, creator_id: str, actor: Actor, at: datetime | None = None
                ) -> tuple[Creator, rules.Judgement, datetime]:
    """The status a creator has at `at` (default now) under the policies then in force, rule by rule, from the
    latest follower snapshot at or before it. Reads only."""
    creator = get_creator(session, creator_id, actor=actor)
    when = clock.as_utc_input(at, "at") if at is not None else clock.now()
    return creator, judging.judge_one(session, creator, at=when), when


def status_at(session: Session, *, creator_id: str, at: datetime | None = None) -> str:
    """The affiliate status at a time, for other areas (affiliate: may this creator be invited, earn?)."""
    creator = find(session, creator_id)
    when = at if at is not None else clock.now()
    return judging.judge_one(session, creator, at=when).status


def set_followers(session: Session, *, creator_id: str, count: int, as_of: datetime, actor: Actor,
                  source: str = "api") -> Creator:
    """Record a follower count the social platform reported, then judge the creator again as of now."""
    creator = find(session, creator_id, lock=True)
    actor.require_operator_of(creator.market, "setting follower counts")
    now = clock.now()
    when = check_snapshot(count, clock.as_utc_input(as_of, "as_of"), now)
    record_snapshots(session, [(creator.id, count, when)], source=source, actor=actor, now=now)
    session.refresh(creator)
    judgement = judging.judge_one(session, creator, at=now)
    _write(session, creator, judgement, kind="followers", at=now, trigger=f"followers {count:,} as of "
           f"{when.date().isoformat()}", actor=actor)
    return creator


def check_snapshot(count: int, as_of: datetime, now: datetime, *, field: str = "") -> datetime:
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_FOLLOWERS:
        raise Invalid(f"a follower count is a whole number from 0 to {MAX_FOLLOWERS:,}", code="invalid_followers",
                      field=field + "count")
    if as_of > now:
        raise Invalid(f"as_of {as_of.isoformat()} is in the future; counts are reported for what happened",
                      code="as_of_in_future", field=field + "as_of")
    return as_of


def record_snapshots(session: Session, rows: list[tuple[str, int, datetime]], *, source: str, actor: Actor,
                     now: datetime) -> None:
    """Snapshots (creator id, count, as of) in one statement each way: the snapshot rows (a report for an instant
    already known replaces its count), then each creator's latest count, when a row is newer."""
    if not rows:
        return
    table = FollowerSnapshot.__table__
    stmt = upsert_insert(session, table)
    values = [{"id": new_id("fol"), "creator_id": cid, "count": count, "as_of": as_of, "source": source,
               "recorded_by": actor.email, "recorded_at": now} for cid, count, as_of in rows]
    session.execute(stmt.on_conflict_do_update(index_elements=["creator_id", "as_of"],
                                               set_={"count": stmt.excluded.count, "source": stmt.excluded.source,
                                                     "recorded_by": stmt.excluded.recorded_by,
                                                     "recorded_at": stmt.excluded.recorded_at}), values)
    latest: dict[str, tuple[int, datetime]] = {}
    for cid, count, as_of in rows:
        if cid not in latest or as_of >= latest[cid][1]:
            latest[cid] = (count, as_of)
    newer = (update(Creator).where(Creator.id == bindparam("b_id"))
             .where((Creator.followers_as_of.is_(None)) | (Creator.followers_as_of <= bindparam("b_as_of")))
             .values(followers=bindparam("b_count"), followers_as_of=bindparam("b_as_of"))
             .execution_options(synchronize_session=False))
    session.connection().execute(newer, [{"b_id": cid, "b_count": c, "b_as_of": a} for cid, (c, a) in latest.items()])


def suspend(session: Session, *, creator_id: str, reason: str, actor: Actor) -> Creator:
    creator = find(session, creator_id, lock=True)
    actor.require_operator_of(creator.market, "suspending a creator")
    why = text.reason(reason)
    if creator.suspended_at is not None:
        raise Conflict(f"creator {creator.id} is already suspended", code="creator_suspended")
    now = clock.now()
    creator.suspended_at, creator.suspend_reason = now, why
    _write(session, creator, judging.judge_one(session, creator, at=now), kind="suspend", at=now,
           trigger="suspended", reason=why, actor=actor)
    return creator


def unsuspend(session: Session, *, creator_id: str, reason: str, actor: Actor) -> Creator:
    """Lift a suspension: the status is derived again from the policies in force now."""
    creator = find(session, creator_id, lock=True)
    actor.require_operator_of(creator.market, "lifting a suspension")
    why = text.reason(reason)
    if creator.suspended_at is None:
        raise Conflict(f"creator {creator.id} is not suspended", code="creator_not_suspended")
    now = clock.now()
    creator.suspended_at, creator.suspend_reason = None, None
    _write(session, creator, judging.judge_one(session, creator, at=now), kind="unsuspend", at=now,
           trigger="suspension lifted", reason=why, actor=actor)
    return creator


def history(session: Session, *, creator_id: str) -> list[StatusChange]:
    return list(session.scalars(select(StatusChange).where(StatusChange.creator_id == creator_id)
                                .order_by(StatusChange.at, StatusChange.id)))


class Moves:
    """The writes of a set-based pass, gathered row by row and written in a few statements: the creators' new
    columns, their status-change records and their events."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.changes: list[dict[str, Any]] = []
        self.events: list[tuple[Any, str]] = []

    def add(self, row: Any, judgement: rules.Judgement, *, extra: dict[str, Any] | None = None, **how: Any) -> None:
        columns, change, event = judging.move_rows(row, judgement, **how)
        self.updates.append(columns | (extra or {}))
        self.changes.append(change)
        if event:
            self.events.append((event, event.market))

    def write(self, session: Session) -> None:
        if self.updates:
            update_many(session, self.updates)
            insert_changes(session, self.changes)
            outbox.emit_many(session, self.events)


def update_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Creators' new columns by id. Moves of one pass mostly share their new values (every ineligible->pilot of a
    chunk gets the same status, failed rules and times), so rows with equal values are one `UPDATE … WHERE id
    IN (…)`: a handful of statements per chunk instead of one per creator."""
    groups: dict[tuple, list[str]] = {}
    for row in rows:
        values = tuple(sorted((k, v) for k, v in row.items() if k != "id"))
        groups.setdefault(values, []).append(row["id"])
    for values, ids in groups.items():
        session.execute(update(Creator).where(Creator.id.in_(ids)).values(dict(values))
                        .execution_options(synchronize_session=False))


def insert_changes(session: Session, changes: list[dict[str, Any]]) -> None:
    if changes:
        session.execute(insert(StatusChange.__table__), changes)


def create_many(session: Session, *, market: str, profiles: list[tuple[str, str, date]], actor: Actor) -> int:
    """Creator profiles in bulk, (user id, handle, date of birth) each, judged at once like `create_creator`
    (no followers yet): a few statements per call, for demo populations and benchmarks. The handles must be
    valid and free (a clash fails the whole call with the database's error)."""
    now = clock.now()
    ctx = judging.context(session, market=market, at=now, field="market")
    creators, changes, created = [], [], []
    for user_id, handle, born in profiles:
        row = SimpleNamespace(
            id=new_id("crt"), user_id=user_id, market=ctx.market, handle=rules.normalize_handle(handle),
            date_of_birth=born, followers=0, followers_as_of=None, affiliate_status=None, failed_rules="",
            pilot_started_at=None, graduated_at=None, suspended_at=None, suspend_reason=None, status_changed_at=now,
            created_at=now)
        judgement = rules.judge(ctx, judging.figures(row, 0, now))
        columns, change, _ = judging.move_rows(row, judgement, kind="created", at=now, trigger="created", actor=actor)
        creators.append(vars(row) | columns)
        changes.append(change)
        created.append((CreatorCreated(creator_id=row.id, user_id=user_id, market=ctx.market, handle=row.handle,
                                       affiliate_status=judgement.status), ctx.market))
    if creators:
        session.execute(insert(Creator.__table__), creators)
        insert_changes(session, changes)
        outbox.emit_many(session, created)
    return len(creators)


def pilot_progress(session: Session, *, creator: Creator) -> dict[str, Any] | None:
    """Where a pilot creator stands (None for anyone else): days served of the pilot's, the followers that
    would graduate them at once, the weekly limits, and the orders graduation needs."""
    if creator.affiliate_status != "pilot":
        return None
    now, market = clock.now(), creator.market
    value = {key: policies.value(session, key=key, market=market) for key in (
        rules.PILOT_DAYS_KEY, rules.GRADUATION_ORDERS_KEY, rules.PILOT_BELOW_KEY,
        "creator.pilot.weekly_shoppable_videos", "creator.pilot.weekly_shoppable_lives")}
    served = (now - creator.pilot_started_at).days if creator.pilot_started_at else 0
    days = value[rules.PILOT_DAYS_KEY]
    return {"started_at": creator.pilot_started_at, "days": days, "days_served": served,
            "days_left": max(0, days - served), "graduation_orders": value[rules.GRADUATION_ORDERS_KEY],
            "pilot_below": value[rules.PILOT_BELOW_KEY], "followers": creator.followers,
            "followers_to_go": max(0, (value[rules.PILOT_BELOW_KEY] or 0) - creator.followers),
            "weekly_videos": value["creator.pilot.weekly_shoppable_videos"],
            "weekly_lives": value["creator.pilot.weekly_shoppable_lives"]}
