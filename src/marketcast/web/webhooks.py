"""Console pages for webhooks: subscriptions (the secret shown once), deliveries with their attempts, redelivery."""

from typing import Annotated

from fastapi import APIRouter, Form, Request

from marketcast.core.errors import DomainError
from marketcast.core.web_deps import UnitOfWork
from marketcast.web.common import ConsoleOperator, Csrf, form_failed, redirect, render
from marketcast.web.listing import PAGE_SIZE, PageParams, PageQuery, listing
from marketcast.webhooks import service as webhooks

router = APIRouter(prefix="/webhooks")


def _list_page(request: Request, uow, actor, page: PageQuery, *, secret=None, status_code=200, **failed):
    paged = webhooks.list_subscriptions(uow, page_size=PAGE_SIZE, page_token=page.token)
    return render(request, "webhooks.html", status_code=status_code, actor=actor,
                  subscriptions=listing(request, paged, page), secret=secret,
                  event_types=webhooks.event_types(), **failed)


@router.get("")
def subscriptions(request: Request, uow: UnitOfWork, actor: ConsoleOperator, page: PageParams):
    return _list_page(request, uow, actor, page)


@router.post("")
def subscribe(request: Request, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf, url: Annotated[str, Form()] = "",
              event_types: Annotated[str, Form()] = "", description: Annotated[str, Form()] = ""):
    form = {"url": url, "event_types": event_types, "description": description}
    try:
        sub, secret = webhooks.create_subscription(
            uow, url=url, event_types=[t for t in event_types.replace(",", " ").split() if t],
            description=description or None, actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, "/webhooks", form)
    # The one answer drawn on the POST itself: the secret is shown here only and is in no later page.
    return _list_page(request, uow, actor, PageQuery(token=None), secret={"id": sub.id, "value": secret},
                      status_code=201)


@router.get("/{subscription_id}")
def deliveries(request: Request, subscription_id: str, uow: UnitOfWork, actor: ConsoleOperator, page: PageParams):
    sub = webhooks.get_subscription(uow, subscription_id=subscription_id)
    rows = listing(request, webhooks.deliveries(uow, subscription_id=sub.id, page_size=PAGE_SIZE,
                                                page_token=page.token), page)
    attempts = webhooks.attempts_of(uow, delivery_ids=[d.id for d in rows])
    return render(request, "webhook.html", actor=actor, sub=sub, deliveries=rows, attempts=attempts)


@router.post("/{subscription_id}/deliveries/{delivery_id}/redeliver")
def redeliver(request: Request, subscription_id: str, delivery_id: str, uow: UnitOfWork, actor: ConsoleOperator,
              _: Csrf):
    try:
        webhooks.redeliver(uow, delivery_id=delivery_id, actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, f"/webhooks/{subscription_id}")
    return redirect(f"/webhooks/{subscription_id}", "Queued for redelivery: the worker sends it on its next run",
                    request)
