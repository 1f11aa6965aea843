"""What a policy value may be, how people type one, and how it reads in a sentence.

Values travel in their JSON form everywhere (API, events, storage): an int, a bool, a string, None,
or money as {"amount": minor units, "currency": "USD"}."""

import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from marketcast.core.errors import Invalid
from marketcast.core.money import MINOR_UNITS, Money
from marketcast.policies.models import PolicyVersion
from marketcast.policies.registry import PolicyKey

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}


def _bad(detail: str) -> Invalid:
    return Invalid(detail, code="invalid_policy_value", field="value")


# No key needs more, and it keeps every value a 64-bit integer in any database or JSON reader.
LARGEST = 10**15


def _check_bounds(pk: PolicyKey, number: int, what: str) -> None:
    if abs(number) > LARGEST:
        raise _bad(f"{pk.key}: {what} is out of range (at most {LARGEST:,})")
    if pk.min is not None and number < pk.min:
        raise _bad(f"{pk.key}: {what} must be at least {pk.min}, got {number}")
    if pk.max is not None and number > pk.max:
        raise _bad(f"{pk.key}: {what} must be at most {pk.max}, got {number}")


def check_value(pk: PolicyKey, value: Any, *, currency: str | None = None) -> Any:
    """The value in its JSON form if it fits `pk`, else Invalid(field="value").

    `currency` is the market's: a market's money threshold in another currency could never be compared."""
    if value is None:
        if not pk.nullable:
            raise _bad(f"{pk.key} cannot be none")
        return None
    if pk.type in ("int", "duration"):
        # bool is an int in Python, but `true` is not a number of followers.
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(f"{pk.key} needs a whole number" + (f" of {pk.unit}" if pk.unit else ""))
        _check_bounds(pk, value, "the value")
        return value
    if pk.type == "bool":
        if not isinstance(value, bool):
            raise _bad(f"{pk.key} needs true or false")
        return value
    if pk.type == "enum":
        if not isinstance(value, str) or value not in (pk.choices or ()):
            raise _bad(f"{pk.key} must be one of {', '.join(pk.choices or ())}")
        return value
    if pk.type == "money":
        if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
            raise _bad(f'{pk.key} needs money as {{"amount": <minor units>, "currency": "USD"}}')
        amount, cur = value["amount"], value["currency"]
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise _bad(f"{pk.key}: amount must be a whole number of minor units")
        if not isinstance(cur, str) or not _CURRENCY.match(cur):
            raise _bad(f"{pk.key}: currency must be an ISO 4217 code such as USD")
        if currency is not None and cur != currency:
            raise _bad(f"{pk.key}: this market uses {currency}, not {cur}")
        _check_bounds(pk, amount, "the amount")
        return {"amount": amount, "currency": cur}
    raise _bad(f"{pk.key} has an unknown type {pk.type}")  # a registry mistake, not the caller's


def parse_text(pk: PolicyKey, text: str) -> Any:
    """What a person typed (CLI, console form) as a JSON value; check_value still decides if it is allowed.

    Money is typed in major units: "2000000 USD", "$2,000,000", "19.99 EUR"."""
    raw = text.strip()
    if raw.lower() in ("none", "null"):
        return None
    if pk.type in ("int", "duration"):
        try:
            return int(raw.replace(",", "").replace("_", ""))
        except ValueError:
            raise _bad(f"{pk.key} needs a whole number, got {text!r}") from None
    if pk.type == "bool":
        lowered = raw.lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        raise _bad(f"{pk.key} needs true or false, got {text!r}")
    if pk.type == "enum":
        return raw
    if pk.type == "money":
        return _parse_money(pk, raw)
    raise _bad(f"{pk.key} has an unknown type {pk.type}")


def _parse_money(pk: PolicyKey, raw: str) -> dict[str, Any]:
    currency = None
    if raw[:1] in _SYMBOLS:
        currency, raw = _SYMBOLS[raw[:1]], raw[1:]
    parts = raw.split()
    if len(parts) == 2 and currency is None:
        raw, currency = parts[0], parts[1].upper()
    elif len(parts) != 1:
        raise _bad(f'{pk.key} needs money such as "2000000 USD" or "$2,000,000"')
    if currency is None:
        raise _bad(f'{pk.key} needs a currency, such as "2000000 USD"')
    try:
        major = Decimal(raw.replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise _bad(f"{pk.key}: {raw!r} is not an amount") from None
    if not major.is_finite() or abs(major) > LARGEST:
        raise _bad(f"{pk.key}: {raw!r} is not an amount we can hold")
    minor = major * (10 ** MINOR_UNITS.get(currency, 2))
    if minor != minor.to_integral_value():
        raise _bad(f"{pk.key}: {raw} {currency} has more decimals than {currency} allows")
    return {"amount": int(minor), "currency": currency}


def format_value(pk: PolicyKey, value: Any, *, unit: bool = True) -> str:
    """A value as words: "1000 followers", "2,000,000.00 USD", "none (no requirement)"."""
    if value is None:
        return "none (no requirement)" if unit else "none"
    if pk.type == "money":
        return str(Money(**value))
    if pk.type == "bool":
        return "yes" if value else "no"
    if pk.type == "duration":
        return f"{value} seconds" if unit else str(value)
    if unit and pk.unit:
        return f"{value} {pk.unit}"
    return str(value)


def format_when(at: datetime) -> str:
    """A date alone when the time is midnight UTC (how policy changes are usually set), else date and time."""
    if (at.hour, at.minute, at.second, at.microsecond) == (0, 0, 0, 0):
        return at.strftime("%Y-%m-%d")
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


# Which version wins. These work on versions already loaded (live ones of one key, for one market
# and the globals), so a page that resolves every key needs one query, not one per key.

def pick(versions: Iterable[PolicyVersion], market: str | None, at: datetime, *,
         before: bool = False) -> PolicyVersion | None:
    """The version in force at `at` (or just before it): the market's latest, else the latest global."""
    def latest(scope: str | None) -> PolicyVersion | None:
        found = [v for v in versions if v.market == scope and v.withdrawn_at is None
                 and (v.effective_from < at if before else v.effective_from <= at)]
        return max(found, key=lambda v: (v.effective_from, v.id)) if found else None

    return (latest(market) if market is not None else None) or latest(None)


def next_change(versions: list[PolicyVersion], market: str | None, at: datetime) -> PolicyVersion | None:
    """The next version that will replace what is in force at `at` for this market.

    A future global version changes nothing for a market that has its own version by then,
    so each future instant is resolved rather than taking the first future row."""
    current = pick(versions, market, at)
    instants = sorted({v.effective_from for v in versions if v.effective_from > at and v.withdrawn_at is None
                       and v.market in (market, None)})
    for instant in instants:
        winner = pick(versions, market, instant)
        if winner is not None and (current is None or winner.id != current.id):
            return winner
    return None


def status_of(version: PolicyVersion, *, in_force_id: str | None, at: datetime) -> str:
    if version.withdrawn_at is not None:
        return "withdrawn"
    if version.effective_from > at:
        return "scheduled"
    return "in_force" if version.id == in_force_id else "superseded"
