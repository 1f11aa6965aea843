"""Every console page of the demo at 390 px, reached by following links from the header as an operator, a seller
and a creator: none answers with an error, none scrolls sideways, every time on it shows its zone, and every
detail page has its way back (breadcrumbs or a back link)."""

import re
from collections import deque
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from marketcast.core.auth import service as auth
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.auth.models import User
from marketcast.core.db import unit_of_work
from marketcast.creators.models import Creator
from marketcast.scenario import tiktok_us_2024 as story
from marketcast.webhooks import service as webhooks
from tests.support.console import PHONE, log_in, sideways_overflow

pytestmark = pytest.mark.browser
PASSWORD = "marketcast-demo"
OPERATOR, SELLER = "demo@marketcast.local", "hello@austin-candles.example"
ID = re.compile(r"^([a-z]{2,8}_[0-9a-z]{26}|[A-Z]{2})$")  # an id, or a market's code
# Files and ways out of the console: followed by the download tests, not opened as pages.
NOT_PAGES = re.compile(r"^/(static|api|docs|redoc|openapi|l/)|/documents/|\.csv$|/file$")
BARE_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?!(:\d{2}(\.\d+)?)? ?UTC)(?![:\d])")
MAX_PAGES = 90


@pytest.fixture
def demo(monkeypatch):
    """The demo (with fewer creators: still several pages of them), and a webhook subscription."""
    monkeypatch.setenv("MARKETCAST_SCENARIO_CREATORS", "1500")
    with unit_of_work() as session:
        story.load(session)
        story.ensure_demo_operator(session, email=OPERATOR, password=PASSWORD)
        story.ensure_demo_seller(session, password=PASSWORD)
        # The story's most followed creator, who sells through the candle shop's open collaboration.
        user_id = session.scalars(select(Creator.user_id).where(Creator.market == "US",
                                                               Creator.affiliate_status == "active")
                                  .order_by(Creator.followers.desc(), Creator.id).limit(1)).one()
        creator = session.get(User, user_id).email
        auth.set_password(session, email=creator, password=PASSWORD)
        webhooks.create_subscription(session, url="https://hooks.example.com/marketcast", event_types=["order.*"],
                                     actor=SYSTEM)
    return {"operator": OPERATOR, "seller": SELLER, "creator": creator}


def _shape(href: str) -> tuple[str, tuple[str, ...]]:
    """One page per shape: the path with its ids blanked, and the names of its query parameters."""
    parts = urlsplit(href)
    segments = parts.path.split("/")
    path = "/".join("{id}" if ID.match(s) or (segments[1] == "policies" and i == 2) else s
                    for i, s in enumerate(segments))
    return path, tuple(sorted({name for name, _ in parse_qsl(parts.query)}))


def _links(page, base: str, within: str = "") -> list[str]:
    hrefs = page.eval_on_selector_all(f"{within} a[href]:not([download])",
                                      "els => els.map(e => e.getAttribute('href'))")
    out = []
    for href in hrefs:
        if href.startswith(base):
            href = href[len(base):]
        if href.startswith("/") and not href.startswith("//") and not NOT_PAGES.search(urlsplit(href).path):
            out.append(href.split("#")[0])
    return out


def _crawl(page, base: str) -> tuple[list[str], list[str]]:
    """(the paths visited, what was wrong on them)."""
    start = _links(page, base, within="header")
    queue, seen, visited, problems, unknown = deque(start), {_shape(h) for h in start}, [], [], []
    landings: set[str] = set()
    while queue and len(visited) < MAX_PAGES:
        href = queue.popleft()
        response = page.goto(f"{base}{href}")
        visited.append(href)
        if response is None or response.status >= 400:
            problems.append(f"{href}: answered {response.status if response else 'nothing'}")
            continue
        if (overflow := sideways_overflow(page)) > 0:
            problems.append(f"{href}: scrolls sideways by {overflow}px")
        text = page.locator("main").inner_text() if page.locator("main").count() else page.inner_text("body")
        if bare := BARE_TIME.search(text):
            problems.append(f"{href}: a time without its zone: {bare.group(0)!r}")
        final = urlsplit(page.url).path
        if href in start:  # where a header link lands (a creator's own page) is not a detail page
            landings.add(final)
        if ("{id}" in _shape(final)[0] and final not in landings
                and not page.locator("[data-testid=crumbs], [data-testid=back]").count()):
            problems.append(f"{href}: a detail page without breadcrumbs or a back link")
        if page.locator("form[method=get] [name=market]").count() and "{id}" not in _shape(href)[0]:
            unknown.append(href)
        for link in _links(page, base):
            if (shape := _shape(link)) not in seen:
                seen.add(shape)
                queue.append(link)
    for href in unknown:  # a market filter given a market that does not exist is an error, not every market
        path = urlsplit(href).path
        response = page.goto(f"{base}{path}?market=ZZ")
        if response.status != 404 or "market 'ZZ' does not exist" not in page.content():
            problems.append(f"{path}?market=ZZ: answered {response.status}, not the console's 'no such market'")
    print(f"visited {len(visited)}: " + " ".join(visited))
    return visited, problems


@pytest.mark.parametrize("page", [PHONE], indirect=True)
@pytest.mark.parametrize("role", ["operator", "seller", "creator"])
def test_every_page_reached_by_links_fits_a_phone(demo, live_server, page, role, screenshot):
    log_in(page, live_server, demo[role], password=PASSWORD)
    page.wait_for_selector("header nav a")
    visited, problems = _crawl(page, live_server)
    assert len(visited) >= 8, visited
    assert not problems, "\n".join(problems)
