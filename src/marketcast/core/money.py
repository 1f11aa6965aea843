"""Money is an integer number of minor units and an ISO 4217 currency; never a float."""

from pydantic import BaseModel, ConfigDict, Field

# ISO 4217 active codes (2024), funds and precious metals left out.
ISO_4217 = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP
CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF
IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK
MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS
VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
""".split())


def is_iso_currency(code: str) -> bool:
    return code in ISO_4217


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


def format_money(amount: int, currency: str) -> str:
    """Minor units as a person reads them: 1850 USD -> "18.50 USD" (the CLI's tables, the console)."""
    return str(Money(amount=amount, currency=currency))
