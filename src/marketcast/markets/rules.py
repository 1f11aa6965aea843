"""What a market may be and become: codes, launch windows, the status transition table.

Pure functions, no database: the service asks these before it changes anything."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from zoneinfo import available_timezones

from marketcast.core.errors import Conflict, Invalid
from marketcast.core.fields import market_code

STATUSES = ("planned", "live", "postponed", "paused", "closed")

# Which status may follow which. `closed` is final: a market that comes back is a new decision, not an undo.
TRANSITIONS: dict[str, frozenset[str]] = {
    "planned": frozenset({"live", "postponed", "closed"}),
    "postponed": frozenset({"planned", "live", "closed"}),
    "live": frozenset({"paused", "closed"}),
    "paused": frozenset({"live", "closed"}),
    "closed": frozenset(),
}

# Statuses a market may be created in; paused and closed only make sense after a history.
CREATABLE = ("planned", "live", "postponed")
RESCHEDULABLE = frozenset({"planned", "postponed"})

# ISO 3166-1 alpha-2 officially assigned codes, plus UK: exceptionally reserved, and the code the
# platforms themselves use for the United Kingdom market.
_COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO
JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR
MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO
RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV
TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW UK
""".split())

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_NAME = 120


@dataclass(frozen=True)
class LaunchWindow:
    """A launch target as precise as the decision was: a day, a month or a quarter."""

    value: str  # canonical text: 2025-03-15, 2024-07 or 2025-Q1
    kind: str  # day | month | quarter
    start: date  # first day of the window, for sorting and display

    @property
    def end(self) -> date:
        """The last day of the window."""
        if self.kind == "day":
            return self.start
        months = 1 if self.kind == "month" else 3
        year, month = divmod(self.start.month - 1 + months, 12)
        return date(self.start.year + year, month + 1, 1) - timedelta(days=1)


def _bad_window(raw: str, why: str) -> Invalid:
    return Invalid(f"launch window {raw!r} {why}; use a date 2025-03-15, a month 2024-07 or a quarter 2025-Q1",
                   code="invalid_launch_window", field="launch_window")


def parse_window(raw: str | None) -> LaunchWindow | None:
    """The window named by `raw`, or None for no window; Invalid(field=launch_window) for anything else."""
    if raw is None:
        return None
    text = raw.strip()
    if m := _DAY.match(text):
        try:
            start = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise _bad_window(raw, "is not a calendar date") from None
        kind = "day"
    elif m := _MONTH.match(text):
        if not 1 <= int(m[2]) <= 12:
            raise _bad_window(raw, "has no such month")
        start, kind = date(int(m[1]), int(m[2]), 1), "month"
    elif m := _QUARTER.match(text):
        start, kind = date(int(m[1]), 3 * int(m[2]) - 2, 1), "quarter"
    else:
        raise _bad_window(raw, "is not a window")
    if not MIN_YEAR <= start.year <= MAX_YEAR:
        raise _bad_window(raw, f"is outside {MIN_YEAR}..{MAX_YEAR}")
    canonical = {"day": start.isoformat(), "month": f"{start:%Y-%m}", "quarter": f"{start.year}-Q{m[2]}"}[kind]
    return LaunchWindow(value=canonical, kind=kind, start=start)


def is_overdue(status: str, window: str | None, today: date) -> bool:
    """A market still planned after the last day of its launch window: someone owes a decision."""
    parsed = parse_window(window) if window else None
    return status == "planned" and parsed is not None and parsed.end < today


def normalize_code(code: str) -> str:
    return market_code(code)


def check_code(code: str) -> str:
    normalized = normalize_code(code)
    if normalized not in _COUNTRIES:
        raise Invalid(f"{code!r} is not an ISO 3166 alpha-2 country code", code="invalid_market_code", field="code")
    return normalized


def check_name(name: str | None) -> str:
    """The display name, stripped: 1..120 characters, no control characters (a NUL would fail in PostgreSQL,
    a newline or escape would garble every list and log line that shows the name)."""
    text = (name or "").strip()
    if not 1 <= len(text) <= MAX_NAME:
        raise Invalid(f"a market name has 1 to {MAX_NAME} characters", code="invalid_name", field="name")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in text):  # Zl, Zp: line breaks too
        raise Invalid("a market name must not contain control characters", code="invalid_name", field="name")
    return text


def check_currency(currency: str) -> str:
    normalized = (currency or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", normalized):
        raise Invalid(f"{currency!r} is not an ISO 4217 currency code", code="invalid_currency", field="currency")
    return normalized


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> str:
    # Looking the name up in the known set (rather than constructing ZoneInfo) also refuses paths and directories.
    if (name or "").strip() not in _zones():
        raise Invalid(f"{name!r} is not an IANA time zone such as Europe/Madrid", code="invalid_timezone",
                      field="timezone")
    return name.strip()


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}", code="invalid_status", field="status")
    return status


def check_transition(code: str, from_status: str, to_status: str) -> None:
    check_status(to_status)
    if to_status not in TRANSITIONS[from_status]:
        allowed = ", ".join(sorted(TRANSITIONS[from_status])) or "nothing (it is final)"
        raise Conflict(f"market {code} cannot go from {from_status} to {to_status}; from {from_status} it may go to "
                       f"{allowed}", code="invalid_transition", from_status=from_status, to_status=to_status)


def check_reschedulable(code: str, status: str) -> None:
    if status not in RESCHEDULABLE:
        raise Conflict(f"market {code} is {status}: only a planned or postponed market can be rescheduled",
                       code="market_not_reschedulable", market=code, market_status=status)


def describe(status: str, window: str | None) -> str:
    """`planned (launch window 2025-Q1)`: how a market's state reads in messages."""
    return f"{status} (launch window {window})" if window else f"{status} (no launch window)"
