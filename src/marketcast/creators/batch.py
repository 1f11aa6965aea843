"""The moves of a set-based pass, judged and written in bulk: for each creator whose status moves, the creator's
new columns, its status-change record and its `creator.affiliate_status_changed` event, exactly as
`judging.move_rows` makes them for one creator, in a few statements per chunk.

What is the same for many creators is worked out once: each rule's result per value it reads (`rules.Memo`),
and per kind of move (old status and failed rules, new status and failed rules) the deciding rule, the new
columns and the event's JSON text but for who moved. The records and events go in as text (core.bulk: COPY on
PostgreSQL), the creators' columns as one UPDATE per kind of move."""

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from json.encoder import encode_basestring_ascii  # json.dumps of a str
from typing import Any

from sqlalchemy import String, any_, bindparam, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from marketcast.core import bulk, outbox
from marketcast.core.auth.actor import Actor
from marketcast.core.decisions import versions_used
from marketcast.core.ids import new_ids
from marketcast.creators import rules
from marketcast.creators.events import CreatorAffiliateStatusChanged
from marketcast.creators.models import Creator, StatusChange

CHANGE_COLUMNS = ("id", "creator_id", "kind", "from_status", "to_status", "rule", "rules", "policy_versions",
                  "trigger", "reason", "actor_email", "at")
WHO = ("creator_id", "user_id", "market", "handle")  # what differs between the events of one kind of move


def figures(row: Any, at: datetime) -> rules.Figures:
    return rules.Figures(followers=row.followers, date_of_birth=row.date_of_birth,
                         graduated=row.graduated_at is not None and row.graduated_at <= at,
                         suspended=row.suspended_at is not None and row.suspended_at <= at)


class Template:
    """An event's JSON text with holes for WHO: `fill` gives what `json.dumps(data)` gives with those values."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.pieces: list[str] = []
        text = "{"
        for i, (key, value) in enumerate(data.items()):
            text += (", " if i else "") + json.dumps(key) + ": "
            if key in WHO:
                self.pieces.append(text)
                text = ""
            else:
                text += json.dumps(value)
        self.pieces.append(text + "}")
        assert len(self.pieces) == len(WHO) + 1 and [k for k in data if k in WHO] == list(WHO), list(data)

    def fill(self, *who: str) -> str:
        p = self.pieces
        return (p[0] + encode_basestring_ascii(who[0]) + p[1] + encode_basestring_ascii(who[1]) + p[2]
                + encode_basestring_ascii(who[2]) + p[3] + encode_basestring_ascii(who[3]) + p[4])


class Kind:
    """What every move of one kind shares: the deciding rule, the failed rules' column, the policy versions and
    the event's template; and how many moves of the kind the current chunk holds."""

    def __init__(self, row: Any, judgement: rules.Judgement, *, at: datetime, trigger: str | None) -> None:
        old_failed = [r for r in (row.failed_rules or "").split(",") if r]
        self.move = f"{row.affiliate_status}->{judgement.status}"
        self.rule = rules.deciding_rule(old_failed, judgement)
        self.failed = ",".join(judgement.failed)
        self.versions = json.dumps(judgement.policy_versions)
        self.count = 0
        self.template: Template | None = None
        if row.affiliate_status is not None:
            deciding = rules.rule_of(judgement, self.rule) or {}
            data = CreatorAffiliateStatusChanged(
                creator_id=row.id, user_id=row.user_id, market=row.market, handle=row.handle,
                old_status=row.affiliate_status, new_status=judgement.status, rule=self.rule,
                policy_key=deciding.get("policy_key"), policy_version_id=deciding.get("policy_version_id"),
                policy_versions=judgement.policy_versions, trigger=trigger, at=at).as_data()
            self.template = Template(data)
            assert self.template.fill(row.id, row.user_id, row.market, row.handle) == json.dumps(data)


class Batch:
    """Judges and writes the moves of a pass, one chunk of rows at a time (`write`)."""

    def __init__(self, ctx: rules.Context, *, kind: str, at: datetime, trigger: str | None,
                 actor: Actor | None = None, reason: str | None = None) -> None:
        self.ctx, self.at, self.trigger = ctx, at, trigger
        self.memo = rules.Memo(ctx)
        # The columns of a status-change record that every move of the pass shares, in CHANGE_COLUMNS' order.
        self.kind, self.why = kind, (trigger[:200] if trigger else None, reason, actor.email if actor else None, at)
        self.kinds: dict[tuple[Any, ...], Kind] = {}
        self._clear()

    def _clear(self) -> None:
        self.updates: dict[tuple[Any, ...], list[str]] = {}  # (status, failed rules, pilot started) -> ids
        self.events: list[tuple[str | None, str]] = []
        for kind in self.kinds.values():
            kind.count = 0

    def add(self, row: Any, change_id: str) -> tuple[Any, ...] | None:
        """Judge one creator (a row with id, user_id, market, handle, date_of_birth, followers, affiliate_status,
        failed_rules, pilot_started_at, graduated_at, suspended_at). When its status moves: gather its new columns
        and its event, and answer its status-change record (in CHANGE_COLUMNS' order)."""
        f = figures(row, self.at)
        status, old = rules.status_of(self.ctx, f), row.affiliate_status
        if status == old:
            return None  # changed meanwhile by someone who judged it already
        age, others = self.memo.parts(f)
        key = (old, row.failed_rules, status, age.failed, others.failed, age.versions, others.versions)
        kind = self.kinds.get(key)
        if kind is None:
            results = age.results + others.results
            judgement = rules.Judgement(status=status, rules=results, policy_versions=versions_used(results))
            kind = self.kinds[key] = Kind(row, judgement, at=self.at, trigger=self.trigger)
        kind.count += 1
        # As move_rows: a new pilot starts now, leaving the pilot ends it, a suspension keeps its start.
        pilot_started = self.at if status == "pilot" else row.pilot_started_at if status == "suspended" else None
        self.updates.setdefault((status, kind.failed, pilot_started), []).append(row.id)
        if kind.template is not None:
            self.events.append((row.market, kind.template.fill(row.id, row.user_id, row.market, row.handle)))
        return (change_id, row.id, self.kind, old, status, kind.rule, f"[{age.text}, {others.text}]", kind.versions,
                *self.why)

    def write(self, session: Session, rows: Sequence[Any]) -> Counter[str]:
        """Judge these rows and write the moves: the status-change records as each row is judged (on PostgreSQL
        the database stores them while the next rows are judged), then the creators' columns and the events."""
        if not rows:
            return Counter()
        ids = new_ids("csc", len(rows))
        changes = (change for change in map(self.add, rows, ids) if change is not None)
        bulk.copy_rows(session, StatusChange.__table__, CHANGE_COLUMNS, changes)
        moves: Counter[str] = Counter()
        for kind in self.kinds.values():
            if kind.count:
                moves[kind.move] += kind.count
        for (status, failed, pilot_started), moved in self.updates.items():
            update_status(session, moved, {"affiliate_status": status, "failed_rules": failed,
                                           "pilot_started_at": pilot_started, "status_changed_at": self.at})
        outbox.emit_encoded(session, CreatorAffiliateStatusChanged, self.events)
        self._clear()
        return moves


def update_status(session: Session, ids: Sequence[str], values: dict[str, Any]) -> None:
    """The same new columns for these creators: `id = ANY(array)` on PostgreSQL (one parameter, whatever the
    count), `id IN (…)` elsewhere."""
    table = Creator.__table__
    if session.connection().dialect.name == "postgresql":
        match = table.c.id == any_(bindparam("ids", list(ids), type_=ARRAY(String)))
    else:
        match = table.c.id.in_(list(ids))
    session.execute(update(table).where(match).values(values))
