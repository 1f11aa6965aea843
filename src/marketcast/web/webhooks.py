"""Console pages for webhooks: subscriptions (the secret shown once), deliveries with their attempts, redelivery."""

from typing import Annotated

from fastapi import APIRouter, Form, Request

from marketcast.core.errors import DomainError
from marketcast.core.web_deps import UnitOfWork
from marketcast.web.common import ConsoleOperator, Csrf, redirect, render
from marketcast.webhooks import service as webhooks

router = APIRouter(prefix="/webhooks")


def _list_page(request: Request, uow, actor, *, error=None, field=None, form=None, secret=None, status_code=200):
    rows, _ = webhooks.list_subscriptions(uow, page_size=200)
    return render(request, "webhooks.html", status_code=status_code, actor=actor, subscriptions=rows, error=error,
                  field=field, form=form or {}, secret=secret, event_types=webhooks.event_types())


@router.get("")
def subscriptions(request: Request, uow: UnitOfWork, actor: ConsoleOperator):
    return _list_page(request, uow, actor)


@router.post("")
def subscribe(request: Request, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf, url: Annotated[str, Form()] = "",
              event_types: Annotated[str, Form()] = "", description: Annotated[str, Form()] = ""):
    form = {"url": url, "event_types": event_types, "description": description}
    try:
        sub, secret = webhooks.create_subscription(
            uow, url=url, event_types=[t for t in event_types.replace(",", " ").split() if t],
            description=description or None, actor=actor)
    except DomainError as exc:
        uow.rollback()
        return _list_page(request, uow, actor, error=exc.detail, field=exc.field, form=form, status_code=exc.status)
    # The secret is shown on this answer only: it is not in any later page.
    return _list_page(request, uow, actor, secret={"id": sub.id, "value": secret}, status_code=201)


def _deliveries_page(request: Request, uow, actor, subscription_id: str, *, error=None, status_code=200):
    sub = webhooks.get_subscription(uow, subscription_id=subscription_id)
    rows, _ = webhooks.deliveries(uow, subscription_id=sub.id, page_size=100)
    attempts = webhooks.attempts_of(uow, delivery_ids=[d.id for d in rows])
    return render(request, "webhook.html", status_code=status_code, actor=actor, sub=sub, deliveries=rows,
                  attempts=attempts, error=error)


@router.get("/{subscription_id}")
def deliveries(request: Request, subscription_id: str, uow: UnitOfWork, actor: ConsoleOperator):
    return _deliveries_page(request, uow, actor, subscription_id)


@router.post("/{subscription_id}/deliveries/{delivery_id}/redeliver")
def redeliver(request: Request, subscription_id: str, delivery_id: str, uow: UnitOfWork, actor: ConsoleOperator,
              _: Csrf):
    try:
        webhooks.redeliver(uow, delivery_id=delivery_id, actor=actor)
    except DomainError as exc:
        uow.rollback()
        return _deliveries_page(request, uow, actor, subscription_id, error=exc.detail, status_code=exc.status)
    return redirect(f"/webhooks/{subscription_id}", "Queued for redelivery: the worker sends it on its next run",
                    request)
