"""What a console list makes of its query: a market filter naming a market that does not exist is the console's
404 page ("market 'ZZ' does not exist"), never a quietly empty list or every market's rows; a known market may
be typed in either case."""

import pytest
from fastapi.testclient import TestClient

from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.markets import service as markets
from tests.support.console import PASSWORD

LISTS = ["/applications", "/shops", "/orders", "/products", "/creators", "/live/sessions", "/live", "/policies",
         "/programs"]


@pytest.fixture
def console(app, make_user) -> TestClient:
    with unit_of_work() as session:
        markets.create(session, code="US", name="United States", currency="USD", timezone="America/New_York",
                       launch_window="2023-09", actor=SYSTEM)
    make_user("operator", email="ops@example.com", password=PASSWORD)
    browser = TestClient(app, headers={"accept": "text/html"})
    csrf = browser.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
    r = browser.post("/login", data={"email": "ops@example.com", "password": PASSWORD, "csrf": csrf},
                     follow_redirects=False)
    assert r.status_code == 303, r.text
    return browser


@pytest.mark.parametrize("path", LISTS)
def test_an_unknown_market_in_a_list_query_is_the_console_404(console, path):
    r = console.get(path, params={"market": "ZZ"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "market &#39;ZZ&#39; does not exist" in r.text


@pytest.mark.parametrize("path", LISTS)
def test_a_known_market_is_found_in_either_case(console, path):
    assert console.get(path, params={"market": "us"}).status_code == 200
    assert console.get(path).status_code == 200
