"""The affiliate area over HTTP: collaborations (shops), joining, showcases, links and clicks (creators and
buyers), commissions and statements (creators, shops, operators)."""

from typing import Annotated

from fastapi import Depends, Query, Request, Response, status

from marketcast.affiliate import service
from marketcast.affiliate.schemas import (
    AdjustmentOut,
    ClickOut,
    CollaborationIn,
    CollaborationKind,
    CollaborationOut,
    CommissionOut,
    CommissionStatus,
    ContentIn,
    ContentOut,
    EarningsOut,
    LinkOut,
    MembershipOut,
    MemberStatus,
    OwedOut,
    RateIn,
    ReasonIn,
    ShowcaseItemOut,
    ShowcaseProductIn,
    StatementDetailOut,
    StatementOut,
)
from marketcast.core.auth.actor import Actor
from marketcast.core.money import Money
from marketcast.core.openapi import REASON_CODES, api_router, raises
from marketcast.core.pagination import Page, PageSize, PageToken
from marketcast.core.web_deps import AnyUser, Operator, UnitOfWork, requires

router = api_router("affiliate", "Collaborations (open and targeted) between shops and creators, membership, "
                    "showcases, shoppable content, links and attribution, commissions and statements.")
Creator = Annotated[Actor, Depends(requires("creator"))]
Buyer = Annotated[Actor, Depends(requires("buyer"))]
Seller = Annotated[Actor, Depends(requires("seller", "operator"))]


def _out(uow, collab, conflicts=()) -> CollaborationOut:
    return CollaborationOut.of(collab, service.product_ids_of(uow, collab.id), conflicts)


def link_out(request: Request, link) -> LinkOut:
    return LinkOut(token=link.token, url=str(request.url_for("follow_link", token=link.token)),
                   creator_id=link.creator_id, product_id=link.product_id, created_at=link.created_at)


# --- collaborations -----------------------------------------------------------------------------------------------

@router.post("/shops/{shop_id}/collaborations", status_code=status.HTTP_201_CREATED,
             response_model=CollaborationOut)
@raises("shop_not_found", "not_owner", "market_out_of_scope", "shop_cannot_sell", "market_not_live",
        "products_required", "ends_in_past", "rate_out_of_bounds", "unknown_product", "product_not_on_sale",
        "creators_required", "too_many_creators", "too_many_products", "no_invites_made")
def create_collaboration(shop_id: str, body: CollaborationIn, uow: UnitOfWork, actor: Seller):
    """Open (creators join) or targeted (invited creators accept). The rate is within
    affiliate.commission.min_rate_bps..max_rate_bps (targeted: from affiliate.target.min_rate_bps); a targeted
    one invites up to affiliate.target.max_creators creators on up to affiliate.target.max_products products and
    lists in `conflicts` every invite it could not make (creator_ineligible, creator_not_in_market,
    product_not_live, …); the others are made."""
    collab, conflicts = service.create(
        uow, shop_id=shop_id, kind=body.kind, commission_rate_bps=body.commission_rate_bps, actor=actor,
        product_ids=body.product_ids, all_products=body.all_products, requires_approval=body.requires_approval,
        creator_ids=body.creator_ids, ends_at=body.ends_at, message=body.message, name=body.name)
    return _out(uow, collab, conflicts)


@router.get("/shops/{shop_id}/collaborations", response_model=list[CollaborationOut])
@raises("shop_not_found", "not_owner", "market_out_of_scope")
def list_shop_collaborations(shop_id: str, uow: UnitOfWork, actor: Seller):
    """The shop's collaborations, open and targeted, ended ones too (the shop's owner, operators of its market)."""
    return [_out(uow, c) for c in service.of_shop(uow, shop_id=shop_id, actor=actor)]


@router.get("/collaborations", response_model=Page[CollaborationOut])
def browse_collaborations(uow: UnitOfWork, market: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
                          q: Annotated[str | None, Query(max_length=100)] = None,
                          min_rate_bps: Annotated[int | None, Query(ge=0, le=10000)] = None,
                          kind: CollaborationKind = CollaborationKind.OPEN, page_size: PageSize = None,
                          page_token: PageToken = None):
    """Active collaborations creators can browse, by market, text (name and message) and least rate."""
    rows, token = service.browse(uow, market=market, q=q, min_rate_bps=min_rate_bps, kind=kind,
                                 page_size=page_size, page_token=page_token)
    return Page[CollaborationOut](items=[_out(uow, c) for c in rows], next_page_token=token)


@router.get("/collaborations/{collaboration_id}", response_model=CollaborationOut)
@raises("collaboration_not_found")
def get_collaboration(collaboration_id: str, uow: UnitOfWork, actor: AnyUser):
    """One collaboration: kind, rate, products, dates. Any signed-in user."""
    return _out(uow, service.get_collaboration(uow, collaboration_id))


@router.patch("/collaborations/{collaboration_id}", response_model=CollaborationOut)
@raises("collaboration_not_found", "shop_not_found", "not_owner", "market_out_of_scope", "collaboration_ended",
        "rate_out_of_bounds")
def change_collaboration_rate(collaboration_id: str, body: RateIn, uow: UnitOfWork, actor: Seller):
    """A new rate: an increase applies to members at once; a decrease waits until each joined member's rate
    lock ends (affiliate.commission.rate_lock_days), with an event now and a reminder 2 days before."""
    return _out(uow, service.change_rate(uow, collaboration_id=collaboration_id,
                                         commission_rate_bps=body.commission_rate_bps, actor=actor))


@router.post("/collaborations/{collaboration_id}/end", response_model=CollaborationOut)
@raises("collaboration_not_found", "shop_not_found", "not_owner", "market_out_of_scope", "collaboration_ended")
def end_collaboration(collaboration_id: str, uow: UnitOfWork, actor: Seller):
    """New sales stop being attributed from the next day in the market's timezone; past ones keep commission."""
    return _out(uow, service.end(uow, collaboration_id=collaboration_id, actor=actor))


@router.get("/collaborations/{collaboration_id}/members", response_model=list[MembershipOut])
@raises("collaboration_not_found", "shop_not_found", "not_owner", "market_out_of_scope")
def list_collaboration_members(collaboration_id: str, uow: UnitOfWork, actor: Seller):
    """The collaboration's members with their locked rates (the shop's owner, operators of its market)."""
    return service.members(uow, collaboration_id=collaboration_id, actor=actor)


@router.post("/collaborations/{collaboration_id}/join", response_model=MembershipOut)
@raises("collaboration_not_found", "wrong_collaboration_kind", "collaboration_ended", "no_creator_profile",
        "creator_not_affiliate", "already_member")
def join_collaboration(collaboration_id: str, uow: UnitOfWork, actor: Creator):
    """An affiliate creator joins an open collaboration: `joined` with the rate locked until `locked_until`, or
    `pending_approval` when the shop approves each creator."""
    return service.join(uow, collaboration_id=collaboration_id, actor=actor)


@router.post("/collaborations/{collaboration_id}/accept", response_model=MembershipOut)
@raises("collaboration_not_found", "wrong_collaboration_kind", "collaboration_ended", "no_creator_profile",
        "creator_not_affiliate", "not_invited", "already_member")
def accept_invitation(collaboration_id: str, uow: UnitOfWork, actor: Creator):
    """An invited creator accepts a targeted collaboration."""
    return service.accept(uow, collaboration_id=collaboration_id, actor=actor)


@router.post("/collaborations/{collaboration_id}/members/{creator_id}/approve", response_model=MembershipOut)
@raises("collaboration_not_found", "shop_not_found", "not_owner", "market_out_of_scope", "member_not_found",
        "not_pending_approval")
def approve_member(collaboration_id: str, creator_id: str, uow: UnitOfWork, actor: Seller):
    """The shop's owner approves a creator who asked to join a collaboration that requires approval."""
    return service.approve(uow, collaboration_id=collaboration_id, creator_id=creator_id, actor=actor)


@router.get("/creators/{creator_id}/collaborations", response_model=list[MembershipOut])
@raises("creator_not_found", "market_out_of_scope", "not_your_creator")
def list_creator_collaborations(creator_id: str, uow: UnitOfWork, actor: AnyUser, status: MemberStatus | None = None):
    """The creator's invitations (status=invited), requests and collaborations joined."""
    return [m for m, _ in service.collaborations_of_creator(uow, creator_id=creator_id, actor=actor, status=status)]


# --- showcase, content, links ---------------------------------------------------------------------------------

@router.post("/creators/{creator_id}/showcase", status_code=status.HTTP_201_CREATED, response_model=ShowcaseItemOut)
@raises("creator_not_found", "market_out_of_scope", "not_your_creator", "creator_not_affiliate",
        "unknown_product", "product_not_in_market", "product_not_offered", "showcase_full")
def add_to_showcase(creator_id: str, body: ShowcaseProductIn, uow: UnitOfWork, actor: Creator):
    """A product of a collaboration the creator joined; at most affiliate.showcase.max_products
    (pilot creators: affiliate.showcase.pilot_max_products), 409 showcase_full naming the policy."""
    return service.add_to_showcase(uow, creator_id=creator_id, product_id=body.product_id, actor=actor)


@router.delete("/creators/{creator_id}/showcase/{product_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises("creator_not_found", "market_out_of_scope", "not_your_creator", "showcase_product_not_found")
def remove_from_showcase(creator_id: str, product_id: str, uow: UnitOfWork, actor: Creator):
    """The creator takes a product off their showcase."""
    service.remove_from_showcase(uow, creator_id=creator_id, product_id=product_id, actor=actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/creators/{creator_id}/showcase", response_model=list[ShowcaseItemOut])
@raises("creator_not_found")
def get_showcase(creator_id: str, uow: UnitOfWork):
    """The products on a creator's showcase. Public."""
    return service.showcase_items(uow, creator_id=creator_id)


@router.post("/creators/{creator_id}/contents", status_code=status.HTTP_201_CREATED, response_model=ContentOut)
@raises("creator_not_found", "market_out_of_scope", "not_your_creator", "creator_not_affiliate", "invalid_url",
        "products_required", "product_not_in_showcase", "pilot_weekly_limit")
def add_content(creator_id: str, body: ContentIn, uow: UnitOfWork, actor: Creator):
    """A shoppable video or post selling showcase products. Pilot creators: at most
    creator.pilot.weekly_shoppable_videos videos a week (409 pilot_weekly_limit naming the policy)."""
    return service.add_content(uow, creator_id=creator_id, kind=body.kind, url=body.url,
                               product_ids=body.product_ids, actor=actor)


@router.get("/creators/{creator_id}/contents", response_model=list[ContentOut])
@raises("creator_not_found")
def list_contents(creator_id: str, uow: UnitOfWork):
    """A creator's shoppable videos and posts with the products they name. Public."""
    return service.contents(uow, creator_id=creator_id)


@router.post("/creators/{creator_id}/links", status_code=status.HTTP_201_CREATED, response_model=LinkOut)
@raises("creator_not_found", "market_out_of_scope", "not_your_creator", "creator_not_affiliate",
        "unknown_product", "product_not_in_market", "product_not_offered")
def create_link(creator_id: str, body: ShowcaseProductIn, request: Request, uow: UnitOfWork, actor: Creator):
    """The creator's link to a product a collaboration of theirs offers (asking again gives the same link)."""
    return link_out(request, service.create_link(uow, creator_id=creator_id, product_id=body.product_id,
                                                 actor=actor))


@router.get("/creators/{creator_id}/links", response_model=list[LinkOut])
@raises("creator_not_found", "market_out_of_scope", "not_your_creator")
def list_links(creator_id: str, request: Request, uow: UnitOfWork, actor: AnyUser):
    """The creator's affiliate links (the creator, operators of its market)."""
    return [link_out(request, x) for x in service.links_of(uow, creator_id=creator_id, actor=actor)]


@router.post("/links/{token}/clicks", status_code=status.HTTP_201_CREATED, response_model=ClickOut)
@raises("link_not_found")
def record_click(token: str, uow: UnitOfWork, actor: Buyer):
    """The buyer followed the link: their checkouts of its product within affiliate.attribution.window_days are
    attributed to its creator (the last click wins)."""
    return service.record_click(uow, token=token, actor=actor)


# --- commissions and statements -------------------------------------------------------------------------------

@router.get("/creators/{creator_id}/commissions", response_model=Page[CommissionOut])
@raises("creator_not_found", "market_out_of_scope", "not_your_creator")
def list_creator_commissions(creator_id: str, uow: UnitOfWork, actor: AnyUser, status: CommissionStatus | None = None,
                        page_size: PageSize = None, page_token: PageToken = None):
    """The creator's commissions, filtered by `status` (the creator, operators of its market)."""
    rows, token = service.commissions_of_creator(uow, creator_id=creator_id, actor=actor, status=status,
                                                 page_size=page_size, page_token=page_token)
    return Page[CommissionOut](items=[CommissionOut.of(c) for c in rows], next_page_token=token)


@router.get("/commissions", response_model=Page[CommissionOut])
@raises("market_out_of_scope")
def list_commissions(uow: UnitOfWork, actor: Operator,
                     market: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
                     status: CommissionStatus | None = None,
                     creator_id: Annotated[str | None, Query(max_length=32)] = None,
                     page_size: PageSize = None, page_token: PageToken = None):
    """Operators: commissions of their markets."""
    rows, token = service.list_for_operator(uow, actor=actor, market=market, status=status, creator_id=creator_id,
                                            page_size=page_size, page_token=page_token)
    return Page[CommissionOut](items=[CommissionOut.of(c) for c in rows], next_page_token=token)


@router.post("/commissions/{commission_id}/freeze", response_model=CommissionOut)
@raises(*REASON_CODES, "commission_not_found", "market_out_of_scope", "commission_not_freezable")
def freeze_commission(commission_id: str, body: ReasonIn, uow: UnitOfWork, actor: Operator):
    """Suspected fraud: held out of settlement until unfrozen."""
    return CommissionOut.of(service.freeze(uow, commission_id=commission_id, reason=body.reason, actor=actor))


@router.post("/commissions/{commission_id}/unfreeze", response_model=CommissionOut)
@raises(*REASON_CODES, "commission_not_found", "market_out_of_scope", "commission_not_frozen")
def unfreeze_commission(commission_id: str, body: ReasonIn, uow: UnitOfWork, actor: Operator):
    """Operators of its market lift a freeze, with a reason; the commission goes back to its course."""
    return CommissionOut.of(service.unfreeze(uow, commission_id=commission_id, reason=body.reason, actor=actor))


@router.get("/shops/{shop_id}/affiliate-orders", response_model=Page[CommissionOut])
@raises("shop_not_found", "not_owner", "market_out_of_scope")
def list_shop_affiliate_orders(shop_id: str, uow: UnitOfWork, actor: Seller, page_size: PageSize = None,
                          page_token: PageToken = None):
    """The shop's order lines sold through creators, each with its commission."""
    rows, token = service.commissions_of_shop(uow, shop_id=shop_id, actor=actor, page_size=page_size,
                                              page_token=page_token)
    return Page[CommissionOut](items=[CommissionOut.of(c) for c in rows], next_page_token=token)


@router.get("/shops/{shop_id}/commission-owed", response_model=OwedOut)
@raises("shop_not_found", "not_owner", "market_out_of_scope")
def get_shop_commission_owed(shop_id: str, uow: UnitOfWork, actor: Seller):
    """Commission the shop owes creators, by currency and status (pending, settleable, frozen, settled)."""
    return OwedOut(shop_id=shop_id, owed=service.owed_by_shop(uow, shop_id=shop_id, actor=actor))


@router.get("/creators/{creator_id}/earnings", response_model=EarningsOut)
@raises("creator_not_found", "market_out_of_scope", "not_your_creator")
def get_earnings(creator_id: str, uow: UnitOfWork, actor: AnyUser):
    """The creator's books: what they earned, what refunds took back, what was paid, carried, not yet stated."""
    return EarningsOut(creator_id=creator_id, **service.earnings(uow, creator_id=creator_id, actor=actor))


@router.get("/creators/{creator_id}/statements", response_model=Page[StatementOut])
@raises("creator_not_found", "market_out_of_scope", "not_your_creator")
def list_statements(creator_id: str, uow: UnitOfWork, actor: AnyUser, page_size: PageSize = None,
               page_token: PageToken = None):
    """The creator's closed statements, newest last (the creator, operators of its market)."""
    rows, token = service.statements_of_creator(uow, creator_id=creator_id, actor=actor, page_size=page_size,
                                                page_token=page_token)
    return Page[StatementOut](items=[StatementOut.of(s) for s in rows], next_page_token=token)


@router.get("/creators/{creator_id}/statements/{statement_id}", response_model=StatementDetailOut)
@raises("creator_not_found", "market_out_of_scope", "not_your_creator", "statement_not_found")
def get_statement(creator_id: str, statement_id: str, uow: UnitOfWork, actor: AnyUser):
    """A statement: total = its commission lines + adjustments; paid_out + carried_out = carried_in + total."""
    found, lines, adjustments, payout = service.detail(uow, creator_id=creator_id, statement_id=statement_id,
                                                       actor=actor)
    return StatementDetailOut(
        **StatementOut.of(found).model_dump(), lines=[CommissionOut.of(c) for c in lines],
        adjustments=[AdjustmentOut(id=a.id, commission_id=a.commission_id, reason=a.reason, created_at=a.created_at,
                                   amount=Money(amount=a.amount, currency=a.currency)) for a in adjustments],
        payout=Money(amount=payout.amount, currency=payout.currency) if payout else None)
