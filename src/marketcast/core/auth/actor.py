"""Who is acting. Passed into services so they can record it and scope what it may touch."""

from dataclasses import dataclass
from enum import StrEnum

from marketcast.core.errors import Forbidden


class Role(StrEnum):
    """What a user is; it decides what they may see and do."""

    OPERATOR = "operator"
    SELLER = "seller"
    CREATOR = "creator"
    BUYER = "buyer"


class SignupRole(StrEnum):
    """The roles anyone may sign up for; operators are made by operators."""

    SELLER = "seller"
    CREATOR = "creator"
    BUYER = "buyer"


@dataclass(frozen=True)
class Actor:
    user_id: str | None
    email: str
    role: str
    markets: tuple[str, ...] | None = None  # None: every market (operators only)

    @property
    def user(self) -> str:
        """The id of the user acting, where only a user can be acting (a request, a console page): every actor
        but SYSTEM, which the scenario and the jobs act as, is one."""
        assert self.user_id is not None, f"{self.email} is not a user"
        return self.user_id

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"

    def shown_person(self, email: str | None) -> str:
        """Who acted, as this actor may see it: operators see each other's emails; anyone else sees their own
        and "Marketcast staff" for an operator's (a seller has no business knowing the reviewer's address)."""
        if not email:
            return ""
        return email if self.is_operator or email == self.email else "Marketcast staff"

    def can_act_in(self, market: str | None) -> bool:
        if self.markets is None:
            return True
        return market is not None and market.upper() in self.markets

    def require_role(self, role: str, doing: str) -> None:
        """403 wrong_role unless the actor has `role`. The API admits by role already (`requires`); services
        check again for the CLI's `--as`, jobs and other callers."""
        if self.role != role:
            raise Forbidden(f"{doing} needs the role {role}; {self.email} is {self.role}", code="wrong_role")

    def require_operator_of(self, market: str | None, doing: str) -> None:
        """An operator who may act in `market` (None: global settings), else 403."""
        self.require_role(Role.OPERATOR, doing)
        self.require_market(market)

    def require_market(self, market: str | None) -> None:
        """An operator limited to some markets may not act elsewhere, nor on global settings."""
        if not self.can_act_in(market):
            scope = ", ".join(self.markets or ())
            where = f"market {market}" if market else "global settings"
            raise Forbidden(f"{self.email} may act only in {scope}, not in {where}", code="market_out_of_scope")


SYSTEM = Actor(user_id=None, email="system", role="operator", markets=None)


def shown_email(email: str | None, viewer: Actor | None) -> str | None:
    """Who made a change, as a reader may see it: operators see the email, anyone else only "operator" (an
    operator's address is not for strangers to collect); the system is always "system"."""
    if email is None or email == SYSTEM.email or (viewer is not None and viewer.is_operator):
        return email
    return "operator"
