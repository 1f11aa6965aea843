"""A creator's showcase (products of collaborations they are in, up to a cap; pilots a lower one) and their
shoppable content (videos and posts naming showcase products; pilots a weekly number of videos)."""

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketcast.affiliate import events, offers, people, rules
from marketcast.affiliate.models import ShoppableContent, ShowcaseItem
from marketcast.catalog import service as catalog
from marketcast.core import clock, outbox
from marketcast.core.auth.actor import Actor
from marketcast.core.db import rowcount
from marketcast.core.errors import Conflict, Invalid, NotFound
from marketcast.core.ids import new_id
from marketcast.markets import service as markets
from marketcast.policies import service as policies

CONTENT_KINDS = ("video", "post")


def offered_product(session: Session, creator, product_id: str, *, field: str = "product_id"):
    """The live product, if a collaboration the creator joined offers it now (else 422 / 409)."""
    try:
        product = catalog.get_product(session, product_id)
    except NotFound:
        raise Invalid(f"product {product_id} is not a live product", code="unknown_product", field=field) from None
    if product.market != creator.market:
        raise Invalid(f"product {product_id} is sold in {product.market}, not in {creator.market}",
                      code="product_not_in_market", field=field)
    offer = offers.offer_for(session, creator_id=creator.id, shop_id=product.shop_id, product_id=product.id,
                             at=clock.now())
    if offer is None:
        raise Conflict(f"no collaboration you joined offers product {product_id}", code="product_not_offered",
                       field=field)
    return product, offer


def _cap(session: Session, creator) -> tuple[str, int]:
    key = "affiliate.showcase.pilot_max_products" if creator.affiliate_status == "pilot" else \
        "affiliate.showcase.max_products"
    return key, policies.value(session, key=key, market=creator.market)


def add(session: Session, *, creator_id: str, product_id: str, actor: Actor) -> ShowcaseItem:
    creator = people.require_self(session, creator_id=creator_id, actor=actor)
    people.require_affiliate(creator)
    product, _ = offered_product(session, creator, product_id)
    existing = session.get(ShowcaseItem, (creator.id, product.id))
    if existing is not None:
        return existing
    key, cap = _cap(session, creator)
    held = session.execute(select(func.count()).select_from(ShowcaseItem)
                           .where(ShowcaseItem.creator_id == creator.id)).scalar_one()
    if held >= cap:
        raise Conflict(f"the showcase holds at most {cap} products ({key})", code="showcase_full", policy_key=key,
                       limit=cap)
    item = ShowcaseItem(creator_id=creator.id, product_id=product.id, added_at=clock.now())
    try:
        with session.begin_nested():
            session.add(item)
    except IntegrityError:  # added by a simultaneous request
        won = session.get(ShowcaseItem, (creator.id, product.id))
        assert won is not None, "the insert failed on this key"
        return won
    outbox.emit(session, events.ShowcaseProductAdded(creator_id=creator.id, product_id=product.id,
                                                     market=creator.market), market=creator.market)
    return item


def remove(session: Session, *, creator_id: str, product_id: str, actor: Actor) -> None:
    creator = people.require_self(session, creator_id=creator_id, actor=actor)
    done = session.execute(delete(ShowcaseItem).where(ShowcaseItem.creator_id == creator.id,
                                                      ShowcaseItem.product_id == product_id))
    if rowcount(done) == 0:
        raise NotFound("showcase_product", product_id)


def items(session: Session, *, creator_id: str) -> list[ShowcaseItem]:
    """Anyone may read a showcase: it is the creator's public shop window."""
    people.creator(session, creator_id)
    return list(session.scalars(select(ShowcaseItem).where(ShowcaseItem.creator_id == creator_id)
                                .order_by(ShowcaseItem.added_at, ShowcaseItem.product_id)))


def in_showcase(session: Session, *, creator_id: str, product_ids: list[str]) -> set[str]:
    return set(session.scalars(select(ShowcaseItem.product_id).where(ShowcaseItem.creator_id == creator_id,
                                                                     ShowcaseItem.product_id.in_(product_ids))))


def add_content(session: Session, *, creator_id: str, kind: str, url: str, product_ids: list[str],
                actor: Actor) -> ShoppableContent:
    """Register a video or post selling showcase products. A pilot creator posts at most
    creator.pilot.weekly_shoppable_videos videos a week (Monday to Sunday in the market's timezone)."""
    creator = people.require_self(session, creator_id=creator_id, actor=actor)
    people.require_affiliate(creator)
    if kind not in CONTENT_KINDS:
        raise Invalid(f"kind is one of {', '.join(CONTENT_KINDS)}", field="kind")
    if not url.startswith(("https://", "http://")) or len(url) > 2000:
        raise Invalid("url must be an http(s) URL of at most 2000 characters", code="invalid_url", field="url")
    wanted = list(dict.fromkeys(product_ids))
    if not wanted:
        raise Invalid("shoppable content names at least one product", code="products_required", field="product_ids")
    held = in_showcase(session, creator_id=creator.id, product_ids=wanted)
    for index, pid in enumerate(wanted):
        if pid not in held:
            raise Invalid(f"product {pid} is not in your showcase", code="product_not_in_showcase",
                          field=f"product_ids.{index}")
    now = clock.now()
    if kind == "video" and creator.affiliate_status == "pilot":
        _check_weekly_videos(session, creator, now)
    content = ShoppableContent(id=new_id("cnt"), creator_id=creator.id, kind=kind, url=url, product_ids=wanted,
                               created_at=now)
    session.add(content)
    outbox.emit(session, events.ContentRegistered(content_id=content.id, creator_id=creator.id, kind=kind,
                                                  product_ids=wanted, market=creator.market), market=creator.market)
    return content


def _check_weekly_videos(session: Session, creator, now) -> None:
    key = "creator.pilot.weekly_shoppable_videos"
    limit = policies.value(session, key=key, market=creator.market)
    since = rules.week_start(now, markets.get(session, creator.market).timezone)
    posted = session.scalar(select(func.count()).select_from(ShoppableContent).where(
        ShoppableContent.creator_id == creator.id, ShoppableContent.kind == "video",
        ShoppableContent.created_at >= since))
    if posted >= limit:
        raise Conflict(f"pilot creators post at most {limit} shoppable videos a week ({key}); "
                       f"{posted} since {since.date().isoformat()}", code="pilot_weekly_limit", policy_key=key,
                       limit=limit, week_start=since.isoformat())


def contents(session: Session, *, creator_id: str) -> list[ShoppableContent]:
    people.creator(session, creator_id)
    return list(session.scalars(select(ShoppableContent).where(ShoppableContent.creator_id == creator_id)
                                .order_by(ShoppableContent.id.desc())))
