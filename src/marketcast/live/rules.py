"""Pure rules of the live area: which session moves are allowed, what makes a deal's terms acceptable, how a
deal's status reads at a time, and the week a pilot's LIVEs are counted in."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from marketcast.core.errors import Conflict, Invalid

SESSION_MOVES = {"start": ("scheduled", "live"), "end": ("live", "ended"), "cancel": ("scheduled", "cancelled")}
# A session's bag and pin change until it ends.
EDITABLE = ("scheduled", "live")
# Statuses in which a deal may still sell (the time window decides the rest) and in which it has not ended.
SELLING = ("counting_down", "open", "sold_out")
NOT_ENDED = ("scheduled", "counting_down", "open", "sold_out")

COUNTDOWN_MIN, COUNTDOWN_MAX = "live.flash_deal.countdown_seconds_min", "live.flash_deal.countdown_seconds_max"
MAX_DURATION = "live.flash_deal.max_duration_minutes"
BAG_MAX = "live.bag.max_products"
UNPAID_EXPIRY = "live.flash_deal.unpaid_expiry_minutes"
PILOT_WEEKLY = "creator.pilot.weekly_shoppable_lives"
# Rows a deal's units are split over unless the host says otherwise: one. With checkouts batched (orders.batch) a
# deal's row sees a few transactions at a time, not one per buyer, and bench/flash_sale.py measured the single row
# ahead of 8 buckets (a batch takes its units in one statement; buckets need their sum and, near the end, more
# tries): docs/adr/0025. A deal of fewer units than buckets has one per unit.
DEFAULT_BUCKETS = 1


def check_move(session_id: str, status: str, action: str) -> str:
    source, target = SESSION_MOVES[action]
    if status != source:
        raise Conflict(f"session {session_id} is {status}; {action} needs a session that is {source}",
                       code="invalid_session_status", status_now=status)
    return target


def check_editable(session_id: str, status: str) -> None:
    if status not in EDITABLE:
        raise Conflict(f"session {session_id} is {status}: its bag no longer changes", code="invalid_session_status",
                       status_now=status)


def check_terms(*, deal_price: int, regular_price: int, allotment: int, per_buyer_limit: int, countdown: int,
                duration: int, bounds: dict[str, int]) -> None:
    """422 naming the field, for terms no policy allows."""
    if deal_price >= regular_price:
        raise Invalid(f"the deal price {deal_price} must be below the SKU's price {regular_price}",
                      code="deal_price_not_below", field="deal_price.amount")
    if per_buyer_limit > allotment:
        raise Invalid(f"the per-buyer limit {per_buyer_limit} exceeds the allotment {allotment}",
                      field="per_buyer_limit")
    lo, hi = bounds[COUNTDOWN_MIN], bounds[COUNTDOWN_MAX]
    if not lo <= countdown <= hi:
        raise Invalid(f"the countdown is {lo}..{hi} seconds, not {countdown}", code="countdown_out_of_bounds",
                      field="countdown_seconds", policy_key=COUNTDOWN_MIN if countdown < lo else COUNTDOWN_MAX,
                      limit=lo if countdown < lo else hi)
    if duration > bounds[MAX_DURATION]:
        raise Invalid(f"a deal runs at most {bounds[MAX_DURATION]} minutes, not {duration}",
                      code="duration_out_of_bounds", field="duration_minutes", policy_key=MAX_DURATION,
                      limit=bounds[MAX_DURATION])


def timeline(start: datetime, countdown: int, duration: int) -> tuple[datetime, datetime]:
    """(opens_at, ends_at) of a deal whose countdown starts at `start`."""
    opens = start + timedelta(seconds=countdown)
    return opens, opens + timedelta(minutes=duration)


def status_at(status: str, opens_at: datetime | None, ends_at: datetime | None, units_left: int,
              at: datetime) -> str:
    """The status a deal has at `at`, whether or not the worker has written it yet: buyers see the clock, not
    the worker's lag."""
    if status in ("scheduled", "ended") or opens_at is None or ends_at is None:
        return status
    if at >= ends_at:
        return "ended"
    if at < opens_at:
        return "counting_down"
    return "sold_out" if units_left == 0 else "open"


def week_of(at: datetime, timezone: str) -> date:
    """The Monday of `at`'s week in `timezone`: weekly limits count from there."""
    local = at.astimezone(ZoneInfo(timezone)).date()
    return local - timedelta(days=local.weekday())
