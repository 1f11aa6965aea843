"""The US creators of the 2024 story: a population with a heavy-tailed (log-normal) follower count, whose
affiliate status moves when creators may sell from 1,000 followers and those under 5,000 start on a pilot
(both from 2024-07-01).

Made in bulk, for speed: the users in one INSERT, the profiles through `creators.service.create_many`, the
follower counts through the CSV import's own chunk writer. Seeded, so every load is the same population."""

import math
import os
import random
from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth.actor import Actor
from marketcast.core.auth.models import User
from marketcast.core.ids import new_id
from marketcast.creators import imports
from marketcast.creators import service as creators
from marketcast.creators.models import Creator, StatusChange
from marketcast.policies import service as policies

# MARKETCAST_SCENARIO_CREATORS sets another size (the scenario's own tests load it many times, smaller).
POPULATION = 20_000
SEED = 2024
MEDIAN_FOLLOWERS = 2_500
SIGMA = 1.3  # P(< 1,000) ≈ 24 %, P(1,000..4,999) ≈ 46 %, P(≥ 5,000) ≈ 30 %
JOINED = "2024-06-01T08:00:00+00:00"
COUNTED = "2024-06-01"
CHANGE = "2024-07-01T00:00:00+00:00"
PILOT_KEY = "creator.affiliate.pilot_below_followers"


def population(n: int = POPULATION, seed: int = SEED) -> list[tuple[str, int, date]]:
    """(handle, followers, date of birth) of each creator: log-normal followers, ages 16 to 54 in mid-2024."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        followers = int(rng.lognormvariate(math.log(MEDIAN_FOLLOWERS), SIGMA))
        born = date.fromordinal(date(1970, 1, 1).toordinal() + rng.randrange(365 * 38 + 9))
        out.append((f"us.creator.{i:05d}", followers, born))
    return out


def load(session: Session, operator: Actor, *, n: int | None = None) -> None:
    if session.scalar(select(func.count()).select_from(Creator).where(Creator.market == "US")):
        return  # loaded before: the population and its history came with it
    people = population(n or int(os.environ.get("MARKETCAST_SCENARIO_CREATORS", POPULATION)))
    joined = datetime.fromisoformat(JOINED)
    with clock.frozen(joined):
        users: list[dict[str, Any]] = [{"id": new_id("usr"), "email": f"{handle}@creators.example", "role": "creator",
                  "password_hash": None, "markets": None, "created_at": joined} for handle, _, _ in people]
        session.execute(insert(User), users)
        creators.create_many(session, market="US", actor=operator,
                             profiles=[(u["id"], handle, born) for u, (handle, _, born) in zip(users, people,
                                                                                                strict=True)])
        rows = [(i + 2, [handle, "US", str(followers), COUNTED]) for i, (handle, followers, _) in enumerate(people)]
        for batch in imports.chunks(iter(rows)):
            written, rejected = imports.import_chunk(session, batch, actor=operator)
            assert not rejected, rejected[:3]  # the population is made valid


def _statuses_at(session: Session, at: datetime) -> Counter:
    """How many US creators had each status at `at`, from their recorded status changes."""
    last = (select(StatusChange.creator_id, StatusChange.to_status,
                   func.row_number().over(partition_by=StatusChange.creator_id,
                                          order_by=(StatusChange.at.desc(), StatusChange.id.desc())).label("n"))
            .join(Creator, Creator.id == StatusChange.creator_id)
            .where(Creator.market == "US", StatusChange.at <= at).subquery())
    return Counter(dict(session.execute(select(last.c.to_status, func.count()).where(last.c.n == 1)
                                        .group_by(last.c.to_status)).tuples().all()))


def _moves_on(session: Session, day: datetime) -> dict[str, tuple[str | None, str]]:
    """creator id -> (from, to) of the moves the policy change made that day."""
    rows = session.execute(select(StatusChange.creator_id, StatusChange.from_status, StatusChange.to_status)
                           .join(Creator, Creator.id == StatusChange.creator_id)
                           .where(Creator.market == "US", StatusChange.kind == "reevaluation",
                                  StatusChange.trigger.like("policy change:%"),
                                  StatusChange.at >= day, StatusChange.at < day.replace(hour=23, minute=59)))
    return {cid: (old, new) for cid, old, new in rows}


def summary(session: Session, *, at: datetime, operator: Actor) -> dict[str, Any]:
    """The US creators as of `at`: how many of each status, how many the 2024-07-01 change moved (once it has
    happened), and a simulation of that change run as of 2024-06-15 against what it then did."""
    counts = _statuses_at(session, at)
    change = datetime.fromisoformat(CHANGE)
    actual = _moves_on(session, change) if at >= change else {}
    out: dict[str, Any] = {
        "at": at.isoformat(), "total": sum(counts.values()),
        "statuses": {s: counts.get(s, 0) for s in ("ineligible", "pilot", "active", "suspended")},
        "moved_by_the_change": len(actual),
        "moves": dict(sorted(Counter(f"{a}->{b}" for a, b in actual.values()).items())),
    }
    if counts:
        out["simulation_2024_06_15"] = _simulation_check(session, operator, _moves_on(session, change))
    return out


def _simulation_check(session: Session, operator: Actor, actual: dict[str, tuple[str | None, str]]) -> dict[str, Any]:
    with clock.frozen(datetime.fromisoformat("2024-06-15T00:00:00+00:00")):
        change = datetime.fromisoformat(CHANGE)
        predicted = {m.subject_id: (m.old, m.new) for m in policies.simulation_moves(
            session, key=PILOT_KEY, market="US", value=5000, effective_from=change, actor=operator)}
    counts = Counter(f"{a}->{b}" for a, b in predicted.values())
    return {"key": PILOT_KEY, "value": 5000, "effective_from": change.isoformat(), "moved": len(predicted),
            "counts": dict(sorted(counts.items())), "equals_what_happened": predicted == actual}
