"""Reading typed form values into what the services take, with the API's own checks and field names: a bad
price or SKU is the same 422 (and `field`) as through the API, shown beside the field."""

import re
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from marketcast.catalog.service import SkuIn
from marketcast.core.errors import Invalid
from marketcast.core.money import MINOR_UNITS

_AMOUNT = re.compile(r"^\d{1,13}(\.\d+)?$")


def minor_units(text: str, currency: str, field: str) -> int:
    """'18.50' in USD -> 1850. Only as many decimals as the currency has; never a float."""
    cleaned = (text or "").strip().replace(",", "")
    digits = MINOR_UNITS.get(currency, 2)
    if not _AMOUNT.match(cleaned):
        raise Invalid(f"{text!r} is not an amount such as 18.50", code="invalid_amount", field=field)
    try:
        value = Decimal(cleaned) * 10**digits
    except InvalidOperation:
        raise Invalid(f"{text!r} is not an amount", code="invalid_amount", field=field) from None
    if value != value.to_integral_value():
        raise Invalid(f"{currency} amounts have {digits} decimals", code="invalid_amount", field=field)
    return int(value)


def whole(text: str, field: str, default: int = 0) -> int:
    cleaned = (text or "").strip()
    if not cleaned:
        return default
    if not (cleaned.isdecimal() and cleaned.isascii() and len(cleaned) < 12):
        raise Invalid(f"{text!r} is not a whole number", field=field)
    return int(cleaned)


def attributes(text: str, field: str) -> dict[str, str]:
    """'size=M, colour=blue' -> {'size': 'M', 'colour': 'blue'}."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise Invalid(f"write attributes as name=value, separated by commas ({part!r})", field=field)
        out[key.strip()] = value.strip()
    return out


def sku(index: int, *, code: str, price: str, stock: str, attrs: str, currency: str) -> SkuIn:
    """One SKU row of a product form, checked by the API's model; errors name `skus.N.<field>`."""
    prefix = f"skus.{index}"
    amount = minor_units(price, currency, f"{prefix}.price")
    try:
        return SkuIn(code=code, price={"amount": amount, "currency": currency},
                     stock=whole(stock, f"{prefix}.stock"), attributes=attributes(attrs, f"{prefix}.attributes"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Invalid(f"{where}: {first['msg']}", field=f"{prefix}.{first['loc'][0]}") from None
