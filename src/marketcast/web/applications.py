"""Console pages for seller applications: the operator's review queue and a seller's own status."""

from typing import Annotated

from fastapi import APIRouter, Form, Request

from marketcast.core.downloads import attachment
from marketcast.core.errors import DomainError
from marketcast.core.pagination import MAX_PAGE_SIZE
from marketcast.core.web_deps import UnitOfWork
from marketcast.sellers import documents
from marketcast.sellers import service as sellers
from marketcast.web.common import ConsoleOperator, ConsoleUser, Csrf, form_failed, redirect, render
from marketcast.web.listing import PAGE_SIZE, MarketFilter, PageParams, listing

router = APIRouter(prefix="/applications")


@router.get("")
def queue(request: Request, uow: UnitOfWork, actor: ConsoleUser, page: PageParams, market: MarketFilter,
          outcome: str = "", status: str | None = None, shop_type: str = ""):
    # Operators open on the open applications (their queue); a seller sees all of theirs unless they filter.
    status = ("open" if actor.is_operator else "") if status is None else status
    filters = {"market": market, "outcome": outcome, "status": status, "shop_type": shop_type}
    paged = sellers.list_applications(uow, actor=actor, market=market or None, outcome=outcome or None,
                                      status=status or None, shop_type=shop_type or None, page_size=PAGE_SIZE,
                                      page_token=page.token)
    return render(request, "applications.html", actor=actor, rows=listing(request, paged, page, filters),
                  filters=filters)


def _detail(request: Request, uow, actor, application_id: str):
    app = sellers.get_application(uow, application_id, actor=actor)
    docs, _ = documents.list_documents(uow, application_id=app.id, actor=actor, page_size=MAX_PAGE_SIZE)
    return render(request, "application.html", actor=actor, app=app, documents=docs,
                  explanation=sellers.explain(app), history=sellers.decisions(uow, application_id=app.id),
                  records=sellers.external_records(uow, application_id=app.id))


@router.get("/{application_id}")
def detail(request: Request, application_id: str, uow: UnitOfWork, actor: ConsoleUser):
    return _detail(request, uow, actor, application_id)


@router.get("/{application_id}/documents/{document_id}")
def document(application_id: str, document_id: str, uow: UnitOfWork, actor: ConsoleUser):
    doc = documents.get_document(uow, application_id=application_id, document_id=document_id, actor=actor)
    return attachment(documents.path_of(doc), file_name=doc.file_name, content_type=doc.content_type)


@router.post("/{application_id}/approve")
def approve(request: Request, application_id: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
            reason: Annotated[str, Form()] = "", override: Annotated[list[str] | None, Form()] = None):
    try:
        app = sellers.approve(uow, application_id=application_id, reason=reason, override_rules=override or [],
                              actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, f"/applications/{application_id}", {"reason": reason})
    return redirect(f"/applications/{app.id}", f"Approved: shop {app.shop_id} opened on probation", request)


@router.post("/{application_id}/reject")
def reject(request: Request, application_id: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
           reason: Annotated[str, Form()] = ""):
    try:
        app = sellers.reject(uow, application_id=application_id, reason=reason, actor=actor)
    except DomainError as exc:
        return form_failed(request, uow, exc, f"/applications/{application_id}", {"reason": reason})
    return redirect(f"/applications/{app.id}", "Rejected", request)
