"""The console's list pattern without a browser: the previous / next links a page of a list draws."""

from starlette.requests import Request

from marketcast.core.pagination import Paged
from marketcast.web.listing import listing, page_at


def test_several_lists_on_one_page_page_apart():
    """Each list of a page keeps its own position; paging one keeps the page's other parameters."""
    request = Request({"type": "http", "path": "/affiliate", "query_string":
                       b"creator_id=crt_1&s_page_token=S2&s_trail=~", "headers": []})
    at = page_at(request, "c_")
    commissions = listing(request, Paged(list(range(50)), "C2"), at, prefix="c_")
    assert commissions.next_url == "/affiliate?creator_id=crt_1&s_page_token=S2&s_trail=~&c_page_token=C2&c_trail=~"
    assert commissions.prev_url is None and commissions.first == 1
    statements_at = page_at(request, "s_")
    statements = listing(request, Paged([1], None), statements_at, prefix="s_")
    assert statements.first == 51 and statements.prev_url == "/affiliate?creator_id=crt_1"
