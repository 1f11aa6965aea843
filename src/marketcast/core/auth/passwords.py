"""What a new password must be, for the API's signup and the CLI's `users create` / `users set-password` alike:
8 to 200 characters, not one of the most used passwords (a short list shipped with the package), and not the
account's own email address or its name part."""

from functools import cache
from pathlib import Path

from marketcast.core.errors import Invalid

MIN_LENGTH, MAX_LENGTH = 8, 200


@cache
def _common() -> frozenset[str]:
    lines = (Path(__file__).with_name("common_passwords.txt").read_text().splitlines())
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def check_new(password: str, *, email: str) -> None:
    """Raise Invalid (code weak_password, field password) when `password` may not be used for `email`."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise Invalid(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters", code="weak_password",
                      field="password")
    lowered, address = password.strip().lower(), email.strip().lower()
    if lowered in _common():
        raise Invalid("this password is among the most used; choose another", code="weak_password",
                      field="password")
    if lowered in {address, address.partition("@")[0]}:
        raise Invalid("a password may not be the email address", code="weak_password", field="password")
