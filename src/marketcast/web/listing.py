"""The one list pattern of the console: filters and the position in the list live in the URL.

A list page takes its filters as query parameters (a GET form), asks the area's service for one page, and
hands `listing(...)` to the template's `pager` macro, which shows "51–100 of 211" with previous / next links.
The service's cursor (`page_token`) only goes forward, so the URL also carries `trail`: the tokens of the pages
before this one. "Previous" pops it; a shared link opens on the same page with the same filters."""

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request

from marketcast.core.fields import market_code
from marketcast.core.pagination import Paged
from marketcast.core.web_deps import UnitOfWork
from marketcast.markets import service as markets

PAGE_SIZE = 50
MAX_TRAIL = 40  # pages remembered for "previous"; a deeper page's "previous" restarts from the first
FIRST = "~"  # the first page in a trail (no token); "~" is not in a token's alphabet


@dataclass(frozen=True)
class PageQuery:
    token: str | None
    trail: list[str] = field(default_factory=list)

    @property
    def number(self) -> int:
        return len(self.trail) + 1


def page_query(page_token: Annotated[str, Query(max_length=512)] = "",
               trail: Annotated[str, Query(max_length=MAX_TRAIL * 80)] = "") -> PageQuery:
    return PageQuery(token=page_token or None, trail=trail.split(",")[-MAX_TRAIL:] if trail else [])


def _token(entry: str) -> str:
    return "" if entry == FIRST else entry


PageParams = Annotated[PageQuery, Depends(page_query)]


def market_filter(uow: UnitOfWork, market: Annotated[str, Query(max_length=16)] = "") -> str:
    """A list's market filter: "" for every market, else the market's code. A market that does not exist is
    the console's 404 ("market 'ZZ' does not exist"), never a quietly empty list or every market's rows."""
    code = market_code(market)
    return markets.get(uow, code).code if code else ""


MarketFilter = Annotated[str, Depends(market_filter)]


@dataclass(frozen=True)
class Listing:
    rows: list
    total: int
    first: int
    last: int
    next_url: str | None
    prev_url: str | None
    filters: dict[str, str]

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def url_with(path: str, params: dict[str, Any]) -> str:
    """`path?…` with the parameters that have a value, in a stable order."""
    kept = {k: str(v) for k, v in params.items() if v not in (None, "", False)}
    return f"{path}?{urlencode(kept)}" if kept else path


def page_at(request: Request, prefix: str) -> PageQuery:
    """Where one of several lists on a page is, from its own `<prefix>page_token` and `<prefix>trail`."""
    params = request.query_params
    return page_query(params.get(f"{prefix}page_token", "")[:512], params.get(f"{prefix}trail", "")[:MAX_TRAIL * 80])


def listing(request: Request, paged: Paged[Any], page: PageQuery, filters: dict[str, Any] | None = None, *,
            path: str | None = None, total: int | None = None, prefix: str = "") -> Listing:
    """One page of a list; `path` is the list's own page when this one answers a form posted elsewhere, `total`
    a count the area has already made. With `prefix`, one of several lists on a page (see `page_at`): its links
    keep the page's other parameters, so paging one list leaves the others where they are."""
    token_key, trail_key = f"{prefix}page_token", f"{prefix}trail"
    if prefix:
        filters = {**{k: v for k, v in request.query_params.items() if k not in (token_key, trail_key)},
                   **(filters or {})}
    filters = {k: ("" if v is None else str(v)) for k, v in (filters or {}).items()}
    rows, next_token = paged
    start = (page.number - 1) * PAGE_SIZE
    path = path or request.url.path
    next_url = prev_url = None
    if next_token:
        next_url = url_with(path, {**filters, token_key: next_token,
                                   trail_key: ",".join([*page.trail, page.token or FIRST][-MAX_TRAIL:])})
    if page.number > 1:
        prev_url = url_with(path, {**filters, token_key: _token(page.trail[-1]), trail_key: ",".join(page.trail[:-1])})
    total = paged.total() if total is None else total
    return Listing(rows=list(rows), total=total, first=start + 1 if rows else 0, last=start + len(rows),
                   next_url=next_url, prev_url=prev_url, filters=filters)
