"""Creators over HTTP. Creators make and read their own profiles; operators set follower counts, suspend, list
and re-evaluate their markets."""

import io
from datetime import datetime
from typing import Annotated

from fastapi import Query, UploadFile, status

from marketcast.core.errors import Invalid
from marketcast.core.openapi import REASON_CODES, api_router, raises
from marketcast.core.pagination import PageSize, PageToken
from marketcast.core.web_deps import AnyUser, Operator, UnitOfWork
from marketcast.creators import imports, service
from marketcast.creators.schemas import (
    AffiliateStatus,
    CreatorIn,
    CreatorOut,
    CreatorPage,
    CreatorsReevaluateOut,
    EligibilityOut,
    FollowersIn,
    ImportOut,
    ReasonIn,
    ReevaluateIn,
    StatusChangeOut,
)

router = api_router("creators", "Creator profiles per market, follower counts, affiliate eligibility from the "
                    "policies in force (ineligible, pilot, active, suspended), suspension, re-evaluation.")


@router.post("/creators", status_code=status.HTTP_201_CREATED, response_model=CreatorOut)
@raises("wrong_role", "unknown_market", "invalid_handle", "invalid_date_of_birth", "creator_exists",
        "handle_taken")
def create_creator(body: CreatorIn, uow: UnitOfWork, actor: AnyUser):
    """A creator user's profile in a market (one per market, handle unique in the market), judged at once."""
    return CreatorOut.of(service.create_creator(uow, actor=actor, market=body.market, handle=body.handle,
                                                date_of_birth=body.date_of_birth))


@router.get("/creators", response_model=CreatorPage)
@raises("wrong_role", "market_out_of_scope")
def list_creators(uow: UnitOfWork, actor: AnyUser,
                  market: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
                  status: AffiliateStatus | None = None,
                  q: Annotated[str | None, Query(max_length=30, description="part of the handle")] = None,
                  page_size: PageSize = None, page_token: PageToken = None):
    """Operators: the creators of their markets, with how many of each status match; a creator: their own."""
    rows, token, counts = service.list_creators(uow, actor=actor, market=market, status=status, q=q,
                                                page_size=page_size, page_token=page_token)
    return CreatorPage(items=[CreatorOut.of(c) for c in rows], next_page_token=token, counts=counts)


@router.post("/creators/reevaluate", response_model=CreatorsReevaluateOut)
@raises("market_out_of_scope", "unknown_market")
def reevaluate_creators(body: ReevaluateIn, uow: UnitOfWork, actor: Operator):
    """Judge every creator of a market under the policies in force now (one set-based pass); each move is
    recorded and announced as creator.affiliate_status_changed. Counts of each move."""
    return service.reevaluate(uow, market=body.market, trigger=f"requested by {actor.email}", actor=actor)


@router.post("/creators/imports", response_model=ImportOut)
@raises("invalid_csv", "invalid_csv_header", "csv_rows_rejected")
def import_followers(file: UploadFile, uow: UnitOfWork, actor: Operator,
                     partial: Annotated[bool, Query(description="write the valid rows even when others are "
                                                                "rejected (the CLI's way)")] = False):
    """Follower counts in bulk from a CSV file (`handle,market,followers,as_of`), streamed in chunks. By default
    all or nothing: a file with a rejected row is a 422 `csv_rows_rejected` listing every rejected row (`rejected`:
    line, code, field, reason each), and nothing is written; with `partial=true` the valid rows are written and
    the rejected ones listed."""
    written = 0
    rejected: list[imports.Rejected] = []
    stream = io.TextIOWrapper(file.file, encoding="utf-8-sig", newline="")
    try:
        for batch in imports.chunks(imports.read_rows(stream)):
            done, bad = imports.import_chunk(uow, batch, actor=actor)
            written, rejected = written + done, rejected + bad
    except UnicodeDecodeError:
        raise Invalid("the file is not UTF-8 text", code="invalid_csv", field="file") from None
    if rejected and not partial:
        raise Invalid(f"{len(rejected)} rows rejected (first: line {rejected[0].line}, {rejected[0].reason}); "
                      "nothing was written", code="csv_rows_rejected", field="file",
                      rejected=[r.__dict__ for r in rejected[:1000]])
    return ImportOut(written=written, rejected=[r.__dict__ for r in rejected])


@router.get("/creators/{creator_id}", response_model=CreatorOut)
@raises("creator_not_found", "wrong_role", "not_owner", "market_out_of_scope")
def get_creator(creator_id: str, uow: UnitOfWork, actor: AnyUser):
    """One creator profile: handle, market, followers, affiliate status (the creator, operators of its market)."""
    return CreatorOut.of(service.get_creator(uow, creator_id, actor=actor))


@router.put("/creators/{creator_id}/followers", response_model=CreatorOut)
@raises("creator_not_found", "market_out_of_scope", "invalid_followers", "as_of_in_future")
def set_followers(creator_id: str, body: FollowersIn, uow: UnitOfWork, actor: Operator):
    """The follower count the social platform reported (operators, or an integration token with that role); the
    creator is judged again at once."""
    return CreatorOut.of(service.set_followers(uow, creator_id=creator_id, count=body.count, as_of=body.as_of,
                                               actor=actor))


@router.get("/creators/{creator_id}/eligibility", response_model=EligibilityOut)
@raises("creator_not_found", "wrong_role", "not_owner", "market_out_of_scope")
def get_creator_eligibility(creator_id: str, uow: UnitOfWork, actor: AnyUser,
                at: Annotated[datetime | None, Query(description="ISO date-time (naive: UTC); default now")] = None):
    """The status at a time under the policies then in force, rule by rule with the values compared and the
    policy version used, from the latest follower snapshot at or before it."""
    creator, judgement, when = service.eligibility(uow, creator_id=creator_id, actor=actor, at=at)
    return EligibilityOut(creator_id=creator.id, at=when, explanation=service.explain(judgement.as_json()),
                          **judgement.as_json())


@router.get("/creators/{creator_id}/history", response_model=list[StatusChangeOut])
@raises("creator_not_found", "wrong_role", "not_owner", "market_out_of_scope")
def get_creator_history(creator_id: str, uow: UnitOfWork, actor: AnyUser):
    """Every status change, oldest first, with the rules and policy versions that decided it."""
    creator = service.get_creator(uow, creator_id, actor=actor)
    return [StatusChangeOut.model_validate(c).model_copy(
        update={"actor_email": actor.shown_person(c.actor_email) or None})
        for c in service.history(uow, creator_id=creator.id)]


@router.post("/creators/{creator_id}/suspend", response_model=CreatorOut)
@raises(*REASON_CODES, "creator_not_found", "market_out_of_scope", "creator_suspended")
def suspend_creator(creator_id: str, body: ReasonIn, uow: UnitOfWork, actor: Operator):
    """Operators of the creator's market suspend a creator, with a reason; a suspended creator sells nothing."""
    return CreatorOut.of(service.suspend(uow, creator_id=creator_id, reason=body.reason, actor=actor))


@router.post("/creators/{creator_id}/unsuspend", response_model=CreatorOut)
@raises(*REASON_CODES, "creator_not_found", "market_out_of_scope", "creator_not_suspended")
def unsuspend_creator(creator_id: str, body: ReasonIn, uow: UnitOfWork, actor: Operator):
    """Lift a suspension; the status is derived again from the policies in force."""
    return CreatorOut.of(service.unsuspend(uow, creator_id=creator_id, reason=body.reason, actor=actor))
