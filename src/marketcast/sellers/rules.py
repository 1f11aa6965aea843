"""Eligibility rules for shop applications: pure functions over plain data.

Nothing here reads the database, so the one-application path (submission, review) and the set-based
re-evaluation of a whole market judge with exactly the same code. Every rule result records the policy
version it compared against (None for rules that use no policy, or when the registry default applied)."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from marketcast.core.decisions import PolicyValue, age_on, versions_used
from marketcast.core.decisions import explain_rule as _explain_rule
from marketcast.core.decisions import rule_result as _result
from marketcast.core.money import Money

RULES = ("market_live", "representative_age", "contact_unique", "local_business_address",
         "cross_border_external_gmv")
MIN_AGE_KEY = "seller.min_age"
MIN_GMV_KEY = "seller.cross_border.min_external_gmv"


@dataclass(frozen=True)
class Context:
    """Everything about the market a judgement needs, read once per market."""

    market: str
    market_status: str
    launch_window: str | None
    min_age: PolicyValue
    min_external_gmv: PolicyValue
    at: datetime


@dataclass
class Candidate:
    id: str
    shop_type: str
    business_country: str
    representative_birth_date: date
    # currency -> (best amount, platform of that record)
    best_gmv: dict[str, tuple[int, str]] = field(default_factory=dict)
    # what else uses this contact: ["email used by shop shp_…", "phone used by seller sel_…"]
    contact_clashes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    outcome: str  # eligible | ineligible
    rules: list[dict[str, Any]]
    next_step: dict[str, Any] | None
    policy_versions: list[str]

    @property
    def failed(self) -> list[str]:
        return [r["rule"] for r in self.rules if not r["passed"]]

    def as_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "rules": self.rules, "next_step": self.next_step,
                "policy_versions": self.policy_versions}


def market_live(ctx: Context) -> dict[str, Any]:
    passed = ctx.market_status == "live"
    detail = (f"market {ctx.market} is live" if passed
              else f"market {ctx.market} is {ctx.market_status}"
              + (f" (launch window {ctx.launch_window})" if ctx.launch_window else "") + "; join the waitlist")
    return _result("market_live", passed, ctx.market_status, "live", detail)


def representative_age(ctx: Context, c: Candidate) -> dict[str, Any]:
    age, need = age_on(c.representative_birth_date, ctx.at.date()), ctx.min_age.value
    passed = age >= need
    word = "reaches" if passed else "is below"
    return _result("representative_age", passed, age, need,
                   f"representative is {age} years old, which {word} the minimum age of {need}", ctx.min_age)


def contact_unique(c: Candidate) -> dict[str, Any]:
    passed = not c.contact_clashes
    detail = "contact email and phone are not used by another shop or seller" if passed else "; ".join(
        c.contact_clashes)
    return _result("contact_unique", passed, c.contact_clashes, [], detail)


def local_business_address(ctx: Context, c: Candidate) -> dict[str, Any]:
    if c.shop_type != "local":
        return _result("local_business_address", True, c.business_country, None,
                       "cross-border shops may have a business address abroad")
    passed = c.business_country == ctx.market
    word = "is in" if passed else "is not in"
    return _result("local_business_address", passed, c.business_country, ctx.market,
                   f"business address {word} {ctx.market}")


def cross_border_external_gmv(ctx: Context, c: Candidate) -> dict[str, Any]:
    policy, need = ctx.min_external_gmv, ctx.min_external_gmv.value
    if c.shop_type != "cross_border":
        return _result("cross_border_external_gmv", True, None, None, "local shops need no external GMV", policy)
    if need is None:
        return _result("cross_border_external_gmv", True, None, None, "no requirement", policy)
    required = Money(amount=need["amount"], currency=need["currency"])
    best = c.best_gmv.get(required.currency)
    if best is None:
        return _result("cross_border_external_gmv", False, None, need,
                       f"no external record in {required.currency}; {required} required", policy)
    amount, platform = best
    actual = Money(amount=amount, currency=required.currency)
    passed = amount >= required.amount
    word = "reaches" if passed else "is below"
    return _result("cross_border_external_gmv", passed, {"amount": amount, "currency": required.currency,
                                                         "platform": platform}, need,
                   f"best record {actual} on {platform} {word} the {required} required", policy)


def judge(ctx: Context, c: Candidate) -> Decision:
    return _decision(ctx, [market_live(ctx), representative_age(ctx, c), contact_unique(c),
                           local_business_address(ctx, c), cross_border_external_gmv(ctx, c)])


def judge_many(ctx: Context, candidates: Iterable[Candidate]) -> Iterator[Decision]:
    """`judge` of each candidate, the same decisions, for a set-based pass: what is the same for many candidates
    is worked out once. A rule result whose inputs are the same for two candidates is the same dict in both
    decisions, and two candidates with the same results share one Decision (read them, never change them)."""
    live = market_live(ctx)
    seen: dict[tuple, dict[str, Any]] = {}
    decisions: dict[tuple[int, ...], Decision] = {}

    def once(key: tuple, rule: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
        found = seen.get(key)
        if found is None:
            found = seen[key] = rule(*args)
        return found

    need = ctx.min_external_gmv.value
    for c in candidates:
        gmv = c.best_gmv.get(need["currency"]) if need is not None and c.shop_type == "cross_border" else None
        results = [live,
                   once(("age", c.representative_birth_date), representative_age, ctx, c),
                   once(("contact", *c.contact_clashes), contact_unique, c),
                   once(("address", c.shop_type, c.business_country), local_business_address, ctx, c),
                   once(("gmv", c.shop_type, gmv), cross_border_external_gmv, ctx, c)]
        key = tuple(map(id, results))  # the results are held by `seen`: their ids stay theirs
        decision = decisions.get(key)
        if decision is None:
            decision = decisions[key] = _decision(ctx, results)
        yield decision


def _decision(ctx: Context, results: list[dict[str, Any]]) -> Decision:
    outcome = "eligible" if all(r["passed"] for r in results) else "ineligible"
    next_step = None
    if not results[0]["passed"]:
        next_step = {"action": "join the waitlist", "market": ctx.market, "launch_window": ctx.launch_window}
    versions = versions_used(results)
    return Decision(outcome=outcome, rules=results, next_step=next_step, policy_versions=versions)


# --- plain words ------------------------------------------------------------------------------------

LABELS = {
    "market_live": "market live",
    "representative_age": "representative age",
    "contact_unique": "contact unique",
    "local_business_address": "local business address",
    "cross_border_external_gmv": "cross-border external GMV",
}


def explain_rule(r: dict[str, Any]) -> str:
    return _explain_rule(r, LABELS)


def explain(decision: dict[str, Any]) -> list[str]:
    """One plain sentence per rule, after a headline with the outcome and what to do next."""
    rules = decision.get("rules", [])
    failed = [LABELS.get(r["rule"], r["rule"]) for r in rules if not r["passed"]]
    head = ("eligible: every rule passed" if not failed
            else f"{decision.get('outcome', 'ineligible')}: failed {', '.join(failed)}")
    lines = [head] + [explain_rule(r) for r in rules]
    step = decision.get("next_step")
    if step:
        window = step.get("launch_window") or "not scheduled yet"
        lines.append(f"next step: {step['action']} for {step['market']} (launch window {window})")
    return lines
