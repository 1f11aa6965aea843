"""Strict input types for the numbers and dates clients send (found in an attack: JSON `true` counted as
quantity 1, "123" was taken for an integer and 0 for a date of birth). Money, quantities, counts and rates are
JSON integers, nothing else; dates are "YYYY-MM-DD" strings; currencies are ISO 4217 codes."""

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Strict

from marketcast.core.money import is_iso_currency

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
