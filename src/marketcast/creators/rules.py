"""Creators' affiliate status and handles: pure functions over plain data.

Nothing here reads the database, so one creator's eligibility, a market's set-based re-evaluation and a
policy simulation judge with exactly the same code. The status, from the policies in force at a time:
under `creator.affiliate.min_age` or `creator.affiliate.min_followers` → ineligible; eligible but under
`creator.affiliate.pilot_below_followers` (unless graduated) → pilot; otherwise active. An operator's
suspension overrides all of them."""

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from marketcast.core.decisions import PolicyValue, age_on, explain_rule, rule_result, versions_used
from marketcast.core.errors import Invalid

STATUSES = ("ineligible", "pilot", "active", "suspended")
MIN_FOLLOWERS_KEY = "creator.affiliate.min_followers"
MIN_AGE_KEY = "creator.affiliate.min_age"
PILOT_BELOW_KEY = "creator.affiliate.pilot_below_followers"
PILOT_DAYS_KEY = "creator.pilot.days"
GRADUATION_ORDERS_KEY = "creator.pilot.graduation_orders"
STATUS_KEYS = (MIN_FOLLOWERS_KEY, MIN_AGE_KEY, PILOT_BELOW_KEY)
HANDLE = re.compile(r"^[a-z0-9._]{2,30}$")


def normalize_handle(raw: str, *, field: str = "handle") -> str:
    """A handle as stored: lower-case, 2..30 of [a-z0-9._] (422 invalid_handle otherwise)."""
    handle = raw.strip().lower() if isinstance(raw, str) else ""
    if not HANDLE.match(handle):
        raise Invalid(f"a handle is 2 to 30 characters of a-z, 0-9, '.' and '_', got {raw!r}",
                      code="invalid_handle", field=field)
    return handle


@dataclass(frozen=True)
class Context:
    """The policies in force for one market at one time: read once, whatever the number judged."""

    market: str
    at: datetime
    min_age: PolicyValue
    min_followers: PolicyValue
    pilot_below: PolicyValue

    def with_value(self, key: str, value: Any, effective_from: datetime) -> "Context":
        """This context with `value` for `key` (a simulation: no version gives it yet)."""
        field = {MIN_AGE_KEY: "min_age", MIN_FOLLOWERS_KEY: "min_followers", PILOT_BELOW_KEY: "pilot_below"}[key]
        hypothetical = PolicyValue(key=key, value=value, version_id=None, effective_from=effective_from)
        return Context(**{**self.__dict__, field: hypothetical})


@dataclass(frozen=True)
class Figures:
    """What a judgement reads of one creator."""

    followers: int
    date_of_birth: date
    graduated: bool = False
    suspended: bool = False


@dataclass(frozen=True)
class Judgement:
    status: str
    rules: list[dict[str, Any]]
    policy_versions: list[str]

    @property
    def failed(self) -> list[str]:
        return [r["rule"] for r in self.rules if not r["passed"]]

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "rules": self.rules, "policy_versions": self.policy_versions}


def old_enough(ctx: Context, birth: date) -> bool:
    day = ctx.at.date()
    return (birth.year, birth.month, birth.day) <= (day.year - ctx.min_age.value, day.month, day.day)


def born_by(ctx: Context) -> date:
    """The latest birth date that is `old_enough`: the same day `min_age` years back (the 28th of February when
    that year has no 29th), for a database to compare with."""
    day = ctx.at.date()
    year = day.year - ctx.min_age.value
    try:
        return day.replace(year=year)
    except ValueError:  # the 29th of February in a year without one
        return date(year, 3, 1) - timedelta(days=1)


def status_of(ctx: Context, f: Figures) -> str:
    """The status alone, without the words: what a set-based pass computes for every creator."""
    if f.suspended:
        return "suspended"
    if not old_enough(ctx, f.date_of_birth) or f.followers < ctx.min_followers.value:
        return "ineligible"
    pilot = ctx.pilot_below.value
    if pilot is not None and f.followers < pilot and not f.graduated:
        return "pilot"
    return "active"


def _min_age(ctx: Context, f: Figures) -> dict[str, Any]:
    age, need = age_on(f.date_of_birth, ctx.at.date()), ctx.min_age.value
    passed = old_enough(ctx, f.date_of_birth)
    word = "reaches" if passed else "is below"
    return rule_result("min_age", passed, age, need, f"creator is {age} years old, which {word} the minimum age "
                       f"of {need}", ctx.min_age)


def _min_followers(ctx: Context, f: Figures) -> dict[str, Any]:
    need = ctx.min_followers.value
    passed = f.followers >= need
    word = "reach" if passed else "are below"
    return rule_result("min_followers", passed, f.followers, need,
                       f"{f.followers:,} followers {word} the {need:,} required", ctx.min_followers)


def _pilot_threshold(ctx: Context, f: Figures) -> dict[str, Any]:
    pilot = ctx.pilot_below.value
    if pilot is None:
        return rule_result("pilot_threshold", True, f.followers, None, "no pilot: every affiliate starts active",
                           ctx.pilot_below)
    if f.graduated and f.followers < pilot:
        return rule_result("pilot_threshold", True, f.followers, pilot,
                           f"graduated from the pilot on its results ({f.followers:,} followers, under {pilot:,})",
                           ctx.pilot_below)
    passed = f.followers >= pilot
    detail = (f"{f.followers:,} followers reach the {pilot:,} required to skip the pilot" if passed
              else f"{f.followers:,} followers are below the {pilot:,} required to skip the pilot")
    return rule_result("pilot_threshold", passed, f.followers, pilot, detail, ctx.pilot_below)


def _not_suspended(f: Figures) -> dict[str, Any]:
    return rule_result("not_suspended", not f.suspended, f.suspended, False,
                       "suspended by an operator" if f.suspended else "not suspended")


def judge(ctx: Context, f: Figures) -> Judgement:
    results = [_min_age(ctx, f), _min_followers(ctx, f), _pilot_threshold(ctx, f), _not_suspended(f)]
    return Judgement(status=status_of(ctx, f), rules=results, policy_versions=versions_used(results))


@dataclass(frozen=True, eq=False)
class Part:
    """Some of a judgement's rule results, in `judge`'s order: their JSON text (as `json.dumps` writes them in
    a list, without the brackets), the names of the failed ones and the policy versions they name."""

    results: list[dict[str, Any]]
    text: str
    failed: tuple[str, ...]
    versions: tuple[str | None, ...]

    @classmethod
    def of(cls, results: list[dict[str, Any]]) -> "Part":
        return cls(results, json.dumps(results)[1:-1], tuple(r["rule"] for r in results if not r["passed"]),
                   tuple(r["policy_version_id"] for r in results))


class Memo:
    """`judge` for the many creators of one pass under one context, in two parts each worked out once per value
    it reads of the figures: the age rule (the birth date) and the others (followers, graduated, suspended). A
    market holds a million creators but a few thousand birth dates and follower counts. The results are
    shared between judgements: read them, never change them. At most `limit` values are kept, then it starts
    over."""

    def __init__(self, ctx: Context, *, limit: int = 20_000) -> None:
        self.ctx, self.limit = ctx, limit
        self._ages: dict[date, Part] = {}
        self._others: dict[tuple[int, bool, bool], Part] = {}

    def parts(self, f: Figures) -> tuple[Part, Part]:
        """`judge(ctx, f).rules` is the first part's results, then the second's."""
        age = self._ages.get(f.date_of_birth)
        if age is None:
            if len(self._ages) >= self.limit:
                self._ages.clear()
            age = self._ages[f.date_of_birth] = Part.of([_min_age(self.ctx, f)])
        key = (f.followers, f.graduated, f.suspended)
        others = self._others.get(key)
        if others is None:
            if len(self._others) >= self.limit:
                self._others.clear()
            others = self._others[key] = Part.of([_min_followers(self.ctx, f), _pilot_threshold(self.ctx, f),
                                                  _not_suspended(f)])
        return age, others


def deciding_rule(old_failed: list[str], new: Judgement) -> str | None:
    """The rule that made a move: the one now holding the creator back, else the one that held them back before."""
    order = ("not_suspended", "min_age", "min_followers", "pilot_threshold")
    for rules in (new.failed, old_failed):
        for name in order:
            if name in rules:
                return name
    return None


def rule_of(judgement: Judgement, name: str | None) -> dict[str, Any] | None:
    return next((r for r in judgement.rules if r["rule"] == name), None)


LABELS = {"min_age": "minimum age", "min_followers": "minimum followers", "pilot_threshold": "pilot threshold",
          "not_suspended": "not suspended"}
HEADLINES = {"ineligible": "ineligible: cannot sell as an affiliate yet",
             "pilot": "pilot: may sell as an affiliate, with the pilot's limits",
             "active": "active: may sell as an affiliate",
             "suspended": "suspended by an operator"}


def explain(judgement: dict[str, Any]) -> list[str]:
    """A headline with the status, then one plain sentence per rule naming its policy version."""
    return [HEADLINES.get(judgement["status"], judgement["status"])] + [
        explain_rule(r, LABELS) for r in judgement.get("rules", [])]
