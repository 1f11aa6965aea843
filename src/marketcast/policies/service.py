"""Versioned per-market policies: the value as of a time, scheduling, withdrawal, explanation.

A value in force is never rewritten: a change is a new version from a date not in the past, and only
versions still in the future may be withdrawn. Other domains ask `value(...)` at the time of their decision."""

from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketcast.core import clock, outbox, text
from marketcast.core.auth.actor import SYSTEM, Actor, shown_email
from marketcast.core.decisions import PolicyValue
from marketcast.core.errors import Conflict, Invalid, NotFound
from marketcast.core.fields import market_code
from marketcast.core.ids import looks_like_id, new_id
from marketcast.markets import service as markets
from marketcast.policies import hooks, registry, rules, simulation
from marketcast.policies.events import PolicyEffective, PolicyScheduled, PolicyWithdrawn
from marketcast.policies.models import PolicyVersion
from marketcast.policies.registry import PolicyKey
from marketcast.policies.values import PolicyValueIn, PolicyValueOut  # noqa: F401  (re-exported for the areas above)

Source = Literal["market", "global", "default"]


@dataclass(frozen=True)
class VersionInfo:
    """A version as callers read it: the plain value, not the stored {"v": …} wrapper."""

    version_id: str
    key: str
    market: str | None
    value: Any
    effective_from: datetime
    reason: str
    actor: str
    created_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    withdraw_reason: str | None
    announced_at: datetime | None

    @classmethod
    def of(cls, v: PolicyVersion) -> "VersionInfo":
        return cls(version_id=v.id, key=v.key, market=v.market, value=v.plain_value, effective_from=v.effective_from,
                   reason=v.reason, actor=v.actor_email, created_at=v.created_at, withdrawn_at=v.withdrawn_at,
                   withdrawn_by=v.withdrawn_by, withdraw_reason=v.withdraw_reason, announced_at=v.announced_at)


@dataclass(frozen=True)
class TimelineEntry(VersionInfo):
    status: str  # superseded | in_force | scheduled | withdrawn


@dataclass(frozen=True)
class Resolved:
    key: str
    market: str | None
    at: datetime
    value: Any
    version_id: str | None  # None: the registry default
    effective_from: datetime | None
    source: Source
    reason: str | None
    actor: str | None
    created_at: datetime | None
    next: VersionInfo | None  # the version that will next change this value, if one is scheduled


# --- the registry -------------------------------------------------------------------------------

def keys() -> list[PolicyKey]:
    return registry.all_keys()


def key_info(key: str) -> PolicyKey:
    return registry.get(key)


def describe(key: str, value: Any) -> str:
    """A value of `key` as people read it: "1000 followers", "2,000,000.00 USD", "none (no requirement)"."""
    return rules.format_value(key_info(key), value)


def parse_value(key: str, text: str) -> Any:
    """A value as a person typed it (CLI, console): "1,000", "none", "$2,000,000", "2000000 USD", "true"."""
    return rules.parse_text(registry.get(key), text)


# --- reading --------------------------------------------------------------------------------------

def normalize_market(market: str | None) -> str | None:
    if market is None:
        return None
    code = market_code(market)
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise Invalid(f"market must be a two-letter code, got {market!r}", code="invalid_market", field="market")
    return code


def check_market(session: Session, market: str | None) -> str | None:
    """The market code if that market exists (None stays None: global); for callers that take it from a person."""
    code = normalize_market(market)
    if code is not None:
        markets.get(session, code)
    return code


# Built once: the one policy read of every checkout (a statement built anew costs more to build than to run).
_KEY_IN_MARKET = select(PolicyVersion).where(
    PolicyVersion.withdrawn_at.is_(None), PolicyVersion.key == bindparam("b_key"),
    or_(PolicyVersion.market == bindparam("b_market"), PolicyVersion.market.is_(None)))


def _live(session: Session, *, market: str | None, key: str | None = None) -> list[PolicyVersion]:
    """Non-withdrawn versions for `market` and the globals it falls back to (globals only when market is None)."""
    if key is not None and market is not None:
        return list(session.scalars(_KEY_IN_MARKET, {"b_key": key, "b_market": market}))
    stmt = select(PolicyVersion).where(PolicyVersion.withdrawn_at.is_(None))
    if key is not None:
        stmt = stmt.where(PolicyVersion.key == key)
    if market is None:
        stmt = stmt.where(PolicyVersion.market.is_(None))
    else:
        stmt = stmt.where(or_(PolicyVersion.market == market, PolicyVersion.market.is_(None)))
    return list(session.scalars(stmt))


def _resolve(pk: PolicyKey, versions: list[PolicyVersion], market: str | None, at: datetime) -> Resolved:
    chosen = rules.pick(versions, market, at)
    found = rules.next_change(versions, market, at)
    upcoming = VersionInfo.of(found) if found else None
    if chosen is None:
        return Resolved(key=pk.key, market=market, at=at, value=pk.default, version_id=None, effective_from=None,
                        source="default", reason=None, actor=None, created_at=None, next=upcoming)
    return Resolved(key=pk.key, market=market, at=at, value=chosen.plain_value, version_id=chosen.id,
                    effective_from=chosen.effective_from, source="market" if chosen.market else "global",
                    reason=chosen.reason, actor=chosen.actor_email, created_at=chosen.created_at, next=upcoming)


def _when(at: datetime | None) -> datetime:
    return clock.as_utc_input(at, "at") if at is not None else clock.now()


def value_at(session: Session, *, key: str, market: str | None, at: datetime | None = None) -> Resolved:
    pk = registry.get(key)
    code = normalize_market(market)
    return _resolve(pk, _live(session, market=code, key=key), code, _when(at))


def policy_value(session: Session, *, key: str, market: str | None, at: datetime | None = None) -> PolicyValue:
    """The value in force with the version that gave it, as eligibility rules record it."""
    resolved = value_at(session, key=key, market=market, at=at)
    return PolicyValue(key=key, value=resolved.value, version_id=resolved.version_id,
                       effective_from=resolved.effective_from)


def value(session: Session, *, key: str, market: str | None, at: datetime | None = None) -> Any:
    """Just the value in force; what other domains' rules compare against."""
    return value_at(session, key=key, market=market, at=at).value


def in_force(session: Session, *, market: str | None, at: datetime | None = None) -> list[Resolved]:
    code, when = normalize_market(market), _when(at)
    by_key: dict[str, list[PolicyVersion]] = {}
    for version in _live(session, market=code):
        by_key.setdefault(version.key, []).append(version)
    return [_resolve(pk, by_key.get(pk.key, []), code, when) for pk in registry.all_keys()]


def versions(session: Session, *, key: str, market: str | None) -> list[PolicyVersion]:
    """Every version of `key` for exactly this scope (a market, or global when None), withdrawn ones too."""
    registry.get(key)
    code = normalize_market(market)
    scope = PolicyVersion.market.is_(None) if code is None else PolicyVersion.market == code
    stmt = select(PolicyVersion).where(PolicyVersion.key == key, scope)
    return list(session.scalars(stmt.order_by(PolicyVersion.effective_from, PolicyVersion.id)))


def get_version(session: Session, version_id: str) -> PolicyVersion:
    version = session.get(PolicyVersion, version_id)
    if version is None:
        raise NotFound("policy_version", version_id)
    return version


def timeline(session: Session, *, key: str, market: str | None, at: datetime | None = None,
             include_global: bool = False) -> list[TimelineEntry]:
    """The versions of `key` for `market`, oldest first, each with its status as of `at`."""
    pk, code, when = registry.get(key), normalize_market(market), _when(at)
    in_force_id = _resolve(pk, _live(session, market=code, key=key), code, when).version_id
    rows = versions(session, key=key, market=code)
    if include_global and code is not None:
        rows = sorted(rows + versions(session, key=key, market=None), key=lambda v: (v.effective_from, v.id))
    return [TimelineEntry(**vars(VersionInfo.of(v)), status=rules.status_of(v, in_force_id=in_force_id, at=when))
            for v in rows]


def explain(session: Session, *, key: str, market: str | None, at: datetime | None = None) -> str:
    return value_explained(session, key=key, market=market, at=at)[1]


def value_explained(session: Session, *, key: str, market: str | None, at: datetime | None = None,
                    viewer: Actor | None = SYSTEM) -> tuple[Resolved, str]:
    """The value in force and its explanation in words, from one read of the key's versions. Who set it is named
    as `viewer` may see it (core.auth.actor.shown_email)."""
    pk, code, when = registry.get(key), normalize_market(market), _when(at)
    live = _live(session, market=code, key=key)
    resolved = _resolve(pk, live, code, when)
    where = f"for {code}" if code else "globally"
    head = f"{pk.key} {where} on {rules.format_when(when)} is {rules.format_value(pk, resolved.value)}"
    if resolved.version_id is None:
        body = "the default (no version set)"
    else:
        kind = "global version" if resolved.source == "global" and code else "version"
        who = shown_email(resolved.actor, viewer)
        assert resolved.created_at is not None and resolved.effective_from is not None, "a version has both"
        body = (f"{kind} {resolved.version_id} set by {who} on {rules.format_when(resolved.created_at)}"
                f" '{resolved.reason}' effective since {rules.format_when(resolved.effective_from)}")
        before = rules.pick(live, code, resolved.effective_from, before=True)
        if before is None:
            body += f"; before that {rules.format_value(pk, pk.default, unit=False)} (default)"
        else:
            body += f"; before that {rules.format_value(pk, before.plain_value, unit=False)} ({before.id})"
    nxt = resolved.next
    if nxt is None:
        tail = "next: none scheduled."
    else:
        kind = "global version " if nxt.market is None and code else ""
        tail = (f"next: {rules.format_value(pk, nxt.value)} from {rules.format_when(nxt.effective_from)}"
                f" ({kind}{nxt.version_id}).")
    return resolved, f"{head}: {body}; {tail}"


# --- writing ----------------------------------------------------------------------------------------

def check_value(session: Session, *, key: str, market: str | None, value: Any) -> Any:
    """`value` as a valid value of `key` for `market` (422 naming the field otherwise), e.g. for a simulation."""
    code = normalize_market(market)
    currency = markets.get(session, code).currency if code is not None else None
    return rules.check_value(registry.get(key), value, currency=currency)


def schedule(session: Session, *, key: str, market: str | None, value: Any, effective_from: datetime, reason: str,
             actor: Actor) -> PolicyVersion:
    """A new version of `key` for `market` (global when None) from `effective_from`, which is not in the past."""
    pk = registry.get(key)
    code = normalize_market(market)
    actor.require_operator_of(code, "changing policies")
    currency = markets.get(session, code).currency if code is not None else None
    checked = rules.check_value(pk, value, currency=currency)
    when, now = clock.as_utc_input(effective_from, "effective_from"), clock.now()
    if when < now:
        raise Invalid(f"effective_from {when.isoformat()} is in the past; a policy changes from now on",
                      code="effective_from_in_past", field="effective_from")
    why = text.reason(reason)
    clash = session.scalar(select(PolicyVersion.id).where(
        PolicyVersion.key == key, PolicyVersion.effective_from == when, PolicyVersion.withdrawn_at.is_(None),
        PolicyVersion.market.is_(None) if code is None else PolicyVersion.market == code))
    if clash:
        raise _exists(key, code, when, clash)
    version = PolicyVersion(id=new_id("pol"), key=key, market=code, value={"v": checked}, effective_from=when,
                            reason=why, actor_email=actor.email, created_at=now)
    try:
        with session.begin_nested():  # a racing twice-scheduled version fails alone, not the whole transaction
            session.add(version)
    except IntegrityError:
        raise _exists(key, code, when, None) from None
    outbox.emit(session, PolicyScheduled(**_event(version)), market=code)
    return version


def _exists(key: str, market: str | None, when: datetime, other: str | None) -> Conflict:
    return Conflict(f"{key} already has a version for {market or 'global'} from {when.isoformat()}"
                    + (f" ({other}); withdraw it first" if other else ""), code="policy_version_exists")


def _event(version: PolicyVersion) -> dict[str, Any]:
    return {"version_id": version.id, "key": version.key, "market": version.market, "value": version.plain_value,
            "effective_from": version.effective_from}


def withdraw(session: Session, *, version_id: str, reason: str, actor: Actor) -> PolicyVersion:
    """Withdraw a version that has not taken effect yet. Effective versions are history and stay as they are."""
    version = None
    if looks_like_id(version_id):
        version = session.scalar(select(PolicyVersion).where(PolicyVersion.id == version_id).with_for_update())
    if version is None:
        raise NotFound("policy_version", version_id)
    actor.require_operator_of(version.market, "changing policies")
    if version.withdrawn_at is not None:
        raise Conflict(f"{version_id} was already withdrawn", code="policy_version_withdrawn")
    now = clock.now()
    if version.effective_from <= now:
        raise Conflict(f"{version_id} has been in effect since {version.effective_from.isoformat()}; "
                       "schedule a new version instead", code="policy_version_in_effect")
    version.withdraw_reason = text.reason(reason)
    version.withdrawn_at, version.withdrawn_by = now, actor.email
    outbox.emit(session, PolicyWithdrawn(**_event(version), reason=version.withdraw_reason), market=version.market)
    return version


# --- simulating -----------------------------------------------------------------------------------

# What the areas that read policies use to register theirs (they sit above and cannot be imported here).
SimulationRequest = simulation.Request
SimulatedMove = simulation.Move
register_simulator = simulation.register
simulated_keys = simulation.simulated_keys


def _simulation(session: Session, *, key: str, market: str, value: Any, effective_from: datetime | None,
                actor: Actor) -> tuple[simulation.Request, str, simulation.Simulator]:
    """The checked request, the type of subject it moves and the simulator that moves them."""
    registry.get(key)
    code = normalize_market(market)
    if code is None:
        raise Invalid("a simulation is for one market", code="invalid_market", field="market")
    actor.require_operator_of(code, "changing policies")
    markets.get(session, code)
    found = simulation.simulator_for(key)
    if found is None:
        raise Invalid(f"{key} changes nothing that can be simulated; simulated keys: "
                      f"{', '.join(simulation.simulated_keys())}", code="policy_not_simulated", field="key")
    checked = check_value(session, key=key, market=code, value=value)
    now = clock.now()
    when = clock.as_utc_input(effective_from, "effective_from") if effective_from is not None else now
    if when < now:
        raise Invalid(f"effective_from {when.isoformat()} is in the past; a policy changes from now on",
                      code="effective_from_in_past", field="effective_from")
    subject_type, simulator = found
    return simulation.Request(key=key, market=code, value=checked, effective_from=when, at=now), subject_type, simulator


def simulate(session: Session, *, key: str, market: str, value: Any, effective_from: datetime | None = None,
             actor: Actor, sample_size: int = 20) -> dict[str, Any]:
    """What scheduling `value` for `key` in `market` from `effective_from` (default now) would move: counts of
    each move ("ineligible->pilot": 812), a sample with each subject's figures. Reads only."""
    request, subject_type, simulator = _simulation(session, key=key, market=market, value=value,
                                                   effective_from=effective_from, actor=actor)
    stats: Counter = Counter()
    summary = simulation.summarize(simulator(session, request, stats), stats, sample_size=sample_size)
    return {"key": key, "market": request.market, "value": request.value, "effective_from": request.effective_from,
            "at": request.at, "subject_type": subject_type, **summary}


def simulation_moves(session: Session, *, key: str, market: str, value: Any, effective_from: datetime | None = None,
                     actor: Actor) -> Iterator[simulation.Move]:
    """Every move of the simulation, one at a time (the full list: CSV)."""
    request, _, simulator = _simulation(session, key=key, market=market, value=value,
                                        effective_from=effective_from, actor=actor)
    return simulator(session, request, Counter())


# --- the worker ------------------------------------------------------------------------------------

def announce_effective(session: Session, *, now: datetime) -> int:
    """Emit policy.effective once for each version whose time has come; returns how many."""
    return len(announce_effective_versions(session, now=now))


def _due(now: datetime):
    return (select(PolicyVersion)
            .where(PolicyVersion.announced_at.is_(None), PolicyVersion.withdrawn_at.is_(None),
                   PolicyVersion.effective_from <= now)
            .order_by(PolicyVersion.effective_from, PolicyVersion.id))


def due_versions(session: Session, *, now: datetime) -> list[PolicyVersion]:
    """The versions in effect at `now` that are not announced yet, read without locks: the worker re-judges
    what they affect first, then announces them, so a crash in between leaves them due for the next run."""
    return list(session.scalars(_due(now)))


def announce_effective_versions(session: Session, *, now: datetime,
                                judged: Collection[str] = ()) -> list[PolicyVersion]:
    """As `announce_effective`, returning the versions announced; the areas they affect re-judge in this transaction
    (`hooks.versions_effective`), except for the versions in `judged` (ids) that they re-judged already."""
    due = list(session.scalars(_due(now).with_for_update(skip_locked=True)))  # two workers never announce one twice
    if not due:
        return []
    live: dict[str, list[PolicyVersion]] = {}
    for version in session.scalars(select(PolicyVersion).where(
            PolicyVersion.key.in_({v.key for v in due}), PolicyVersion.withdrawn_at.is_(None))):
        live.setdefault(version.key, []).append(version)
    for version in due:
        before = rules.pick(live[version.key], version.market, version.effective_from, before=True)
        pk = registry.find(version.key)
        previous = before.plain_value if before else (pk.default if pk else None)
        version.announced_at = now
        outbox.emit(session, PolicyEffective(**_event(version), previous_value=previous), market=version.market)
    hooks.versions_effective.fire(session, [effective(v) for v in due if v.id not in judged])
    return due


def effective(version: PolicyVersion) -> hooks.EffectiveVersion:
    return hooks.EffectiveVersion(version.id, version.key, version.market, version.effective_from)
