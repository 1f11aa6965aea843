"""Console pages of LIVE: the viewers' list of sessions live now and a session's room (player, pinned product, the
deal's countdown and units left, a buy button), a host's sessions and control panel (bag, reorder, pin, deals,
start and end, figures), and the operators' list. Pages are drawn on the server; `/live/{id}/state` is the same
room as JSON for static/live.js, which keeps an open page current (the room's socket when there is one, else
polling). Every rule is the live area's: a page only shows the service's answer."""

import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.routing import NoMatchFound

from marketcast.affiliate import service as affiliate
from marketcast.catalog import service as catalog
from marketcast.core import clock
from marketcast.core.auth.actor import Actor
from marketcast.core.errors import DomainError, Forbidden, Invalid, NotFound
from marketcast.core.money import format_money as money
from marketcast.core.web_deps import MaybeUser, UnitOfWork
from marketcast.creators import service as creators
from marketcast.live import service as live_service
from marketcast.markets import service as markets
from marketcast.sellers import service as sellers
from marketcast.web import forms
from marketcast.web import live_buy as buying
from marketcast.web.common import ConsoleOperator, ConsoleUser, Csrf, form_failed, redirect, render
from marketcast.web.listing import PAGE_SIZE, MarketFilter, PageParams, listing

router = APIRouter(prefix="/live")
STATUSES = ("scheduled", "live", "ended", "cancelled")
MEDIA = (".mp4", ".webm", ".ogg", ".ogv", ".m3u8", ".mov")  # a URL the browser's <video> plays by itself
POLL_SECONDS = 2  # how often an open page asks for the room's state when no socket carries it


# --- lists ----------------------------------------------------------------------------------------------------

@router.get("")
def live_now(request: Request, uow: UnitOfWork, actor: MaybeUser, page: PageParams, market: MarketFilter):
    """What viewers browse: the sessions live now, of one market or all."""
    paged = live_service.list_sessions(uow, actor=actor, market=market or None, status="live",
                                       page_size=PAGE_SIZE, page_token=page.token)
    return render(request, "live_now.html", actor=actor, sessions=listing(request, paged, page, {"market": market}),
                  markets=[m.code for m in markets.list_markets(uow, status="live", page_size=100)[0]])


@router.get("/hosting")
def hosting(request: Request, uow: UnitOfWork, actor: ConsoleUser, page: PageParams, status: str = ""):
    """A host's own sessions, in every status, and the form to schedule one."""
    paged = live_service.list_sessions(uow, actor=actor, status=status or None, hosted_by_me=True,
                                       page_size=PAGE_SIZE, page_token=page.token)
    start = (clock.now() + timedelta(minutes=10)).replace(second=0, microsecond=0)
    return render(request, "live_hosting.html", actor=actor, hosts=_hosts(uow, actor), statuses=STATUSES,
                  sessions=listing(request, paged, page, {"status": status}),
                  default_start=clock.as_utc(start).strftime("%Y-%m-%dT%H:%M"))


@router.get("/sessions")
def operator_list(request: Request, uow: UnitOfWork, actor: ConsoleOperator, page: PageParams,
                  market: MarketFilter, status: str = ""):
    paged = live_service.list_sessions(uow, actor=actor, market=market or None, status=status or None,
                                       page_size=PAGE_SIZE, page_token=page.token)
    return render(request, "live_sessions.html", actor=actor, statuses=STATUSES,
                  sessions=listing(request, paged, page, {"market": market, "status": status}))


def _hosts(uow, actor: Actor) -> list[tuple[str, str, str]]:
    """(value, label, market) of what the actor may host as: their shops, their creator profiles."""
    shops = [(f"shop:{s.id}", f"{s.name} (shop, {s.market})", s.market) for s in sellers.shops_of(uow, actor=actor)]
    mine = creators.creators_of_user(uow, user_id=actor.user_id) if actor.role == "creator" and actor.user_id else []
    return shops + [(f"creator:{c.id}", f"@{c.handle} (creator, {c.market})", c.market) for c in mine]


@router.post("/sessions")
def create_session(request: Request, uow: UnitOfWork, actor: ConsoleUser, _: Csrf, host: Annotated[str, Form()] = "",
                   title: Annotated[str, Form()] = "", scheduled_start: Annotated[str, Form()] = "",
                   playback_url: Annotated[str, Form()] = ""):
    typed = {"host": host, "title": title, "scheduled_start": scheduled_start, "playback_url": playback_url}
    try:
        chosen = {value: market for value, _, market in _hosts(uow, actor)}
        if host not in chosen:
            raise Invalid("choose one of your shops or creator profiles", field="host")
        kind, host_id = host.split(":", 1)  # one of the values _hosts made
        live = live_service.create(uow, market=chosen[host], title=title, playback_url=playback_url.strip(),
                                   shop_id=host_id if kind == "shop" else None,
                                   creator_id=host_id if kind == "creator" else None,
                                   scheduled_start=_utc_minute(scheduled_start, "scheduled_start"), actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, "/live/hosting", typed)
    return redirect(f"/live/{live.id}/control", f"{live.title} is scheduled: add products, then go live", request)


def _utc_minute(text: str, field: str) -> datetime:
    try:
        return clock.as_utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise Invalid(f"{text!r} is not a date and time such as 2030-01-01T12:00", field=field) from None


# --- the room -------------------------------------------------------------------------------------------------

def socket_path(request: Request, session_id: str) -> str | None:
    """The room's WebSocket (`WS /api/v1/live/sessions/{id}/ws`), when this app serves one. Asked of the router by
    the route's name: the app's top-level routes do not list the routes of the routers it includes."""
    try:
        path = str(request.app.url_path_for("live_room", session_id=session_id))
    except NoMatchFound:
        return None
    return path if path.endswith("/ws") else None


def player(url: str) -> dict[str, str]:
    """A direct media file plays in a <video>; any other stream (a platform's page) is a link out."""
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    return {"kind": "video" if path.endswith(MEDIA) else "link", "url": url}


def state(uow, live, actor: Actor | None, *, host: bool) -> dict[str, Any]:
    """The room as the page shows it (and as /state serves it): the session, the pinned product, the deal a
    viewer can act on, and for the host every deal that has not ended and the figures so far."""
    snap = live_service.snapshot(uow, session_id=live.id, actor=actor)
    pinned = None
    if snap["pinned_product_id"]:
        product = catalog.get_product(uow, snap["pinned_product_id"])
        pinned = {"id": product.id, "title": product.title,
                  "price": f"from {money(product.min_price, product.currency)}"}
    deal = snap["deal"]
    deal = _deal_view(uow, deal) if deal and deal["status"] in ("counting_down", "open", "sold_out") else None
    out: dict[str, Any] = {"status": live.status, "pinned": pinned, "deal": deal, "at": snap["at"]}
    if host:
        out["deals"] = [_deal_view(uow, d) for d in snap["deals"]]
        out["figures"] = buying.figures(uow, live, actor)
    return out


def _deal_view(uow, d: dict[str, Any]) -> dict[str, Any]:
    product = catalog.get_product(uow, d["product_id"])
    price, regular = d["deal_price"], d["regular_price"]
    return {**d, "title": product.title, "price": money(price["amount"], price["currency"]),
            "regular": money(regular["amount"], regular["currency"])}


@router.get("/{session_id}")
def room(request: Request, session_id: str, uow: UnitOfWork, actor: MaybeUser):
    """Public while live and after; before, its host and operators see it (as the API's GET does)."""
    live = live_service.get(uow, session_id=session_id, actor=actor)
    host = live_service.is_host(live, actor)
    return render(request, "live_room.html", actor=actor, live=live, host=host, player=player(live.playback_url),
                  state=state(uow, live, actor, host=False), buy_key=secrets.token_urlsafe(18),
                  order=buying.pending_order(request, uow, live, actor), poll_seconds=POLL_SECONDS,
                  ws_url=socket_path(request, live.id) if live.status == "live" else None)


@router.get("/{session_id}/state")
def room_state(session_id: str, uow: UnitOfWork, actor: MaybeUser, panel: bool = False):
    live = live_service.get(uow, session_id=session_id, actor=actor)
    host = panel and live_service.is_host(live, actor)
    return JSONResponse(state(uow, live, actor, host=host), headers={"Cache-Control": "no-store"})


@router.post("/{session_id}/buy")
async def buy(request: Request, session_id: str, _: Csrf,
              deal_id: Annotated[str, Form()] = "", sku_id: Annotated[str, Form()] = "",
              quantity: Annotated[str, Form()] = "1", key: Annotated[str, Form()] = ""):
    """Through the same admission gate and checkout as `POST /orders` (the line names the deal; the form's key is
    the Idempotency-Key, so a form sent twice places one order), then on to paying it in the room. Async so that
    the gate turns a sold-out deal's buyers away on the event loop, before the sign-in is read or any
    transaction opens; the rest runs on a worker thread."""
    back = f"/live/{session_id}"
    try:
        count = forms.whole(quantity, "quantity", default=1)
        await buying.admit(request, key=key, sku_id=sku_id, deal_id=deal_id, quantity=count)
    except DomainError as exc:
        return form_failed(request, buying.NO_WRITES, exc, back, {"quantity": quantity})
    actor = await run_in_threadpool(buying.buyer, request)
    try:
        order = await run_in_threadpool(lambda: buying.place(request, session_id=session_id, actor=actor, key=key,
                                                             sku_id=sku_id, deal_id=deal_id, quantity=count))
    except DomainError as exc:
        return form_failed(request, buying.NO_WRITES, exc, back, {"quantity": quantity})
    request.session[buying.ORDER_KEY] = {"session_id": session_id, "order_id": order["id"]}
    return redirect(back, f"Order {order['id']} placed at the deal price: pay it below to keep your units", request)


# --- the host's control panel ---------------------------------------------------------------------------------

def _hosted(uow, session_id: str, actor: Actor):
    live = live_service.get(uow, session_id=session_id, actor=actor)
    if not live_service.is_host(live, actor):
        raise Forbidden(f"session {live.id} is not yours ({actor.email})", code="not_your_session")
    return live


def _candidates(uow, live, actor: Actor, in_bag: set[str]) -> list:
    """Products the host might add: the shop's live products, or the creator's showcase."""
    if live.shop_id:
        found = [p for p, _ in catalog.shop_products(uow, shop_id=live.shop_id, actor=actor) if p.status == "live"]
    else:
        shown = affiliate.showcase_items(uow, creator_id=live.creator_id)
        found = [catalog.get_product(uow, item.product_id) for item in shown]
    return [p for p in found if p.id not in in_bag]


@router.get("/{session_id}/control")
def control(request: Request, session_id: str, uow: UnitOfWork, actor: ConsoleUser):
    live = _hosted(uow, session_id, actor)
    bag = [catalog.get_product(uow, item.product_id) for item in live_service.bag(uow, live.id)]
    skus = [(p, s) for p in bag for s in catalog.product_skus(uow, p.id)]
    deals = live_service.deals_of_session(uow, session_id=live.id, actor=actor)
    return render(request, "live_control.html", actor=actor, live=live, bag=bag, skus=skus,
                  candidates=_candidates(uow, live, actor, {p.id for p in bag}),
                  deals=[(d, live_service.deal_snapshot(uow, d)) for d in reversed(deals)],
                  state=state(uow, live, actor, host=True), currency=markets.get(uow, live.market).currency,
                  poll_seconds=POLL_SECONDS, ws_url=socket_path(request, live.id) if live.status == "live" else None)


def _host_action(request: Request, uow, session_id: str, action, done: str, typed: dict | None = None):
    back = f"/live/{session_id}/control"
    try:
        action()
    except DomainError as exc:
        return form_failed(request, uow, exc, back, typed)
    return redirect(back, done, request)


@router.post("/{session_id}/bag")
def bag_add(request: Request, session_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf,
            product_id: Annotated[str, Form()] = ""):
    return _host_action(request, uow, session_id, lambda: live_service.add_to_bag(
        uow, session_id=session_id, product_id=product_id.strip(), actor=actor), "Added to the bag",
        {"product_id": product_id})


@router.post("/{session_id}/bag/{product_id}/{verb}")
def bag_change(request: Request, session_id: str, product_id: str, verb: str, uow: UnitOfWork, actor: ConsoleUser,
               _: Csrf):
    def change():
        if verb == "remove":
            return live_service.remove_from_bag(uow, session_id=session_id, product_id=product_id, actor=actor)
        if verb not in ("up", "down"):
            raise NotFound("action", verb)
        order = [item.product_id for item in live_service.bag(uow, session_id)]
        if product_id not in order:
            raise Invalid(f"product {product_id} is not in the bag", code="product_not_in_bag", field="product_id")
        i = order.index(product_id)
        j = max(0, i - 1) if verb == "up" else min(len(order) - 1, i + 1)
        order[i], order[j] = order[j], order[i]
        return live_service.reorder_bag(uow, session_id=session_id, product_ids=order, actor=actor)

    done = {"remove": "Removed from the bag", "up": "Moved up", "down": "Moved down"}.get(verb, verb)
    return _host_action(request, uow, session_id, change, done)


@router.post("/{session_id}/pin")
def pin(request: Request, session_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf,
        product_id: Annotated[str, Form()] = ""):
    return _host_action(request, uow, session_id, lambda: live_service.pin(
        uow, session_id=session_id, product_id=product_id or None, actor=actor),
        "Pinned: viewers see it now" if product_id else "Unpinned")


@router.post("/{session_id}/deals")
def create_deal(request: Request, session_id: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf,
                sku_id: Annotated[str, Form()] = "", price: Annotated[str, Form(alias="deal_price.amount")] = "",
                allotment: Annotated[str, Form()] = "", per_buyer_limit: Annotated[str, Form()] = "",
                countdown_seconds: Annotated[str, Form()] = "", duration_minutes: Annotated[str, Form()] = "",
                start_now: Annotated[str, Form()] = ""):
    typed = {"sku_id": sku_id, "deal_price.amount": price, "allotment": allotment, "per_buyer_limit": per_buyer_limit,
             "countdown_seconds": countdown_seconds, "duration_minutes": duration_minutes}

    def make():
        live = _hosted(uow, session_id, actor)
        currency = markets.get(uow, live.market).currency
        deal = live_service.create_deal(
            uow, session_id=session_id, sku_id=sku_id, currency=currency, actor=actor, starts_at=None,
            deal_price=forms.minor_units(price, currency, "deal_price.amount"),
            allotment=_positive(allotment, "allotment"), per_buyer_limit=_positive(per_buyer_limit, "per_buyer_limit"),
            countdown_seconds=_positive(countdown_seconds, "countdown_seconds"),
            duration_minutes=_positive(duration_minutes, "duration_minutes"))
        if start_now:
            live_service.start_deal(uow, deal_id=deal.id, actor=actor)

    return _host_action(request, uow, session_id, make,
                        "Deal started: the countdown runs" if start_now else "Deal created: start it when ready", typed)


def _positive(text: str, field: str) -> int:
    value = forms.whole(text, field)
    if value < 1:
        raise Invalid(f"{field} must be at least 1", field=field)
    return value


@router.post("/{session_id}/deals/{deal_id}/{verb}")
def deal_action(request: Request, session_id: str, deal_id: str, verb: str, uow: UnitOfWork, actor: ConsoleUser,
                _: Csrf):
    operation = {"start": live_service.start_deal, "end": live_service.end_deal}.get(verb)
    if operation is None:
        raise NotFound("action", verb)
    done = "Deal started: the countdown runs" if verb == "start" else "Deal ended: unsold units are back in stock"
    return _host_action(request, uow, session_id, lambda: operation(uow, deal_id=deal_id, actor=actor), done)


@router.post("/{session_id}/{verb}")
def session_move(request: Request, session_id: str, verb: str, uow: UnitOfWork, actor: ConsoleUser, _: Csrf):
    operation = {"start": live_service.start, "end": live_service.end, "cancel": live_service.cancel}.get(verb)
    if operation is None:
        raise NotFound("action", verb)
    done = {"start": "You are live", "end": "The LIVE has ended", "cancel": "The LIVE is cancelled"}[verb]
    return _host_action(request, uow, session_id, lambda: operation(uow, session_id=session_id, actor=actor), done)
