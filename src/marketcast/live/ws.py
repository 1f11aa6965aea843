"""`WS /api/v1/live/sessions/{id}/ws[?after_seq=N]`: a LIVE session's room (ADR 0017).

The first message is `{"type": "snapshot", "seq": N, "data": …}` (the session, its bag, the pinned product, the
deals that have not ended with units left and seconds to open / remaining, the viewer count), or, for a viewer
that reconnects with `after_seq`, every message it missed while the room still keeps them. Then `pin`, `bag`,
`deal`, `purchase`, `viewers` and `ended` (live/rooms.py), in seq order.

Anyone may watch a live or ended session, signed in or not. The host (or an operator of the market)
authenticates to watch a session that is not public yet and so as not to count as a viewer: with an
`Authorization: Bearer` header on the handshake, or, from a browser (which cannot set headers on a WebSocket),
with the first message `{"type": "auth", "token": "…"}` — not a query parameter, which access logs would keep.
A refusal closes the socket with 4000 + the HTTP status and the error code as the reason (4404
`live_session_not_found`, 4401 `invalid_token`); a viewer too far behind is closed with 4008 and reconnects."""

import asyncio
import json
import uuid

from fastapi import APIRouter, Query, WebSocket
from starlette.concurrency import run_in_threadpool

from marketcast.core import realtime
from marketcast.core.auth import service as auth
from marketcast.core.auth.actor import Actor
from marketcast.core.db import unit_of_work
from marketcast.core.errors import DomainError, NotFound, Unauthorized
from marketcast.core.realtime import Subscription
from marketcast.core.web_deps import MaybeUser, UnitOfWork
from marketcast.live import presence, service
from marketcast.live.rooms import room_of

router = APIRouter()  # included by live.api, under its prefix
AUTH_WAIT_SECONDS = 10.0


@router.websocket("/live/sessions/{session_id}/ws")
async def live_room(websocket: WebSocket, session_id: str, uow: UnitOfWork, actor: MaybeUser,
                    after_seq: int | None = Query(None, ge=0)) -> None:
    try:
        host = await run_in_threadpool(_admit, uow, session_id, actor)
    except NotFound as exc:
        if actor is not None:
            await realtime.refuse(websocket, exc)
            return
        host = None  # not public (or not there): only a host may watch, once it has said who it is
    except DomainError as exc:
        await realtime.refuse(websocket, exc)
        return
    await websocket.accept()  # the unit of work the token and the session were read in ends here
    if host is None:
        try:
            actor = await _authenticate(websocket)
            host = await run_in_threadpool(_admit_in_own_unit, session_id, actor)
        except DomainError as exc:
            await realtime.refuse(websocket, exc)
            return
    hub = realtime.hub()
    room = room_of(session_id)
    watcher = {"actor": actor}

    def snapshot() -> dict:
        with unit_of_work(write=False) as session:
            data = service.snapshot(session, session_id=session_id, actor=watcher["actor"])
        return {**data, "viewers": hub.viewers(room)}

    async def later_auth(text: str, subscription: Subscription) -> None:
        # A viewer of a public session may say it is the host later on: it stops counting as a viewer.
        token = _auth_token(text)
        if token is None:
            return
        who = await run_in_threadpool(_actor_of, token)
        if await run_in_threadpool(_admit_in_own_unit, session_id, who):
            watcher["actor"] = who
            subscription.counted = False

    viewer = not host
    if viewer:  # the session's figures count viewers (presence.py), not hosts
        presence.joined(session_id, actor.user_id if actor and actor.user_id else f"anon:{uuid.uuid4().hex}")
    presence.ensure_reporting()  # its loop also tells this process's rooms of the worker's deal moves
    try:
        await realtime.serve_room(websocket, hub, room, after_seq=after_seq, snapshot=snapshot, counted=viewer,
                                  on_text=later_auth)
    finally:
        if viewer:
            presence.left(session_id)


def _admit(session, session_id: str, actor: Actor | None) -> bool:
    """Whether `actor` hosts the session; NotFound when it may not watch it."""
    live = service.get(session, session_id=session_id, actor=actor)
    return service.is_host(live, actor)


def _admit_in_own_unit(session_id: str, actor: Actor) -> bool:
    with unit_of_work(write=False) as session:
        return _admit(session, session_id, actor)


async def _authenticate(websocket: WebSocket) -> Actor:
    try:
        text = await asyncio.wait_for(websocket.receive_text(), AUTH_WAIT_SECONDS)
    except (TimeoutError, KeyError, RuntimeError) as exc:
        raise Unauthorized("send {\"type\": \"auth\", \"token\": …} first", code="unauthenticated") from exc
    token = _auth_token(text)
    if token is None:
        raise Unauthorized("send {\"type\": \"auth\", \"token\": …} first", code="unauthenticated")
    return await run_in_threadpool(_actor_of, token)


def _auth_token(text: str) -> str | None:
    try:
        message = json.loads(text)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("type") != "auth" or not isinstance(message.get("token"), str):
        return None
    return message["token"]


def _actor_of(token: str) -> Actor:
    with unit_of_work(write=False) as session:
        actor = auth.actor_for_token(session, token.strip())
    if actor is None:
        raise Unauthorized("this token is not valid", code="invalid_token")
    return actor
