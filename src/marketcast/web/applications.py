"""Console pages for seller applications: the operator's review queue and a seller's own status."""

from typing import Annotated

from fastapi import APIRouter, Form, Request

from marketcast.core.errors import DomainError
from marketcast.core.web_deps import UnitOfWork
from marketcast.sellers import service as sellers
from marketcast.web.common import ConsoleOperator, ConsoleUser, Csrf, redirect, render

router = APIRouter(prefix="/applications")


@router.get("")
def queue(request: Request, uow: UnitOfWork, actor: ConsoleUser, market: str = "", outcome: str = "",
          status: str = "open", shop_type: str = ""):
    rows, _ = sellers.list_applications(uow, actor=actor, market=market or None, outcome=outcome or None,
                                        status=status or None, shop_type=shop_type or None, page_size=200)
    return render(request, "applications.html", actor=actor, rows=rows,
                  filters={"market": market, "outcome": outcome, "status": status, "shop_type": shop_type})


def _detail(request: Request, uow, actor, application_id: str, *, error=None, status_code: int = 200):
    app = sellers.get_application(uow, application_id, actor=actor)
    return render(request, "application.html", status_code=status_code, actor=actor, app=app,
                  explanation=sellers.explain(app), history=sellers.decisions(uow, application_id=app.id),
                  records=sellers.external_records(uow, application_id=app.id), error=error)


@router.get("/{application_id}")
def detail(request: Request, application_id: str, uow: UnitOfWork, actor: ConsoleUser):
    return _detail(request, uow, actor, application_id)


@router.post("/{application_id}/approve")
def approve(request: Request, application_id: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
            reason: Annotated[str, Form()] = "", override: Annotated[list[str] | None, Form()] = None):
    try:
        app = sellers.approve(uow, application_id=application_id, reason=reason, override_rules=override or [],
                              actor=actor)
    except DomainError as exc:
        uow.rollback()
        return _detail(request, uow, actor, application_id, error=exc.detail, status_code=exc.status)
    return redirect(f"/applications/{app.id}", f"Approved: shop {app.shop_id} opened on probation", request)


@router.post("/{application_id}/reject")
def reject(request: Request, application_id: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
           reason: Annotated[str, Form()] = ""):
    try:
        app = sellers.reject(uow, application_id=application_id, reason=reason, actor=actor)
    except DomainError as exc:
        uow.rollback()
        return _detail(request, uow, actor, application_id, error=exc.detail, status_code=exc.status)
    return redirect(f"/applications/{app.id}", "Rejected", request)
