"""Who is who, for the affiliate area: creators (through creators.service) and the acting user.

Affiliate work (joining, a showcase, links) needs an affiliate creator: `pilot` or `active`. A creator acts
only on their own profile; operators of the creator's market read everything."""

from sqlalchemy.orm import Session

from marketcast.core.auth.actor import Actor, Role
from marketcast.core.errors import Conflict, Forbidden
from marketcast.creators import service as creators

AFFILIATE_STATUSES = ("pilot", "active")


def creator(session: Session, creator_id: str):
    """The creator (404 creator_not_found)."""
    return creators.find(session, creator_id)


def own_creator(session: Session, *, actor: Actor, market: str):
    """The acting creator's profile in `market` (403 wrong_role / 404 creator_not_found)."""
    actor.require_role(Role.CREATOR, "this")
    for found in creators.creators_of_user(session, user_id=actor.user):
        if found.market == market:
            return found
    raise Conflict(f"you have no creator profile in {market}", code="no_creator_profile", market=market)


def require_self(session: Session, *, creator_id: str, actor: Actor, write: bool = True):
    """The creator `creator_id` if `actor` is that creator (or, to read, an operator of its market)."""
    found = creator(session, creator_id)
    if actor.role == "creator" and found.user_id == actor.user_id:
        return found
    if actor.is_operator and not write:
        actor.require_market(found.market)
        return found
    raise Forbidden(f"creator {creator_id} is not you ({actor.email})", code="not_your_creator")


def require_affiliate(found) -> None:
    """409 creator_not_affiliate unless the creator is pilot or active."""
    if found.affiliate_status not in AFFILIATE_STATUSES:
        raise Conflict(f"creator {found.id} is {found.affiliate_status}; affiliate work needs pilot or active",
                       code="creator_not_affiliate", affiliate_status=found.affiliate_status)
