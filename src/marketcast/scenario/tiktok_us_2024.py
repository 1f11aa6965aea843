"""The article, replayed: TikTok Shop goes all in on the US in 2024.

Each step runs on the clock of the day it happened, through the same services an operator uses, so
the history, the policy versions and the outbox events carry the dates the article implies.
Loading twice changes nothing: a market that exists keeps its story, a policy key that has versions
keeps them."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth import service as auth
from marketcast.core.errors import NotFound
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from marketcast.scenario import us_affiliate, us_creators, us_live, us_programs, us_sellers, us_statements

OPERATOR_EMAIL = "ops@marketcast.example"
WAITLISTED_SELLERS = ("lucia@tienda.example", "javier@moda.example", "carmen@hogar.example")


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class MarketStory:
    code: str
    name: str
    currency: str
    timezone: str
    created: str
    window: str | None
    # (date, action, argument, reason): action is "transition" or "reschedule"
    steps: tuple[tuple[str, str, str | None, str], ...]


US_FIRST = "2024 resources go to the US market: new market launches are on hold"
STORIES = (
    MarketStory("GB", "United Kingdom", "GBP", "Europe/London", "2021-01-10", "2021-02", (
        ("2021-02-09", "transition", "live", "UK shop opens"),
    )),
    MarketStory("US", "United States", "USD", "America/New_York", "2022-11-01", "2023-09", (
        ("2023-09-12", "transition", "live", "US launch after invite-only registration since Nov 2022"),
    )),
    *(MarketStory(code, name, currency, tz, "2024-01-15", "2024-07", (
        ("2024-05-20", "transition", "postponed", US_FIRST),
    )) for code, name, currency, tz in (
        ("DE", "Germany", "EUR", "Europe/Berlin"),
        ("IT", "Italy", "EUR", "Europe/Rome"),
        ("FR", "France", "EUR", "Europe/Paris"),
        ("MX", "Mexico", "MXN", "America/Mexico_City"),
    )),
    MarketStory("ES", "Spain", "EUR", "Europe/Madrid", "2024-01-15", "2024-07", (
        ("2024-05-20", "reschedule", "2025-Q1", "Spain's shop moves from July to the first quarter of next year"),
    )),
)

# (set on, key, market, value, effective from, reason)
POLICY_STEPS = (
    ("2023-09-01", "creator.affiliate.min_followers", "US", 5000, "2023-09-12",
     "US launch rule: affiliate creators need 5,000 followers"),
    ("2023-09-01", "seller.cross_border.min_external_gmv", "US", {"amount": 200_000_000, "currency": "USD"},
     "2023-09-12", "Cross-border POP stores need $2M annual GMV on Amazon"),
    ("2024-05-20", "seller.cross_border.min_external_gmv", "US", None, "2024-06-01",
     "Cross-border POP stores no longer need $2M annual Amazon GMV"),
    ("2024-05-20", "creator.affiliate.min_followers", "US", 1000, "2024-07-01",
     "Creators may sell from 1,000 followers"),
    ("2024-05-20", "creator.affiliate.pilot_below_followers", "US", 5000, "2024-07-01",
     "Creators under 5,000 followers start on a 30-day pilot"),
    ("2023-09-01", "finance.fee.referral_bps", "US", 200, "2023-09-12", "US launch: a 2% referral fee per order"),
    ("2023-09-01", "finance.fee.per_order", "US", {"amount": 30, "currency": "USD"}, "2023-09-12",
     "US launch: plus $0.30 per order"),
    ("2024-02-15", "finance.fee.referral_bps", "US", 600, "2024-04-01", "The referral fee rises to 6% per order"),
    ("2024-02-15", "finance.fee.per_order", "US", None, "2024-04-01", "The 6% referral fee includes every fee"),
    ("2024-02-15", "finance.fee.referral_bps", "US", 800, "2024-07-01", "The referral fee rises to 8% per order"),
    *(("2024-05-20", key, "US", value, "2024-07-01", "The US pilot programme")
      for key, value in (("creator.pilot.days", 30), ("creator.pilot.weekly_shoppable_videos", 5),
                         ("creator.pilot.weekly_shoppable_lives", 3), ("creator.pilot.graduation_orders", 10))),
)


def _user(session: Session, email: str, role: str, password: str | None = None):
    try:
        return auth.get_user_by_email(session, email)
    except NotFound:
        return auth.create_user(session, email=email, role=role, password=password)


def _market(session: Session, story: MarketStory, actor) -> None:
    try:
        markets.get(session, story.code)
        return
    except NotFound:
        pass
    with clock.frozen(day(story.created)):
        markets.create(session, code=story.code, name=story.name, currency=story.currency, timezone=story.timezone,
                       launch_window=story.window, reason="market opened for planning", actor=actor)
    if story.code == "ES":
        with clock.frozen(day("2024-03-01")):
            for email in WAITLISTED_SELLERS:
                seller = _user(session, email, "seller")
                markets.join_waitlist(session, code="ES", actor=auth.actor_of(seller))
    for when, action, argument, reason in story.steps:
        with clock.frozen(day(when)):
            if action == "transition":
                assert argument is not None, "a transition names the status"
                markets.transition(session, code=story.code, status=argument, reason=reason, actor=actor)
            else:
                markets.reschedule(session, code=story.code, launch_window=argument, reason=reason, actor=actor)


def _worker_on(session: Session, when: datetime) -> None:
    """What the worker did that day: announce the versions taking effect (the areas they affect re-judge)."""
    with clock.frozen(when):
        policies.announce_effective_versions(session, now=when)


def load(session: Session) -> None:
    actor = auth.actor_of(_user(session, OPERATOR_EMAIL, "operator"))
    for story in STORIES:
        _market(session, story, actor)
    touched = {(key, market) for _, key, market, *_ in POLICY_STEPS}
    fresh = {pair for pair in touched if not policies.versions(session, key=pair[0], market=pair[1])}
    for set_on, key, market, value, effective, reason in POLICY_STEPS:
        if (key, market) in fresh:
            with clock.frozen(day(set_on)):
                policies.schedule(session, key=key, market=market, value=value, effective_from=day(effective),
                                  reason=reason, actor=actor)
    _worker_on(session, day("2023-09-12"))
    us_sellers.load_local_shops(session, actor)
    us_sellers.load_cross_border(session)
    us_creators.load(session, actor)
    for effective in sorted({step[4] for step in POLICY_STEPS}):
        _worker_on(session, day(effective))
    us_programs.load(session, actor)
    us_affiliate.load(session)


def ensure_demo_operator(session: Session, *, email: str, password: str) -> None:
    try:
        auth.get_user_by_email(session, email)
        auth.set_password(session, email=email, password=password)
    except NotFound:
        auth.create_user(session, email=email, role="operator", password=password)


def ensure_demo_seller(session: Session, *, password: str) -> str:
    """Give the story's first local shop owner a console password, orders of today to ship, LIVEs and delivered
    orders in the last 90 days and the statements of those weeks; returns the email."""
    email = us_sellers.LOCAL[0].email
    auth.set_password(session, email=email, password=password)
    us_sellers.recent_orders(session, email=email)
    us_live.recent_lives(session, email=email)
    us_statements.recent_statements(session, email=email)
    return email


def snapshot(session: Session, *, at: datetime) -> dict:
    """The markets and the policies in force as of `at`, for people and machines."""
    rows, _ = markets.list_markets(session, page_size=200)
    out: dict[str, Any] = {"at": at.isoformat(), "markets": [], "policies": {}}
    for market in rows:
        history = markets.history(session, code=market.code)
        known = [e for e in history if e.at <= at]
        state = known[-1] if known else None
        out["markets"].append({
            "code": market.code, "name": market.name, "currency": market.currency,
            "status": state.to_status if state else "not yet created",
            "launch_window": state.to_window if state else None,
        })
        if known:
            out["policies"][market.code] = {
                r.key: {"value": r.value, "version_id": r.version_id, "source": r.source,
                        "effective_from": r.effective_from.isoformat() if r.effective_from else None}
                for r in policies.in_force(session, market=market.code, at=at)
            }
    operator = auth.actor_of(auth.get_user_by_email(session, OPERATOR_EMAIL))
    out["us_cross_border_applicants"] = us_sellers.applicants(session, operator=operator, as_of=at)
    out["us_local_shops"] = us_sellers.local_shops(session, as_of=at)
    out["us_creators"] = us_creators.summary(session, at=at, operator=operator)
    out["us_affiliate"] = us_affiliate.summary(session, as_of=at)
    out["us_self_broadcast_plan"] = us_programs.summary(session, at=at, operator=operator)
    return out
