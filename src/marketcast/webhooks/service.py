"""Webhook subscriptions, deliveries and the per-row steps of the delivery worker.

Nothing here commits or talks to the network: `jobs.py` owns the transactions and the HTTP calls,
so no transaction or row lock is ever held while a receiver is being waited on."""

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from marketcast.core import clock, events
from marketcast.core.auth import scope
from marketcast.core.auth.actor import Actor
from marketcast.core.db import upsert_insert
from marketcast.core.errors import Conflict, Forbidden, Invalid, NotFound
from marketcast.core.ids import new_id
from marketcast.core.outbox import OutboxEvent
from marketcast.core.pagination import Paged, paginate
from marketcast.core.settings import get_settings
from marketcast.webhooks import signing, targets
from marketcast.webhooks.models import (
    DELIVERY_STATUSES,
    SUBSCRIPTION_STATUSES,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from marketcast.webhooks.schemas import EVENT_PATTERN

# ---- rules -------------------------------------------------------------------------------------


def check_url(url: str) -> str:
    url = url.strip()
    host = None
    try:
        parts = urlsplit(url)
        # httpx is what will send it: a URL it refuses must be refused here, not fail every delivery later.
        httpx.URL(url)
        host = parts.hostname
    except (ValueError, httpx.InvalidURL):
        pass
    if (not host or not host.isascii() or parts.scheme not in ("http", "https") or len(url) > 2000
            or re.search(r"\s", url)):
        raise Invalid("url must be an absolute http or https URL", code="invalid_url", field="url")
    why = None if targets.private_allowed() else targets.refused_host(host)
    if why:
        raise Invalid(f"url must reach a public address: {why}", code="invalid_url", field="url")
    return url


def check_event_types(event_types: list[str]) -> list[str]:
    """Each entry an event type of the registry, a prefix such as "order.*" that matches at least one, or "*":
    a misspelt type would otherwise be a subscription that silently never receives anything."""
    if not event_types or len(event_types) > 50:
        raise Invalid("event_types needs 1 to 50 entries", field="event_types")
    known = events.names()
    for index, raw in enumerate(event_types):
        pattern = raw.strip()
        if len(pattern) > 80 or not re.match(EVENT_PATTERN, pattern):
            raise Invalid(f'{pattern!r} is not an event type, a prefix such as "market.*", or "*"',
                          code="invalid_event_type", field=f"event_types.{index}")
        if not any(matches([pattern], name) for name in known):
            raise Invalid(f"{pattern!r} matches no event type; GET /api/v1/webhooks/event-types lists them",
                          code="unknown_event_type", field=f"event_types.{index}")
    return list(dict.fromkeys(t.strip() for t in event_types))


def matches(patterns: list[str], event_type: str) -> bool:
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        # "market.*" matches "market.paused" and "market.launch.x" but not "marketing.x".
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def _order_key(row_id: str) -> str:
    """The time-ordered part of an id (ids.new_id), comparable across prefixes."""
    return row_id.partition("_")[2]


def happened_after(event: OutboxEvent, sub: WebhookSubscription) -> bool:
    """Whether `event` occurred after `sub` was created: a subscription never receives older events, even
    those the fan-out had not reached yet. Business times decide; when they are equal (a frozen clock) the
    ids, which sort in creation order, do."""
    return (event.occurred_at, _order_key(event.id)) > (sub.created_at, _order_key(sub.id))


# ---- subscriptions -----------------------------------------------------------------------------


def create_subscription(session: Session, *, url: str, event_types: list[str], description: str | None = None,
                        actor: Actor) -> tuple[WebhookSubscription, str]:
    """The new subscription and its signing secret (the only time the secret is handed out)."""
    actor.require_market(None)
    secret = signing.new_secret()
    sub = WebhookSubscription(id=new_id("whk"), url=check_url(url), event_types=check_event_types(event_types),
                              description=description, secret=secret, status="active", created_at=clock.now(),
                              created_by=actor.email)
    session.add(sub)
    session.flush()
    return sub, secret


def event_types() -> list[events.EventType]:
    """Every event type a subscription may name, in name order."""
    return events.all_types()


def list_subscriptions(session: Session, *, page_size: int | None = None,
                       page_token: str | None = None) -> Paged[WebhookSubscription]:
    return paginate(session, select(WebhookSubscription), order_by=[WebhookSubscription.id], page_size=page_size,
                    page_token=page_token)


def get_subscription(session: Session, *, subscription_id: str) -> WebhookSubscription:
    sub = session.get(WebhookSubscription, subscription_id)
    if sub is None:
        raise NotFound("webhook", subscription_id)
    return sub


def update_subscription(session: Session, *, subscription_id: str, event_types: list[str] | None = None,
                        status: str | None = None, actor: Actor) -> WebhookSubscription:
    actor.require_market(None)
    sub = get_subscription(session, subscription_id=subscription_id)
    if event_types is not None:
        sub.event_types = check_event_types(event_types)
    if status is not None and status != sub.status:
        if status not in SUBSCRIPTION_STATUSES:
            raise Invalid(f"status must be one of {', '.join(SUBSCRIPTION_STATUSES)}", field="status")
        sub.status = status
        sub.disabled_reason = f"disabled by {actor.email}" if status == "disabled" else None
    return sub


def delete_subscription(session: Session, *, subscription_id: str, actor: Actor) -> None:
    actor.require_market(None)
    get_subscription(session, subscription_id=subscription_id)
    # Explicit deletes rather than relying on ON DELETE CASCADE, so both databases behave alike.
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.subscription_id == subscription_id)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id))
    session.execute(delete(WebhookSubscription).where(WebhookSubscription.id == subscription_id))


# ---- deliveries --------------------------------------------------------------------------------


def deliveries(session: Session, *, subscription_id: str, status: str | None = None, page_size: int | None = None,
               page_token: str | None = None) -> Paged[WebhookDelivery]:
    get_subscription(session, subscription_id=subscription_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if status is not None:
        if status not in DELIVERY_STATUSES:
            raise Invalid(f"status must be one of {', '.join(DELIVERY_STATUSES)}", field="status")
        stmt = stmt.where(WebhookDelivery.status == status)
    return paginate(session, stmt, order_by=[WebhookDelivery.id], page_size=page_size, page_token=page_token)


def get_delivery(session: Session, *, delivery_id: str) -> WebhookDelivery:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound("delivery", delivery_id)
    return delivery


def delivery_attempts(session: Session, *, delivery_id: str) -> list[WebhookAttempt]:
    get_delivery(session, delivery_id=delivery_id)
    return list(session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                                .order_by(WebhookAttempt.attempt)))


def attempts_of(session: Session, *, delivery_ids: list[str]) -> dict[str, list[WebhookAttempt]]:
    """The attempts of several deliveries in one query (a page of the delivery log)."""
    found: dict[str, list[WebhookAttempt]] = {d: [] for d in delivery_ids}
    for attempt in session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids))
                                   .order_by(WebhookAttempt.delivery_id, WebhookAttempt.attempt)):
        found[attempt.delivery_id].append(attempt)
    return found


def redeliver(session: Session, *, delivery_id: str, actor: Actor) -> WebhookDelivery:
    """Send a finished delivery again, due now, with the same event id; the retry schedule starts over."""
    actor.require_market(None)
    delivery = get_delivery(session, delivery_id=delivery_id)
    if delivery.status not in ("failed", "delivered"):
        raise Conflict(f"delivery {delivery_id} is {delivery.status}; only failed or delivered ones can be sent again",
                       code="delivery_in_progress")
    sub = get_subscription(session, subscription_id=delivery.subscription_id)
    if sub.status != "active":
        raise Conflict(f"webhook {sub.id} is disabled; enable it first", code="webhook_disabled")
    delivery.status, delivery.next_attempt_at, delivery.schedule_offset = "pending", clock.now(), delivery.attempts
    return delivery


def list_events(session: Session, *, actor: Actor, type: str | None = None, market: str | None = None,
                page_size: int | None = None, page_token: str | None = None) -> tuple[list[OutboxEvent], str | None]:
    """Outbox events; `type` is an exact type, a prefix such as "market.*", or "*".

    An operator limited to markets sees only the events of those markets: global events (no market) may
    carry other markets' news, and asking for a market outside the scope is Forbidden."""
    if not actor.is_operator:  # the API admits only operators already; the CLI's --as is checked here
        raise Forbidden(f"events are for operators; {actor.email} is {actor.role}", code="wrong_role")
    stmt = select(OutboxEvent)
    if market:
        if not re.fullmatch(r"[A-Za-z]{2}", market):
            raise Invalid(f"{market!r} is not a market code", field="market")
    stmt = scope.in_markets(stmt, OutboxEvent.market, actor, market)
    if type and type != "*":
        if type.endswith(".*"):
            stmt = stmt.where(OutboxEvent.type.startswith(type[:-1], autoescape=True))
        else:
            stmt = stmt.where(OutboxEvent.type == type)
    return paginate(session, stmt, order_by=[OutboxEvent.id], page_size=page_size, page_token=page_token)


# ---- worker steps ------------------------------------------------------------------------------


def _insert_ignoring_duplicates(session: Session, rows: list[dict]) -> None:
    stmt = upsert_insert(session, WebhookDelivery.__table__).on_conflict_do_nothing(
        index_elements=["subscription_id", "event_id"])
    session.execute(stmt, rows)


def fan_out_batch(session: Session, *, limit: int = 500) -> int:
    """Create the deliveries for up to `limit` undispatched events and mark them dispatched."""
    batch = list(session.scalars(
        select(OutboxEvent).where(OutboxEvent.dispatched.is_(False)).order_by(OutboxEvent.id).limit(limit)
        .with_for_update(skip_locked=True)))
    if not batch:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        # Waits for subscriptions being created to commit (their INSERT holds ROW EXCLUSIVE), so an event that
        # happened after one was created is never fanned out before that subscription can be seen. SQLite's
        # writers queue (ADR 0003) already orders the two transactions.
        session.execute(text("LOCK TABLE webhook_subscriptions IN SHARE MODE"))
    subs = list(session.scalars(select(WebhookSubscription).where(WebhookSubscription.status == "active")))
    now = clock.now()
    rows = [dict(id=new_id("whd"), subscription_id=sub.id, event_id=event.id, event_type=event.type,
                 status="pending", attempts=0, schedule_offset=0, next_attempt_at=now, created_at=now)
            for event in batch for sub in subs if matches(sub.event_types, event.type) and happened_after(event, sub)]
    if rows:
        # The unique (subscription, event) pair makes a repeated fan-out harmless.
        _insert_ignoring_duplicates(session, rows)
    session.execute(update(OutboxEvent).where(OutboxEvent.id.in_([e.id for e in batch])).values(dispatched=True))
    return len(batch)


@dataclass(frozen=True)
class Claim:
    """What a worker needs to send one delivery after the claiming transaction has committed."""

    delivery_id: str
    lease_token: str
    url: str
    secret: str
    event_id: str
    body: str


def claim_due(session: Session, *, limit: int, lease_seconds: float) -> list[Claim]:
    """Take up to `limit` due deliveries (pending and due, or delivering with an expired lease)."""
    now = clock.now()
    rows = session.execute(
        select(WebhookDelivery, WebhookSubscription, OutboxEvent)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.status.in_(("pending", "delivering")), WebhookDelivery.next_attempt_at <= now,
               WebhookSubscription.status == "active")
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)
        # Two workers on PostgreSQL never take the same row; SQLite serialises writers instead.
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    ).all()
    claims = []
    for delivery, sub, event in rows:
        delivery.status = "delivering"
        delivery.next_attempt_at = now + timedelta(seconds=lease_seconds)
        delivery.lease_token = new_id("lse")
        claims.append(Claim(delivery_id=delivery.id, lease_token=delivery.lease_token, url=sub.url,
                            secret=sub.secret, event_id=event.id, body=signing.body_of(event.envelope())))
    return claims


def _retry_delay(schedule: list[int], attempt_in_round: int) -> float | None:
    if attempt_in_round > len(schedule):
        return None
    base = schedule[attempt_in_round - 1]
    # Jitter spreads retries out so a receiver coming back up is not hit by all of them at once.
    return max(0.0, base + random.uniform(-0.1, 0.1) * base)


def record_attempt(session: Session, *, delivery_id: str, lease_token: str, started_at: datetime, duration_ms: int,
                   status_code: int | None, error: str | None) -> WebhookDelivery | None:
    """Log one attempt and decide what happens next; None when the claim is no longer ours."""
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.status != "delivering" or delivery.lease_token != lease_token:
        return None
    delivery.attempts += 1
    delivery.lease_token = None
    delivery.last_status_code, delivery.last_error = status_code, (error[:500] if error else None)
    session.add(WebhookAttempt(id=new_id("wha"), delivery_id=delivery.id, attempt=delivery.attempts,
                               started_at=started_at, duration_ms=duration_ms, status_code=status_code,
                               error=delivery.last_error))
    now = clock.now()
    if status_code is not None and 200 <= status_code < 300:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        return delivery
    if status_code == 410:
        # 410 Gone is the receiver saying "stop": Standard Webhooks asks senders to disable the endpoint.
        sub = session.get(WebhookSubscription, delivery.subscription_id)
        if sub is not None:
            sub.status, sub.disabled_reason = "disabled", f"receiver answered 410 Gone at {now.isoformat()}"
        delivery.status, delivery.next_attempt_at = "failed", None
        return delivery
    delay = _retry_delay(get_settings().retry_schedule, delivery.attempts - delivery.schedule_offset)
    if delay is None:
        delivery.status, delivery.next_attempt_at = "failed", None
    else:
        delivery.status, delivery.next_attempt_at = "pending", now + timedelta(seconds=delay)
    return delivery
