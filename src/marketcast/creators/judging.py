"""Judging creators: the policies in force for a market, a creator's figures at a time, and recording a move.

One creator (creation, a follower update, eligibility at a time) and a market's set-based pass use the same
context and the same `rules.judge`; a move is written the same way, one row or many."""

from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketcast.core.auth.actor import Actor
from marketcast.core.errors import Invalid, NotFound
from marketcast.core.ids import new_id
from marketcast.creators import rules
from marketcast.creators.events import CreatorAffiliateStatusChanged
from marketcast.creators.models import Creator, FollowerSnapshot
from marketcast.markets import service as markets
from marketcast.policies import service as policies


def context(session: Session, *, market: str, at: datetime, field: str | None = None) -> rules.Context:
    """The creator policies in force for `market` at `at`: three reads whatever is judged."""
    try:
        code = markets.get(session, market.upper()).code
    except NotFound:
        if field:
            raise Invalid(f"market {market.upper()} does not exist", code="unknown_market", field=field) from None
        raise
    return rules.Context(market=code, at=at,
                         min_age=policies.policy_value(session, key=rules.MIN_AGE_KEY, market=code, at=at),
                         min_followers=policies.policy_value(session, key=rules.MIN_FOLLOWERS_KEY, market=code,
                                                             at=at),
                         pilot_below=policies.policy_value(session, key=rules.PILOT_BELOW_KEY, market=code, at=at))


def followers_at(session: Session, creator: Creator, at: datetime) -> tuple[int, datetime | None]:
    """The latest snapshot at or before `at` (0 followers before the first one)."""
    if creator.followers_as_of is not None and creator.followers_as_of <= at:
        return creator.followers, creator.followers_as_of  # the latest snapshot is the one in force
    row = session.execute(select(FollowerSnapshot.count, FollowerSnapshot.as_of)
                          .where(FollowerSnapshot.creator_id == creator.id, FollowerSnapshot.as_of <= at)
                          .order_by(FollowerSnapshot.as_of.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (0, None)


class Judged(Protocol):
    """What a judgement reads of a creator: a Creator, or the row of one about to be inserted."""

    @property
    def date_of_birth(self) -> date: ...
    @property
    def graduated_at(self) -> datetime | None: ...
    @property
    def suspended_at(self) -> datetime | None: ...


def figures(creator: Judged, followers: int, at: datetime) -> rules.Figures:
    return rules.Figures(followers=followers, date_of_birth=creator.date_of_birth,
                         graduated=creator.graduated_at is not None and creator.graduated_at <= at,
                         suspended=creator.suspended_at is not None and creator.suspended_at <= at)


def judge_one(session: Session, creator: Creator, *, at: datetime) -> rules.Judgement:
    count, _ = followers_at(session, creator, at)
    return rules.judge(context(session, market=creator.market, at=at), figures(creator, count, at))


def move_rows(creator: Any, judgement: rules.Judgement, *, kind: str, at: datetime, trigger: str | None,
              reason: str | None = None, actor: Actor | None = None
              ) -> tuple[dict[str, Any], dict[str, Any], CreatorAffiliateStatusChanged | None]:
    """What a judgement writes for one creator (a row or a selected tuple with id, market, handle, user_id,
    affiliate_status, failed_rules, pilot_started_at): the creator's new columns, the status-change record and
    the event (None when the status did not move)."""
    old = creator.affiliate_status
    old_failed = [r for r in (creator.failed_rules or "").split(",") if r]
    rule = rules.deciding_rule(old_failed, judgement)
    deciding = rules.rule_of(judgement, rule) or {}
    pilot_started = creator.pilot_started_at
    if judgement.status == "pilot" and old != "pilot":
        pilot_started = at
    elif judgement.status in ("ineligible", "active"):
        pilot_started = None
    columns = {"id": creator.id, "affiliate_status": judgement.status, "failed_rules": ",".join(judgement.failed),
               "pilot_started_at": pilot_started,
               "status_changed_at": at if judgement.status != old else creator.status_changed_at}
    change = {"id": new_id("csc"), "creator_id": creator.id, "kind": kind, "from_status": old,
              "to_status": judgement.status, "rule": rule, "rules": judgement.rules,
              "policy_versions": judgement.policy_versions, "trigger": trigger[:200] if trigger else None,
              "reason": reason, "actor_email": actor.email if actor else None, "at": at}
    event = None
    if old is not None and judgement.status != old:
        event = CreatorAffiliateStatusChanged(
            creator_id=creator.id, user_id=creator.user_id, market=creator.market, handle=creator.handle,
            old_status=old, new_status=judgement.status, rule=rule, policy_key=deciding.get("policy_key"),
            policy_version_id=deciding.get("policy_version_id"), policy_versions=judgement.policy_versions,
            trigger=trigger, at=at)
    return columns, change, event
