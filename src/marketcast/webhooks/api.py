"""Webhook subscriptions, their deliveries, and the outbox events they carry. Operators only:
any operator may read subscriptions and deliveries, and the events of the markets in their scope; only
operators not limited to markets may change subscriptions (the services check `actor.require_market(None)`)."""


from fastapi import FastAPI, Query, Response, status

from marketcast.core.events import EventType
from marketcast.core.openapi import api_router, declare_tag, raises
from marketcast.core.pagination import Page, PageSize, PageToken
from marketcast.core.web_deps import Operator, UnitOfWork
from marketcast.webhooks import service
from marketcast.webhooks.schemas import (
    AttemptOut,
    DeliveryDetail,
    DeliveryOut,
    DeliveryStatus,
    EventOut,
    EventTypeOut,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)

# No prefix: the events list lives at /api/v1/events, beside /api/v1/webhooks.
router = api_router("webhooks", "Subscriptions to event types, signed deliveries and their attempts, redelivery.",
                    prefix="")
declare_tag("events", "The outbox: every event the platform emitted, for operators.")
BASE = "/api/v1/webhooks"



@router.post(BASE, status_code=status.HTTP_201_CREATED, response_model=SubscriptionCreated)
@raises("invalid_url", "invalid_event_type", "unknown_event_type", "market_out_of_scope")
def create_subscription(body: SubscriptionIn, uow: UnitOfWork, actor: Operator):
    """Subscribe a URL to event types. The answer holds the signing secret; it is never shown again."""
    sub, secret = service.create_subscription(uow, url=body.url, event_types=body.event_types,
                                              description=body.description, actor=actor)
    return SubscriptionCreated(**SubscriptionOut.model_validate(sub).model_dump(), secret=secret)


@router.get(BASE, response_model=Page[SubscriptionOut])
def list_subscriptions(uow: UnitOfWork, _: Operator, page_size: PageSize = None, page_token: PageToken = None):
    """Every webhook subscription (operators), in id order; secrets are never shown again."""
    rows, token = service.list_subscriptions(uow, page_size=page_size, page_token=page_token)
    return Page[SubscriptionOut](items=[SubscriptionOut.model_validate(r) for r in rows], next_page_token=token)


@router.get(BASE + "/event-types", response_model=Page[EventTypeOut])
def list_event_types(_: Operator):
    """Every event type a subscription may name, with its payload's JSON Schema (the `data` of the envelope
    `{id, type, occurred_at, data}`). The OpenAPI document lists the same types under `webhooks`."""
    return Page[EventTypeOut](items=[EventTypeOut.of(t) for t in service.event_types()])


@router.get(BASE + "/deliveries/{delivery_id}", response_model=DeliveryDetail)
@raises("delivery_not_found")
def get_delivery(delivery_id: str, uow: UnitOfWork, _: Operator):
    """One delivery of an event to a subscription, with every attempt (status, answer, timing)."""
    delivery = service.get_delivery(uow, delivery_id=delivery_id)
    attempts = service.delivery_attempts(uow, delivery_id=delivery_id)
    return DeliveryDetail(**DeliveryOut.model_validate(delivery).model_dump(),
                          attempt_log=[AttemptOut.model_validate(a) for a in attempts])


@router.post(BASE + "/deliveries/{delivery_id}/redeliver", status_code=status.HTTP_202_ACCEPTED,
             response_model=DeliveryOut)
@raises("delivery_not_found", "webhook_not_found", "delivery_in_progress", "webhook_disabled", "market_out_of_scope")
def redeliver_delivery(delivery_id: str, uow: UnitOfWork, actor: Operator):
    """Send a failed or delivered delivery again, as soon as the worker runs; same event id."""
    return DeliveryOut.model_validate(service.redeliver(uow, delivery_id=delivery_id, actor=actor))


@router.get(BASE + "/{subscription_id}", response_model=SubscriptionOut)
@raises("webhook_not_found")
def get_subscription(subscription_id: str, uow: UnitOfWork, _: Operator):
    """One webhook subscription: URL, event types, status."""
    return SubscriptionOut.model_validate(service.get_subscription(uow, subscription_id=subscription_id))


@router.patch(BASE + "/{subscription_id}", response_model=SubscriptionOut)
@raises("webhook_not_found", "invalid_event_type", "unknown_event_type", "market_out_of_scope")
def update_subscription(subscription_id: str, body: SubscriptionPatch, uow: UnitOfWork, actor: Operator):
    """Change a subscription's event types, or disable / enable it."""
    sub = service.update_subscription(uow, subscription_id=subscription_id, event_types=body.event_types,
                                      status=body.status, actor=actor)
    return SubscriptionOut.model_validate(sub)


@router.delete(BASE + "/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
@raises("webhook_not_found", "market_out_of_scope")
def delete_subscription(subscription_id: str, uow: UnitOfWork, actor: Operator):
    """Delete a subscription with its deliveries and their attempts."""
    service.delete_subscription(uow, subscription_id=subscription_id, actor=actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(BASE + "/{subscription_id}/deliveries", response_model=Page[DeliveryOut])
@raises("webhook_not_found")
def list_deliveries(subscription_id: str, uow: UnitOfWork, _: Operator,
                    status_filter: DeliveryStatus | None = Query(None, alias="status"),
                    page_size: PageSize = None, page_token: PageToken = None):
    """A subscription's deliveries in id order; filter by `status`."""
    rows, token = service.deliveries(uow, subscription_id=subscription_id, status=status_filter, page_size=page_size,
                                     page_token=page_token)
    return Page[DeliveryOut](items=[DeliveryOut.model_validate(r) for r in rows], next_page_token=token)


@router.get("/api/v1/events", response_model=Page[EventOut], tags=["events"])
@raises("market_out_of_scope")
def list_events(uow: UnitOfWork, actor: Operator,
                type: str | None = Query(None, max_length=80, description='exact type, "market.*" or "*"'),
                market: str | None = Query(None, pattern=r"^[A-Za-z]{2}$"),
                page_size: PageSize = None, page_token: PageToken = None):
    """Outbox events in id order. An operator limited to markets sees only those markets' events (403
    `market_out_of_scope` when asking for another market)."""
    rows, token = service.list_events(uow, actor=actor, type=type, market=market, page_size=page_size,
                                      page_token=page_token)
    return Page[EventOut](items=[EventOut.model_validate(r) for r in rows], next_page_token=token)


def document_event_types(app: FastAPI) -> None:
    """Every registered event type as an OpenAPI 3.1 webhook: the POST a subscriber receives."""
    for event in service.event_types():
        _document(app, event)


# The Standard Webhooks headers of every delivery, declared as plain OpenAPI (no per-webhook models to build).
SIGNATURE_HEADERS = [
    {"name": name, "in": "header", "required": True, "description": description, "schema": {"type": kind}}
    for name, kind, description in (
        ("webhook-id", "string", "The event id: the same on every retry, dedupe on it"),
        ("webhook-timestamp", "integer", "Unix seconds when this attempt was signed"),
        ("webhook-signature", "string", "Standard Webhooks signature(s), `v1,<base64>`"),
    )
]


def _document(app: FastAPI, event: EventType) -> None:
    envelope = event.envelope_model()

    def receive(body: envelope):  # type: ignore[valid-type]
        """What a receiver implements; documentation only."""

    # A "default" answer declared, FastAPI adds no 422 of its own: the receiver's validation is not ours.
    app.webhooks.post(event.name, operation_id="on_" + event.name.replace(".", "_"), summary=event.description,
                      description=f"Sent to subscriptions that name `{event.name}` (or a prefix of it, or `*`), "
                                  "signed as Standard Webhooks specifies.",
                      tags=["webhooks"], status_code=204, response_description="Any 2xx answer acknowledges it",
                      responses={"default": {"description": "Any other answer, or none within the timeout, is "
                                             "retried with backoff; 410 Gone disables the subscription"}},
                      openapi_extra={"parameters": [dict(p) for p in SIGNATURE_HEADERS]})(receive)
