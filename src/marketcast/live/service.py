"""The live area's public face: the API, the CLI, the console and the realtime rooms call
`live.service.<name>`. Sessions, bag and pin live in sessions.py, flash deals in deals.py.

For the rooms (core/realtime, live/ws.py): `snapshot(session, session_id=…)` is what a viewer joining is shown;
`pin`, `add_to_bag`, `remove_from_bag`, `reorder_bag`, `start_deal`, `end_deal` are the host's moves, each
returning the row it changed, so a room can broadcast the new state after the commit."""

from typing import Any

from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth.actor import Actor
from marketcast.live import deals, metrics, rooms, sessions
from marketcast.live.deals import advance, current  # noqa: F401
from marketcast.live.deals import create as create_deal  # noqa: F401
from marketcast.live.deals import end as end_deal  # noqa: F401
from marketcast.live.deals import of_session as deals_of_session  # noqa: F401
from marketcast.live.deals import read as get_deal  # noqa: F401
from marketcast.live.deals import snapshot as deal_snapshot  # noqa: F401
from marketcast.live.deals import start as start_deal  # noqa: F401
from marketcast.live.metrics import session_figures  # noqa: F401
from marketcast.live.models import LiveSession
from marketcast.live.reports import host_period_figures  # noqa: F401  (programs judge on it)
from marketcast.live.sessions import (  # noqa: F401
    add_to_bag,
    bag,
    create,
    get,
    hosted,
    is_host,
    list_sessions,
    pin,
    remove_from_bag,
    reorder_bag,
    start,
)


def end(session: Session, *, session_id: str, actor: Actor) -> LiveSession:
    """End a live session; its deals end with it and their unsold units go back to the SKUs' stock."""
    live = sessions.finish(session, session_id=session_id, actor=actor, action="end")
    deals.end_for_session(session, session_id=live.id)
    metrics.close(session, live.id)
    rooms.ended(session, session_id=live.id, status=live.status)
    return live


def cancel(session: Session, *, session_id: str, actor: Actor) -> LiveSession:
    """Cancel a scheduled session; its deals (none has opened) end and give their allotments back."""
    live = sessions.finish(session, session_id=session_id, actor=actor, action="cancel")
    deals.end_for_session(session, session_id=live.id)
    rooms.ended(session, session_id=live.id, status=live.status)
    return live


def snapshot(session: Session, *, session_id: str, actor: Actor | None = None) -> dict[str, Any]:
    """What a viewer joining the room sees: the session's state, its bag, the pinned product, and each deal that
    has not ended with its units left and seconds to open / remaining (as of now, not of the worker's last run).
    JSON-ready. The room adds its own viewer count and sequence number."""
    live = sessions.get(session, session_id=session_id, actor=actor)
    now = clock.now()
    running = [deals.snapshot(session, deal, now) for deal in deals.current(session, live.id)]
    running = [d for d in running if d["status"] != "ended"]
    return {"session": {"id": live.id, "status": live.status, "title": live.title, "market": live.market,
                        "host": {"kind": live.host_kind, "shop_id": live.shop_id, "creator_id": live.creator_id},
                        "playback_url": live.playback_url,
                        "started_at": live.started_at.isoformat() if live.started_at else None,
                        "ended_at": live.ended_at.isoformat() if live.ended_at else None},
            "bag": [item.product_id for item in sessions.bag(session, live.id)],
            "pinned_product_id": live.pinned_product_id,
            "deal": next((d for d in running if d["status"] in ("open", "sold_out")), running[0] if running else None),
            "deals": running,
            "at": now.isoformat()}
