"""Strict input types for the numbers and dates clients send (found in an attack: JSON `true` counted as
quantity 1, "123" was taken for an integer and 0 for a date of birth). Money, quantities, counts and rates are
JSON integers, nothing else; dates are "YYYY-MM-DD" strings; currencies are ISO 4217 codes; market and country
codes are two letters, stored and compared in upper case."""

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, Strict

from marketcast.core.money import is_iso_currency


def no_nul(value: str) -> str:
    """For `AfterValidator`: PostgreSQL text cannot hold a NUL, so refuse it as bad input (422), not a 500."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


# No bool (True is an int in Python), no numeric string, no float: FastAPI hands bodies to Pydantic as Python
# objects, where only strict mode tells an int from these.
WholeNumber = Annotated[int, Strict()]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: object) -> object:
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("a date is a string YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def _currency(value: str) -> str:
    code = value.upper()
    if not is_iso_currency(code):
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return code


Currency = Annotated[str, AfterValidator(_currency)]


def market_code(text: str | None) -> str:
    """A market (or country) code as it is stored and compared: "us " is "US"."""
    return (text or "").strip().upper()


# A market or country code in a body: two letters in either case, handed on in upper case.
MarketCode = Annotated[str, Field(pattern=r"^[A-Za-z]{2}$", description="ISO 3166 alpha-2", examples=["US"]),
                       AfterValidator(market_code)]
