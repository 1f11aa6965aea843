"""Which rate a creator holds on a shop's products at a time: the collaborations they joined that cover each
product and still attribute then, reduced to one offer per product (rules.best_offer)."""

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from marketcast.affiliate import rules
from marketcast.affiliate.models import Collaboration, CollaborationMember, CollaborationProduct


def offers_for(session: Session, *, creator_id: str, shop_id: str, product_ids: list[str],
               at: datetime) -> dict[str, rules.Offer]:
    """product id -> the one offer the creator holds on it at `at` (products without one are absent). One query:
    collaborations of all products have no product rows, so the product join is outer."""
    if not product_ids:
        return {}
    C, M, P = Collaboration, CollaborationMember, CollaborationProduct
    rows = session.execute(
        select(C.id, C.kind, C.all_products, M.commission_rate_bps, M.pending_rate_bps, M.pending_from,
               P.product_id)
        .join(M, and_(M.collaboration_id == C.id, M.creator_id == creator_id, M.status == "joined"))
        .outerjoin(P, and_(P.collaboration_id == C.id, P.product_id.in_(product_ids)))
        .where(C.shop_id == shop_id, or_(C.ends_at.is_(None), C.ends_at > at),
               or_(C.all_products.is_(True), P.product_id.is_not(None)))).all()
    found: dict[str, list[rules.Offer]] = {}
    for cid, kind, all_products, rate, pending_rate, pending_from, product_id in rows:
        offer = rules.Offer(cid, kind, rules.member_rate(rate, pending_rate, pending_from, at))
        for pid in (product_ids if all_products else [product_id]):
            found.setdefault(pid, []).append(offer)
    # Each list holds at least one offer, so each product has its best.
    return {pid: best for pid, offers in found.items() if (best := rules.best_offer(offers)) is not None}


def offer_for(session: Session, *, creator_id: str, shop_id: str, product_id: str,
              at: datetime) -> rules.Offer | None:
    return offers_for(session, creator_id=creator_id, shop_id=shop_id, product_ids=[product_id], at=at).get(product_id)
