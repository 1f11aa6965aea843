"""Sellers and shop applications over HTTP. Sellers apply and see their own; operators review their markets."""

from typing import Annotated

from fastapi import Depends, Query, Request, Response, status
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from marketcast.core.auth.actor import Actor
from marketcast.core.chunks import commit_each
from marketcast.core.db import unit_of_work
from marketcast.core.downloads import attachment
from marketcast.core.errors import Invalid
from marketcast.core.openapi import REASON_CODES, api_router, raises
from marketcast.core.pagination import Page, PageSize, PageToken
from marketcast.core.web_deps import AnyUser, Operator, UnitOfWork, requires_own_session
from marketcast.sellers import documents, service
from marketcast.sellers.schemas import (
    ApplicationIn,
    ApplicationOut,
    ApplicationOutcome,
    ApplicationStatus,
    ApplicationSummary,
    ApproveIn,
    DocumentOut,
    DocumentType,
    ExplanationOut,
    ReevaluateIn,
    ReevaluateOut,
    RejectIn,
    SellerIn,
    SellerOut,
    ShopHistoryLineOut,
    ShopOut,
    ShopReasonIn,
    ShopStatus,
    ShopType,
    SimulateIn,
    SimulateOut,
)

router = api_router("sellers", "Seller profiles (KYB), shop applications judged against the policies in force, "
                    "review, documents, re-evaluation and simulation.")


def seller_out(seller) -> SellerOut:
    return SellerOut(id=seller.id, owner_user_id=seller.owner_user_id, legal_name=seller.legal_name,
                     entity_type=seller.entity_type, country=seller.country, tax_id=seller.tax_id,
                     beneficial_owners=seller.beneficial_owners,
                     contact={"email": seller.contact_email, "phone": seller.contact_phone},
                     created_at=seller.created_at)


def application_out(uow, app) -> ApplicationOut:
    records = [{"platform": r.platform, "annual_gmv": {"amount": r.gmv_amount, "currency": r.gmv_currency},
                "rating": r.rating_hundredths / 100 if r.rating_hundredths is not None else None,
                "months_trading": r.months_trading}
               for r in service.external_records(uow, application_id=app.id)]
    return ApplicationOut(
        id=app.id, seller_id=app.seller_id, market=app.market, shop_type=app.shop_type, mode=app.mode,
        shop_name=app.shop_name, status=app.status, rejected_by=app.rejected_by, outcome=app.outcome,
        representative={"name": app.representative_name,
                        "date_of_birth": app.representative_birth_date.isoformat()},
        contact={"email": app.contact_email, "phone": app.contact_phone}, business_address=app.business_address,
        external_records=records, decision=app.decision, shop_id=app.shop_id, created_at=app.created_at,
        updated_at=app.updated_at)


def summary(app) -> ApplicationSummary:
    return ApplicationSummary(id=app.id, seller_id=app.seller_id, market=app.market, shop_type=app.shop_type,
                              mode=app.mode, shop_name=app.shop_name, status=app.status, outcome=app.outcome,
                              failed_rules=[r for r in app.failed_rules.split(",") if r],
                              evaluated_at=app.evaluated_at, shop_id=app.shop_id, created_at=app.created_at)


@router.post("/sellers", status_code=status.HTTP_201_CREATED, response_model=SellerOut)
@raises("wrong_role", "seller_exists", "invalid_phone")
def create_seller(body: SellerIn, uow: UnitOfWork, actor: AnyUser):
    """Sellers register their legal entity (KYB), one per user (409 seller_exists)."""
    seller = service.create_seller(uow, actor=actor, legal_name=body.legal_name, entity_type=body.entity_type,
                                   country=body.country, tax_id=body.tax_id,
                                   beneficial_owners=[o.model_dump() for o in body.beneficial_owners],
                                   contact_email=str(body.contact.email), contact_phone=body.contact.phone)
    return seller_out(seller)


@router.get("/sellers/{seller_id}", response_model=SellerOut)
@raises("seller_not_found", "not_owner", "market_out_of_scope")
def get_seller(seller_id: str, uow: UnitOfWork, actor: AnyUser):
    """A seller profile: its own seller, or operators of the markets the seller applies to."""
    return seller_out(service.view_seller(uow, seller_id=seller_id, actor=actor))


@router.post("/applications", status_code=status.HTTP_201_CREATED, response_model=ApplicationOut)
@raises("wrong_role", "seller_profile_required", "unknown_market", "shop_exists", "application_exists",
        "invalid_phone")
def submit_application(body: ApplicationIn, uow: UnitOfWork, actor: AnyUser):
    """A seller applies for a shop in a market; the rules judge it at once (see /decision for why)."""
    data = body.model_dump()
    app = service.submit_application(
        uow, actor=actor, market=body.market, shop_type=body.shop_type, mode=body.mode, shop_name=body.shop_name,
        representative=data["representative"], contact={"email": str(body.contact.email), "phone": body.contact.phone},
        business_address=data["business_address"], external_records=data["external_records"])
    return application_out(uow, app)


@router.get("/applications", response_model=Page[ApplicationSummary])
@raises("wrong_role", "market_out_of_scope")
def list_applications(uow: UnitOfWork, actor: AnyUser,
                      market: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
                      shop_type: ShopType | None = None, outcome: ApplicationOutcome | None = None,
                      status: ApplicationStatus | None = None,
                      page_size: PageSize = None,
                      page_token: PageToken = None):
    """The review queue (operators: their markets only); a seller gets their own applications."""
    rows, token = service.list_applications(uow, actor=actor, market=market, shop_type=shop_type, outcome=outcome,
                                            status=status, page_size=page_size, page_token=page_token)
    return Page[ApplicationSummary](items=[summary(a) for a in rows], next_page_token=token)


@router.post("/applications/reevaluate", response_model=ReevaluateOut)
@raises("market_out_of_scope", "unknown_market", "market_not_found", "reevaluation_conflict")
def reevaluate_applications(body: ReevaluateIn, uow: UnitOfWork, actor: Operator):
    """Re-judge a market's open and rules-rejected applications against the policies in force now, in chunks
    committed one by one (a failure keeps the chunks before it; running it again is safe)."""
    return service.total(commit_each(uow, service.reevaluate_chunks(uow, market=body.market,
                                                                    trigger=f"requested by {actor.email}",
                                                                    actor=actor)))


@router.post("/applications/simulate", response_model=SimulateOut, response_model_by_alias=True)
@raises("market_out_of_scope", "policy_not_simulated", "policy_not_found", "invalid_market",
        "market_not_found", "unknown_market", "invalid_policy_value", "effective_from_in_past")
def simulate_policy_change(body: SimulateIn, uow: UnitOfWork, actor: Operator):
    """What a value of a seller policy would do to a market's open applications, before it is scheduled:
    how many would become eligible or ineligible, with examples. Nothing is written."""
    return service.simulate(uow, market=body.market, key=body.key, value=body.value, at=body.at, actor=actor)


@router.get("/applications/{application_id}", response_model=ApplicationOut)
@raises("application_not_found", "wrong_role", "not_owner", "market_out_of_scope")
def get_application(application_id: str, uow: UnitOfWork, actor: AnyUser):
    """One application: the shop asked for, the representative, contact, address, external records and
    the latest decision. The applying seller, or operators of its market."""
    return application_out(uow, service.get_application(uow, application_id, actor=actor))


@router.get("/applications/{application_id}/decision", response_model=ExplanationOut)
@raises("application_not_found", "wrong_role", "not_owner", "market_out_of_scope")
def get_decision(application_id: str, uow: UnitOfWork, actor: AnyUser):
    """The latest decision, each rule with the values compared and the policy version used, in plain words."""
    app = service.get_application(uow, application_id, actor=actor)
    return ExplanationOut(application_id=app.id, status=app.status, explanation=service.explain(app),
                          **app.decision)


@router.post("/applications/{application_id}/approve", response_model=ApplicationOut)
@raises("application_not_found", "market_out_of_scope", "application_not_open", "rules_not_overridden",
        "shop_exists")
def approve_application(application_id: str, body: ApproveIn, uow: UnitOfWork, actor: Operator):
    """Operators of the application's market. Each failed rule must be named in override_rules (409
    rules_not_overridden); approval opens the shop on probation."""
    app = service.approve(uow, application_id=application_id, reason=body.reason,
                          override_rules=list(body.override_rules), actor=actor)
    return application_out(uow, app)


@router.post("/applications/{application_id}/reject", response_model=ApplicationOut)
@raises("application_not_found", "market_out_of_scope", "application_not_open")
def reject_application(application_id: str, body: RejectIn, uow: UnitOfWork, actor: Operator):
    """Operators of the application's market reject an open application, with a reason."""
    app = service.reject(uow, application_id=application_id, reason=body.reason, actor=actor)
    return application_out(uow, app)


DOCUMENT_UPLOAD = "/applications/{application_id}/documents"
# The body limit of that route (core.body_limit): multipart boundaries and the `type` field on top of the largest
# accepted file.
UPLOAD_OVERHEAD = 64 * 1024
_UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["type", "file"],
    "properties": {"type": {"$ref": "#/components/schemas/DocumentType"},
                   "file": {"type": "string", "format": "binary"}}}}}}}
_DOC_TYPES = TypeAdapter(DocumentType)


@router.post(DOCUMENT_UPLOAD, status_code=status.HTTP_201_CREATED, response_model=DocumentOut,
             openapi_extra=_UPLOAD_BODY)
@raises("application_not_found", "wrong_role", "not_owner", "market_out_of_scope", "file_too_large",
        "payload_too_large", "unsupported_file_type")
async def upload_document(application_id: str, request: Request,
                          actor: Annotated[Actor, Depends(requires_own_session())]):
    """The applying seller uploads a PDF, PNG or JPEG (checked by content), at most settings.upload_max_bytes.

    The caller is authenticated before the multipart body is read (a stranger's upload is never spooled)."""
    async with request.form(max_files=1, max_fields=2) as form:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise Invalid("attach the document as the multipart field 'file'", field="file")
        try:
            doc_type = _DOC_TYPES.validate_python(form.get("type"))
        except ValidationError:
            raise Invalid(f"type must be one of {', '.join(DocumentType)}", field="type") from None

        def save() -> DocumentOut:
            with unit_of_work() as session:
                doc = documents.save_document(session, application_id=application_id, actor=actor,
                                              doc_type=doc_type, file_name=file.filename,
                                              content_type=file.content_type, stream=file.file)
                return DocumentOut.model_validate(doc, from_attributes=True)

        return await run_in_threadpool(save)


@router.get("/applications/{application_id}/documents", response_model=Page[DocumentOut])
@raises("application_not_found", "wrong_role", "not_owner", "market_out_of_scope")
def list_documents(application_id: str, uow: UnitOfWork, actor: AnyUser,
                   page_size: PageSize = None,
                   page_token: PageToken = None):
    """The documents uploaded to an application (the applying seller, operators of its market)."""
    docs, token = documents.list_documents(uow, application_id=application_id, actor=actor, page_size=page_size,
                                           page_token=page_token)
    return Page[DocumentOut](items=[DocumentOut.model_validate(d, from_attributes=True) for d in docs],
                             next_page_token=token)


_FILE = {"schema": {"type": "string", "format": "binary"}}


@router.get("/applications/{application_id}/documents/{document_id}/file", response_class=Response, responses={
    200: {"description": "the file, as an attachment (never inline), with X-Content-Type-Options: nosniff",
          "content": {"application/pdf": _FILE, "image/png": _FILE, "image/jpeg": _FILE}}})
@raises("application_not_found", "wrong_role", "not_owner", "market_out_of_scope", "document_not_found")
def download_document(application_id: str, document_id: str, uow: UnitOfWork, actor: AnyUser):
    """The applying seller or an operator of the application's market downloads an uploaded document."""
    doc = documents.get_document(uow, application_id=application_id, document_id=document_id, actor=actor)
    return attachment(documents.path_of(doc), file_name=doc.file_name, content_type=doc.content_type)


@router.get("/shops", response_model=Page[ShopOut])
@raises("wrong_role", "market_out_of_scope")
def list_shops(uow: UnitOfWork, actor: AnyUser,
               q: Annotated[str | None, Query(max_length=100, description="part of the name or contact email")] = None,
               seller: Annotated[str | None, Query(max_length=200, description="seller id, name or email")] = None,
               market: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
               status: ShopStatus | None = None, page_size: PageSize = None, page_token: PageToken = None):
    """Operators: the shops of their markets; sellers: their own."""
    rows, token = service.list_shops(uow, actor=actor, q=q, seller=seller, market=market, status=status,
                                     page_size=page_size, page_token=page_token)
    return Page[ShopOut](items=[ShopOut.model_validate(s) for s in rows], next_page_token=token)


@router.get("/shops/{shop_id}", response_model=ShopOut)
@raises("shop_not_found", "not_owner", "market_out_of_scope")
def get_shop(shop_id: str, uow: UnitOfWork, actor: AnyUser):
    """One shop: market, type, status, contact (its seller, operators of its market)."""
    return ShopOut.model_validate(service.require_shop_owner(uow, shop_id=shop_id, actor=actor))


@router.get("/shops/{shop_id}/history", response_model=list[ShopHistoryLineOut])
@raises("shop_not_found", "not_owner", "market_out_of_scope")
def shop_history(shop_id: str, uow: UnitOfWork, actor: AnyUser):
    """Opened, graduated, suspended and reinstated (with the reason and who), oldest first."""
    shop = service.require_shop_owner(uow, shop_id=shop_id, actor=actor)
    return [ShopHistoryLineOut.model_validate(line).model_copy(update={"by": actor.shown_person(line.by)})
            for line in service.shop_history(uow, shop=shop)]


@router.post("/shops/{shop_id}/suspend", response_model=ShopOut)
@raises(*REASON_CODES, "shop_not_found", "market_out_of_scope", "shop_not_suspendable")
def suspend_shop(shop_id: str, body: ShopReasonIn, uow: UnitOfWork, actor: Operator):
    """An operator of the shop's market stops it selling; orders already placed go on (event `shop.suspended`)."""
    return ShopOut.model_validate(service.suspend_shop(uow, shop_id=shop_id, reason=body.reason, actor=actor))


@router.post("/shops/{shop_id}/reinstate", response_model=ShopOut)
@raises(*REASON_CODES, "shop_not_found", "market_out_of_scope", "shop_not_suspended")
def reinstate_shop(shop_id: str, body: ShopReasonIn, uow: UnitOfWork, actor: Operator):
    """Back to the status the shop was suspended from (event `shop.reinstated`)."""
    return ShopOut.model_validate(service.reinstate_shop(uow, shop_id=shop_id, reason=body.reason, actor=actor))
