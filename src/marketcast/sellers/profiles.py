"""Seller profiles (the legal entity and its KYB data), and the role checks every room of sellers shares.

Used by service.py (which re-exports the public names), applications.py and reevaluation.py; it imports
none of them, so the rooms never import each other in a circle."""

import re
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketcast.core import clock, outbox, text
from marketcast.core.auth.actor import Actor, Role
from marketcast.core.errors import Conflict, Forbidden, Invalid, NotFound
from marketcast.core.fields import market_code
from marketcast.core.ids import looks_like_id, new_id
from marketcast.core.pagination import Paged, paginate
from marketcast.sellers.events import SellerCreated
from marketcast.sellers.models import Application, Seller, Shop


def normalize_email(email: str) -> str:
    return email.strip().lower()


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    if not 7 <= len(digits) <= 15:
        raise Invalid("a phone number has 7 to 15 digits (E.164)", code="invalid_phone", field="contact.phone")
    return "+" + digits


def create_seller(session: Session, *, actor: Actor, legal_name: str, entity_type: str, country: str, tax_id: str,
                  beneficial_owners: list[dict[str, Any]], contact_email: str, contact_phone: str) -> Seller:
    actor.require_role(Role.SELLER, "registering a seller")
    if session.scalar(select(Seller.id).where(Seller.owner_user_id == actor.user_id)):
        raise Conflict("this user already has a seller profile", code="seller_exists")
    if sum(o["ownership_bp"] for o in beneficial_owners) > 10000:
        raise Invalid("beneficial owners hold more than 100% together", field="beneficial_owners")
    seller = Seller(id=new_id("sel"), owner_user_id=actor.user_id, legal_name=legal_name, entity_type=entity_type,
                    country=country.upper(), tax_id=tax_id, contact_email=normalize_email(contact_email),
                    contact_phone=normalize_phone(contact_phone), created_at=clock.now(),
                    beneficial_owners=[{"name": o["name"], "date_of_birth": o["date_of_birth"].isoformat(),
                                        "ownership_bp": o["ownership_bp"]} for o in beneficial_owners])
    try:
        with session.begin_nested():  # the unique owner is the real guard when the same user posts twice at once
            session.add(seller)
    except IntegrityError:
        raise Conflict("this user already has a seller profile", code="seller_exists") from None
    outbox.emit(session, SellerCreated(seller_id=seller.id, owner_user_id=seller.owner_user_id,
                                       country=seller.country, entity_type=entity_type))
    return seller


def get_seller(session: Session, seller_id: str) -> Seller:
    seller = session.get(Seller, seller_id) if looks_like_id(seller_id) else None
    if seller is None:
        raise NotFound("seller", seller_id)
    return seller


def seller_of_user(session: Session, user_id: str | None) -> Seller | None:
    return session.scalar(select(Seller).where(Seller.owner_user_id == user_id)) if user_id else None


def view_seller(session: Session, *, seller_id: str, actor: Actor) -> Seller:
    """The seller's KYB data, for the seller themself or an operator; an operator limited to markets only when
    the seller applied for, or has a shop in, one of them (their data is no business of other markets)."""
    seller = get_seller(session, seller_id)
    if actor.is_operator:
        if actor.markets is not None and not _seller_in_markets(session, seller.id, actor.markets):
            raise Forbidden(f"{actor.email} may act only in {', '.join(actor.markets)}; seller {seller.id} has "
                            "no application or shop there", code="market_out_of_scope")
        return seller
    if seller.owner_user_id != actor.user_id:
        raise Forbidden("you may see only your own seller profile", code="not_owner")
    return seller


def _seller_in_markets(session: Session, seller_id: str, markets: tuple[str, ...]) -> bool:
    applied = select(Application.id).where(Application.seller_id == seller_id, Application.market.in_(markets))
    shop = select(Shop.id).where(Shop.seller_id == seller_id, Shop.market.in_(markets))
    return bool(session.scalar(select(exists(applied) | exists(shop))))


def list_sellers(session: Session, *, actor: Actor, q: str | None = None, country: str | None = None,
                 page_size: int | None = None, page_token: str | None = None) -> Paged:
    """Operators find sellers by legal name, contact email or tax id (`q`) and country; an operator limited to
    markets sees the sellers that applied for or have a shop in one of them."""
    actor.require_role(Role.OPERATOR, "listing sellers")
    stmt = select(Seller)
    if actor.markets is not None:
        applied = select(Application.seller_id).where(Application.market.in_(actor.markets))
        stmt = stmt.where(Seller.id.in_(applied.union(select(Shop.seller_id).where(Shop.market.in_(actor.markets)))))
    if q and q.strip():
        like = text.contains_pattern(q)
        stmt = stmt.where(or_(*(column.ilike(like, escape=text.LIKE_ESCAPE)
                                for column in (Seller.legal_name, Seller.contact_email, Seller.tax_id))))
    if country and country.strip():
        stmt = stmt.where(Seller.country == market_code(country))
    return paginate(session, stmt, order_by=[Seller.id], page_size=page_size, page_token=page_token)
