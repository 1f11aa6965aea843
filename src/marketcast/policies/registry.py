"""The policy keys Marketcast knows: type, bounds, default, unit and meaning of each.

Adding a key is one line in KEYS. Defaults come from what the real platforms do (see anchors.md);
every market can override them with dated versions, so none of these numbers is a literal in code."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from marketcast.core.errors import NotFound


class PolicyType(StrEnum):
    """The kind of a policy's value: an integer, money {amount, currency}, a boolean, a duration in seconds
    or one of a key's choices."""

    INT = "int"
    MONEY = "money"
    BOOL = "bool"
    DURATION = "duration"
    ENUM = "enum"


@dataclass(frozen=True)
class PolicyKey:
    key: str
    type: PolicyType
    default: Any  # in its JSON form: int, bool, str, {"amount": …, "currency": …} or None
    unit: str | None
    meaning: str
    min: int | None = None  # ints and durations; for money, the least amount in minor units
    max: int | None = None
    nullable: bool = False  # True where "none" means "no requirement"
    choices: tuple[str, ...] | None = None  # enums only


def _int(key: str, lo: int, hi: int | None, default: int | None, unit: str, meaning: str, *,
         nullable: bool = False) -> PolicyKey:
    return PolicyKey(key, PolicyType.INT, default, unit, meaning, min=lo, max=hi, nullable=nullable)


def _money(key: str, default: dict | None, meaning: str, *, nullable: bool = False) -> PolicyKey:
    return PolicyKey(key, PolicyType.MONEY, default, None, meaning, min=0, nullable=nullable)


# One line per key: name, bounds, default, unit, meaning.
KEYS: tuple[PolicyKey, ...] = (
    _int("creator.affiliate.min_followers", 0, None, 5000, "followers", "Followers needed to become an affiliate"),
    _int("creator.affiliate.pilot_below_followers", 0, None, None, "followers",
         "Affiliates below this start on a pilot; none: no pilot", nullable=True),
    _int("creator.affiliate.min_age", 13, 100, 18, "years", "Minimum age of an affiliate creator"),
    _int("creator.pilot.days", 0, 365, 30, "days", "Days a pilot creator stays on the pilot before graduating"),
    _int("creator.pilot.weekly_shoppable_videos", 0, 1000, 5, "videos",
         "Shoppable videos a pilot creator may post a week"),
    _int("creator.pilot.weekly_shoppable_lives", 0, 1000, 3, "LIVEs",
         "Shoppable LIVEs a pilot creator may host a week"),
    _int("creator.pilot.graduation_orders", 0, 100000, 10, "orders",
         "Attributed orders a pilot creator needs, once the pilot's days are over, to graduate"),
    _money("seller.cross_border.min_external_gmv", None,
           "Annual GMV a cross-border seller must show elsewhere; none: no requirement", nullable=True),
    _int("seller.min_age", 16, 100, 18, "years", "Minimum age of a seller or a shop's owners"),
    _int("live.flash_deal.countdown_seconds_min", 1, 3600, 10, "seconds", "Shortest LIVE flash-deal countdown"),
    _int("live.flash_deal.countdown_seconds_max", 1, 3600, 300, "seconds", "Longest LIVE flash-deal countdown"),
    _int("live.flash_deal.max_duration_minutes", 1, 1440, 20, "minutes", "Longest a LIVE flash deal may run"),
    _int("live.flash_deal.unpaid_expiry_minutes", 1, 1440, 5, "minutes",
         "Unpaid flash-deal orders expire, their units back to the deal, after"),
    _int("live.bag.max_products", 1, 1000, 100, "products", "Products a LIVE session's bag may hold"),
    _int("affiliate.commission.rate_lock_days", 0, 365, 30, "days", "Days a commission rate stays locked"),
    _int("affiliate.settlement.hold_days", 0, 365, 15, "days", "Days after delivery before a commission settles"),
    _int("affiliate.commission.min_rate_bps", 1, 10000, 100, "bps", "Lowest commission rate a collaboration offers"),
    _int("affiliate.commission.max_rate_bps", 1, 10000, 8000, "bps", "Highest commission rate a collaboration offers"),
    _int("affiliate.target.min_rate_bps", 1, 10000, 1000, "bps", "Lowest rate of a targeted collaboration"),
    _int("affiliate.target.max_creators", 1, 1000, 50, "creators", "Creators one targeted collaboration invites"),
    _int("affiliate.target.max_products", 1, 1000, 100, "products", "Products one targeted collaboration offers"),
    _int("affiliate.attribution.window_days", 1, 90, 7, "days", "Days a click on a creator's link attributes a sale"),
    PolicyKey("affiliate.statement.period", PolicyType.ENUM, "semi-monthly", None,
              "How often creators' statements close: weekly or semi-monthly", choices=("weekly", "semi-monthly")),
    _money("affiliate.payout.min_amount", {"amount": 2500, "currency": "USD"},
           "Least balance paid out; below it the balance carries over; none: any positive balance", nullable=True),
    _int("affiliate.showcase.max_products", 1, 100000, 2000, "products", "Products a creator's showcase holds"),
    _int("affiliate.showcase.pilot_max_products", 1, 100000, 50, "products",
         "Products a pilot creator's showcase holds"),
    _int("shop.probation.days", 0, 365, 30, "days", "Minimum days a new shop stays on probation"),
    _int("shop.probation.orders", 0, 100000, 500, "orders", "Orders a new shop needs to leave probation"),
    _int("shop.probation.daily_order_cap", 1, 1000000, 200, "orders", "Daily order cap on probation; none: no cap",
         nullable=True),
    _int("finance.fee.referral_bps", 0, 10000, 800, "bps",
         "Referral fee a shop pays on an order, in basis points of what the buyer paid (docs/fees.md)"),
    _money("finance.fee.per_order", None, "Fixed fee a shop pays per paid order; none: no fixed fee", nullable=True),
    PolicyKey("shop.settlement.period", PolicyType.ENUM, "weekly", None,
              "How often shops' statements close: weekly, semi-monthly or monthly",
              choices=("weekly", "semi-monthly", "monthly")),
    _int("shop.settlement.hold_days", 0, 365, 15, "days", "Days after delivery before an order's amounts are payable"),
    _money("shop.payout.min_amount", {"amount": 100, "currency": "USD"},
           "Least balance paid out to a shop; below it the balance carries over; none: any positive balance",
           nullable=True),
    _int("order.unpaid_expiry_minutes", 1, 10080, 30, "minutes", "Unpaid orders expire, stock back, after"),
)

_BY_KEY = {k.key: k for k in KEYS}
assert len(_BY_KEY) == len(KEYS), "policy keys must be unique"


def all_keys() -> list[PolicyKey]:
    return list(KEYS)


def get(key: str) -> PolicyKey:
    try:
        return _BY_KEY[key]
    except KeyError:
        raise NotFound("policy", key) from None


def find(key: str) -> PolicyKey | None:
    """The key, or None for one no longer defined (old versions of it still exist in the database)."""
    return _BY_KEY.get(key)
