"""Console pages for creators: the operator's list (filters, counts, import), one creator's status and why with
the pilot's progress (suspend, lift, set followers), and a creator's own page."""

import io
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile

from marketcast.affiliate import service as affiliate
from marketcast.core import clock
from marketcast.core.errors import DomainError, Invalid
from marketcast.core.pagination import Paged
from marketcast.core.web_deps import UnitOfWork
from marketcast.creators import imports
from marketcast.creators import service as creators
from marketcast.web.common import ConsoleOperator, ConsoleUser, Csrf, form_failed, redirect, render
from marketcast.web.listing import PAGE_SIZE, MarketFilter, PageParams, PageQuery, listing

router = APIRouter(prefix="/creators")


def _list(request: Request, uow, actor, *, market: str = "", status: str = "", q: str = "",
          page: PageQuery | None = None, report=None):
    page = page or PageQuery(token=None)
    rows, token, counts = creators.list_creators(uow, actor=actor, market=market or None, status=status or None,
                                                 q=q or None, page_size=PAGE_SIZE, page_token=page.token)
    filters = {"market": market, "status": status, "q": q}
    total = counts.get(status, 0) if status else sum(counts.values())  # the counts already match market and q
    return render(request, "creators.html", actor=actor, counts=counts, filters=filters,
                  rows=listing(request, Paged(rows, token), page, filters, path="/creators", total=total),
                  report=report)


@router.get("")
def list_page(request: Request, uow: UnitOfWork, actor: ConsoleUser, page: PageParams, market: MarketFilter,
              status: str = "", q: str = ""):
    if actor.role == "creator":
        own = creators.creators_of_user(uow, user_id=actor.user)
        if len(own) == 1:
            return redirect(f"/creators/{own[0].id}")
    return _list(request, uow, actor, market=market, status=status, q=q, page=page)


@router.post("/import")
def import_file(request: Request, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf, file: UploadFile):
    """The CSV import in the request's transaction: valid rows are written, the others reported by line."""
    written = 0
    rejected: list[imports.Rejected] = []
    try:
        stream = io.TextIOWrapper(file.file, encoding="utf-8-sig", newline="")
        for batch in imports.chunks(imports.read_rows(stream)):
            done, bad = imports.import_chunk(uow, batch, actor=actor)
            written, rejected = written + done, rejected + bad
    except (DomainError, UnicodeDecodeError) as exc:
        uow.rollback()
        refused = exc if isinstance(exc, DomainError) else Invalid("the file is not UTF-8 text", field="file")
        return form_failed(request, uow, refused, "/creators")
    return _list(request, uow, actor, report={"written": written, "rejected": rejected})


def _detail(request: Request, uow, actor, creator_id: str):
    creator, judgement, when = creators.eligibility(uow, creator_id=creator_id, actor=actor)
    progress = creators.pilot_progress(uow, creator=creator)
    if progress is not None:
        progress["orders_attributed"] = affiliate.attributed_orders(uow, creator_id=creator.id)
    return render(request, "creator.html", actor=actor, creator=creator, at=when,
                  judgement=judgement, explanation=creators.explain(judgement.as_json()), progress=progress,
                  history=creators.history(uow, creator_id=creator.id))


@router.get("/{creator_id}")
def detail(request: Request, creator_id: str, uow: UnitOfWork, actor: ConsoleUser):
    return _detail(request, uow, actor, creator_id)


@router.post("/{creator_id}/{verb}")
def act(request: Request, creator_id: str, verb: str, uow: UnitOfWork, actor: ConsoleOperator, _: Csrf,
        reason: Annotated[str, Form()] = "", count: Annotated[str, Form()] = "",
        as_of: Annotated[str, Form()] = ""):
    """Suspend, lift a suspension, or set the follower count the platform reported."""
    try:
        if verb == "suspend":
            creators.suspend(uow, creator_id=creator_id, reason=reason, actor=actor)
            flash = "Suspended"
        elif verb == "unsuspend":
            found = creators.unsuspend(uow, creator_id=creator_id, reason=reason, actor=actor)
            flash = f"Suspension lifted: {found.affiliate_status}"
        elif verb == "followers":
            number = _number(count)
            when = _when(as_of) if as_of else clock.now()
            found = creators.set_followers(uow, creator_id=creator_id, count=number, as_of=when, actor=actor)
            flash = f"Followers set to {number:,}: {found.affiliate_status}"
        else:
            raise Invalid(f"no such action {verb}", field="verb")
    except DomainError as exc:
        return form_failed(request, uow, exc, f"/creators/{creator_id}",
                           {"reason": reason, "count": count, "as_of": as_of})
    return redirect(f"/creators/{creator_id}", flash, request)


def _number(text: str) -> int:
    try:
        return int(text.strip().replace(",", "").replace("_", ""))
    except ValueError:
        raise Invalid(f"{text!r} is not a whole number of followers", code="invalid_followers",
                      field="count") from None


def _when(text: str) -> datetime:
    try:
        return clock.as_utc_input(datetime.fromisoformat(text), "as_of")
    except ValueError:
        raise Invalid("give a date such as 2024-06-01", field="as_of") from None
