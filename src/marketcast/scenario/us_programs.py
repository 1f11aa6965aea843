"""The US merchant self-broadcast support plan of the 2024 story: an operator defines it on 2024-03-15 (monthly from
2024-04-01: at least 14 effective live hours and 4 sessions a month; 2 points off the next month's referral fee and
a $5,000 pool for the top 5 by unique viewers), local shops are enrolled automatically, four of them host their own
LIVEs in April to July, and the worker closes each month on the 1st, so a qualifying shop's LIVE orders of the next
month pay the lower fee. Each shop falls short in some months, for reasons the standings say."""

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth import service as auth
from marketcast.core.auth.actor import Actor
from marketcast.programs import service as programs
from marketcast.programs.schemas import ProgramIn
from marketcast.scenario import us_sellers
from marketcast.scenario.us_live import Broadcast, broadcast
from marketcast.sellers import service as sellers

NAME = "Merchant self-broadcast support plan"
PLAN = {
    "market": "US", "name": NAME, "cadence": "monthly",
    "description": "Shops that host their own LIVE: at least 14 effective live hours and 4 sessions in a month "
                   "earn 2 points off the next month's referral fee; the top 5 by unique viewers share $5,000.",
    "eligibility": {"host_types": ["self_broadcast"], "shop_types": ["local"], "modes": ["pop"]},
    "criteria": [{"metric": "effective_live_hours", "min": 14}, {"metric": "live_sessions", "min": 4}],
    "benefits": [{"kind": "referral_fee_discount_bps", "value": 200},
                 {"kind": "reward_pool", "amount": {"amount": 500_000, "currency": "USD"},
                  "rank_by": "unique_viewers", "top_n": 5}],
    "auto_enroll": True,
}
STARTS = "2024-04-01T00:00"
CREATE_ARGS = ("market", "name", "description", "starts_at", "ends_at", "cadence", "eligibility", "criteria",
               "benefits", "auto_enroll")
MONTHS = (4, 5, 6, 7)
# Per local shop (us_sellers.LOCAL index), per month: (sessions, minutes each, viewers). Viewers join after the first
# minute, so a session's effective minutes are one fewer than its length.
LIVES = {
    0: {4: (3, 300, 40), 5: (4, 240, 60), 6: (4, 180, 70), 7: (5, 180, 80)},    # Austin: May and July
    1: {4: (4, 240, 50), 5: (4, 150, 45), 6: (5, 200, 55), 7: (2, 120, 30)},    # Brooklyn: April and June
    2: {4: (5, 210, 90), 5: (5, 210, 110), 6: (4, 240, 120), 7: (4, 240, 150)},  # Portland: every month
    3: {4: (4, 180, 35), 5: (3, 300, 40), 6: (4, 240, 45), 7: (1, 60, 20)},     # Denver: June only
}


def _program(session: Session):
    return next((p for p in programs.list_programs(session, market="US", page_size=200)[0]
                 if programs.latest(session, p.id).name == NAME), None)


def load(session: Session, operator: Actor) -> None:
    """Define the plan, enroll the shops, play April to July month by month, closing each month on the 1st."""
    if _program(session) is not None:
        return
    with clock.frozen(us_sellers.at("2024-03-15T10:00")):
        body = ProgramIn.model_validate({**PLAN, "starts_at": us_sellers.at(STARTS)}).model_dump()  # as the API
        program = programs.create(session, **{k: body[k] for k in body if k in CREATE_ARGS}, actor=operator)
    with clock.frozen(us_sellers.at("2024-03-25T00:00")):  # the worker's auto-enrollment
        programs.auto_enroll(session)
    shops = _shops(session)
    buyers = [auth.actor_of(auth.get_user_by_email(session, email)) for email in us_sellers.BUYERS]
    for month in MONTHS:
        for index, (owner, shop_id) in enumerate(shops):
            sessions, minutes, viewers = LIVES[index][month]
            for n in range(sessions):
                start = us_sellers.at(f"2024-{month:02d}-{3 + 6 * n:02d}T{17 + index}:00")
                broadcast(session, owner=owner, shop_id=shop_id, buyers=buyers, title=f"LIVE from the studio #{n + 1}",
                          plan=Broadcast(start, minutes=minutes, viewers=viewers, buyers=1, tick_minutes=30))
        _close_month(session, program.id, us_sellers.at(f"2024-{month + 1:02d}-01T01:00"))


def _shops(session: Session) -> list[tuple[Actor, str]]:
    out = []
    for local in us_sellers.LOCAL[:len(LIVES)]:
        owner = auth.actor_of(auth.get_user_by_email(session, local.email))
        out.append((owner, sellers.shops_of(session, actor=owner)[0].id))
    return out


def _close_month(session: Session, program_id: str, when: datetime) -> None:
    """What the worker does on the 1st: close the month that ended (and book the benefits)."""
    with clock.frozen(when):
        for due_id, period in programs.due_periods(session):
            if due_id == program_id:
                programs.close_one(session, program_id=due_id, period=period)


def summary(session: Session, *, at: datetime, operator: Actor) -> dict | None:
    """The plan's months closed by `at`, each shop's standing in the last of them, and what each shop earned so far
    (rewards, and the fee discounts for the months after)."""
    program = _program(session)
    if program is None:
        return None
    names = {shop_id: sellers.get_shop(session, shop_id).name for _, shop_id in _shops(session)}
    months, earned = [], {shop_id: {"reward": 0, "discounted_months": 0} for shop_id in names}
    day = program.starts_at
    while day + timedelta(days=1) <= at:
        report = programs.report(session, program_id=program.id, period=day.date().isoformat(), actor=operator)
        if report.status != "closed" or report.period.end > at:
            break
        months.append(report)
        for item in report.items:
            benefit = item.benefit
            if benefit is not None and item.shop_id in earned and not item.clawed_back:
                earned[item.shop_id]["reward"] += benefit.reward.amount if benefit.reward else 0
                earned[item.shop_id]["discounted_months"] += bool(benefit.referral_fee_discount_bps)
        day = report.period.end
    last = months[-1] if months else None
    return {
        "program_id": program.id, "name": NAME, "since": program.starts_at.isoformat(),
        "criteria": PLAN["criteria"], "benefits": PLAN["benefits"],
        "closed_months": [m.period.start.date().isoformat() for m in months],
        "month": last.period.start.date().isoformat() if last else None,
        "standings": [{"shop_id": i.shop_id, "shop": names.get(i.shop_id, i.shop_id), "qualifies": i.qualifies,
                       "explanation": i.explanation,
                       "benefit": i.benefit.model_dump(mode="json", exclude_none=True) if i.benefit else None,
                       "earned_so_far": earned.get(i.shop_id)} for i in (last.items if last else [])],
    }
