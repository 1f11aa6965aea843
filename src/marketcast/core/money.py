"""Money is an integer number of minor units and an ISO 4217 currency; never a float."""

from pydantic import BaseModel, ConfigDict, Field

MINOR_UNITS = {"USD": 2, "EUR": 2, "GBP": 2, "MXN": 2, "JPY": 0, "IDR": 2, "THB": 2, "MYR": 2, "SGD": 2, "PHP": 2,
               "VND": 0, "BRL": 2}


class Money(BaseModel):
    model_config = ConfigDict(frozen=True)

    amount: int = Field(description="Amount in minor units (cents for USD)")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code")

    def __add__(self, other: "Money") -> "Money":
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __str__(self) -> str:
        digits = MINOR_UNITS.get(self.currency, 2)
        if digits == 0:
            return f"{self.amount:,} {self.currency}"
        major, minor = divmod(abs(self.amount), 10**digits)
        sign = "-" if self.amount < 0 else ""
        return f"{sign}{major:,}.{minor:0{digits}d} {self.currency}"
