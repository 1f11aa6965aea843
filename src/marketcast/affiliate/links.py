"""Affiliate links and their clicks, and the attribution of checkout lines to creators.

A line is attributed to the creator the checkout names (`{link_token}` or `{creator_id, source}`), else to
the buyer's last click on that product within affiliate.attribution.window_days (last click wins). Either way
only while a collaboration the creator joined offers the product; the line keeps the rate in force then."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketcast.affiliate import offers, people, rules, showcase
from marketcast.affiliate.models import AffiliateLink, LinkClick
from marketcast.core import clock
from marketcast.core.auth.actor import Actor
from marketcast.core.db import rowcount
from marketcast.core.errors import Forbidden, Invalid, NotFound
from marketcast.core.ids import new_id
from marketcast.policies import service as policies

WINDOW_KEY = "affiliate.attribution.window_days"


def create_link(session: Session, *, creator_id: str, product_id: str, actor: Actor) -> AffiliateLink:
    """The creator's link to a product a collaboration of theirs offers; asking again returns the same link."""
    creator = people.require_self(session, creator_id=creator_id, actor=actor)
    people.require_affiliate(creator)
    product, _ = showcase.offered_product(session, creator, product_id)
    stmt = select(AffiliateLink).where(AffiliateLink.creator_id == creator.id,
                                       AffiliateLink.product_id == product.id)
    existing = session.scalar(stmt)
    if existing is not None:
        return existing
    link = AffiliateLink(token=secrets.token_urlsafe(16), creator_id=creator.id, product_id=product.id,
                         created_at=clock.now())
    try:
        with session.begin_nested():
            session.add(link)
    except IntegrityError:  # the same link made by a simultaneous request
        won = session.scalar(stmt)
        assert won is not None, "the insert failed on this creator and product"
        return won
    return link


def get_link(session: Session, token: str) -> AffiliateLink:
    link = session.get(AffiliateLink, token) if isinstance(token, str) and 0 < len(token) <= 32 else None
    if link is None:
        raise NotFound("link", token)
    return link


def links_of(session: Session, *, creator_id: str, actor: Actor) -> list[AffiliateLink]:
    people.require_self(session, creator_id=creator_id, actor=actor, write=False)
    return list(session.scalars(select(AffiliateLink).where(AffiliateLink.creator_id == creator_id)
                                .order_by(AffiliateLink.created_at)))


def record_click(session: Session, *, token: str, actor: Actor | None = None,
                 visitor_id: str | None = None) -> LinkClick:
    """A click by a signed-in buyer, or by a console visitor known only by a first-party cookie."""
    link = get_link(session, token)
    if actor is not None and actor.role != "buyer":
        raise Forbidden("clicks are recorded for buyers", code="wrong_role")
    if actor is None and not visitor_id:
        raise Invalid("a click needs a buyer or a visitor id", field="visitor_id")
    click = LinkClick(id=new_id("clk"), token=link.token, creator_id=link.creator_id, product_id=link.product_id,
                      buyer_id=actor.user_id if actor else None, visitor_id=None if actor else visitor_id,
                      clicked_at=clock.now())
    session.add(click)
    return click


def claim_visitor_clicks(session: Session, *, visitor_id: str, buyer_id: str) -> int:
    """A visitor signed in as a buyer: their cookie's clicks become theirs."""
    return rowcount(session.execute(update(LinkClick)
                                    .where(LinkClick.visitor_id == visitor_id, LinkClick.buyer_id.is_(None))
                                    .values(buyer_id=buyer_id).execution_options(synchronize_session=False)))


# --- attribution at checkout --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Attribution:
    creator_id: str
    source: str
    collaboration_id: str
    commission_rate_bps: int


def _explicit_creator(session: Session, explicit: dict[str, Any], market: str) -> tuple[str, str]:
    """(creator id, source) of an attribution the checkout names; 422 at its field. A link names one product,
    but the buyer it brought in is the creator's for every line of the basket the creator has an offer on."""
    if explicit.get("link_token"):
        try:
            link = get_link(session, explicit["link_token"])
        except NotFound:
            raise Invalid("no link has this token", code="unknown_link", field="attribution.link_token") from None
        creator_id, source = link.creator_id, "link"
    else:
        # AttributionIn takes a link_token or a creator_id.
        creator_id, source = explicit["creator_id"], explicit.get("source") or "showcase"
        if source not in rules.SOURCES:
            raise Invalid(f"source is one of {', '.join(rules.SOURCES)}", field="attribution.source")
    try:
        found = people.creator(session, creator_id)
    except NotFound:
        raise Invalid(f"creator {creator_id} does not exist", code="unknown_creator",
                      field="attribution.creator_id") from None
    if found.market != market:
        raise Invalid(f"creator {creator_id} sells in {found.market}, not in {market}", code="creator_not_in_market",
                      field="attribution.creator_id")
    return found.id, source


# Built once: every checkout runs it (a statement built anew costs more to build than to run).
_CLICKS = (select(LinkClick.product_id, LinkClick.creator_id, LinkClick.clicked_at)
           .where(LinkClick.buyer_id == bindparam("b_buyer"),
                  LinkClick.product_id.in_(bindparam("b_products", expanding=True)),
                  LinkClick.clicked_at > bindparam("b_from"), LinkClick.clicked_at <= bindparam("b_at"))
           .order_by(LinkClick.clicked_at, LinkClick.id))


def buyers_who_clicked(session: Session, *, buyer_ids: list[str], product_ids: list[str], at: datetime) -> set[str]:
    """The buyers among `buyer_ids` with a click on one of `product_ids` that some market's window still counts
    (one query for a batched checkout's buyers: the others are attributed to nobody)."""
    most_days = policies.key_info(WINDOW_KEY).max
    assert most_days is not None, f"{WINDOW_KEY} is bounded"
    return set(session.scalars(_CLICKED, {"b_buyers": sorted(set(buyer_ids)), "b_products": product_ids,
                                          "b_from": at - timedelta(days=most_days), "b_at": at}))


_CLICKED = (select(LinkClick.buyer_id).distinct()
            .where(LinkClick.buyer_id.in_(bindparam("b_buyers", expanding=True)),
                   LinkClick.product_id.in_(bindparam("b_products", expanding=True)),
                   LinkClick.clicked_at > bindparam("b_from"), LinkClick.clicked_at <= bindparam("b_at")))


def last_clicks(session: Session, *, buyer_id: str, product_ids: list[str], market: str,
                at: datetime) -> dict[str, str]:
    """product id -> the creator of the buyer's last click on it within the window. The first query has no
    policy read, so a buyer who clicked nothing costs the checkout one indexed lookup."""
    most_days = policies.key_info(WINDOW_KEY).max
    assert most_days is not None, f"{WINDOW_KEY} is bounded"
    longest = timedelta(days=most_days)  # no market's window reaches further back
    rows = session.execute(_CLICKS, {"b_buyer": buyer_id, "b_products": list(product_ids), "b_from": at - longest,
                                     "b_at": at}).all()
    if not rows:
        return {}
    days = policies.value(session, key=WINDOW_KEY, market=market, at=at)
    since = at - timedelta(days=days)
    latest: dict[str, str] = {}
    for product_id, creator_id, clicked_at in rows:
        if clicked_at >= since:
            latest[product_id] = creator_id  # ascending order: the last one wins
    return latest


def attribute(session: Session, *, buyer_id: str, market: str, shop_id: str, product_ids: list[str],
              explicit: dict[str, Any] | None, at: datetime) -> dict[str, Attribution]:
    """product id -> the attribution of the checkout's lines of that product (absent: not attributed)."""
    if explicit:
        creator_id, source = _explicit_creator(session, explicit, market)
        wanted = dict.fromkeys(product_ids, creator_id)
        sources = dict.fromkeys(product_ids, source)
    else:
        wanted = last_clicks(session, buyer_id=buyer_id, product_ids=product_ids, market=market, at=at)
        sources = dict.fromkeys(wanted, "link")
    found: dict[str, Attribution] = {}
    for creator_id in sorted(set(wanted.values())):
        if people.creator(session, creator_id).affiliate_status not in people.AFFILIATE_STATUSES:
            continue  # suspended (or no longer eligible) since joining: sells nothing more
        mine = [pid for pid, cid in wanted.items() if cid == creator_id]
        for pid, offer in offers.offers_for(session, creator_id=creator_id, shop_id=shop_id, product_ids=mine,
                                            at=at).items():
            found[pid] = Attribution(creator_id, sources[pid], offer.collaboration_id, offer.rate_bps)
    return found
