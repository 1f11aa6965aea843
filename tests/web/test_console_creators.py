"""Creators in the console, in a real browser: the operator's list with counts and filters, one creator's status
and why, suspending and lifting, setting followers, importing a CSV with broken rows; a pilot creator's own page
with its progress; the same pages at a phone's width."""

import re

import pytest
from playwright.sync_api import expect

from marketcast.core import clock
from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.creators import service as creators
from marketcast.markets import service as markets
from marketcast.policies import service as policies
from tests.support.console import PASSWORD, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(make_user):
    """Live US with creators from 1,000 followers and a pilot under 5,000 (in force now); four creators."""
    now = clock.now()
    with clock.frozen(now), unit_of_work() as session:
        markets.create(session, code="US", name="United States", currency="USD", timezone="America/New_York",
                       status="live", actor=SYSTEM)
        for key, value in (("creator.affiliate.min_followers", 1000), ("creator.affiliate.pilot_below_followers",
                                                                       5000)):
            policies.schedule(session, key=key, market="US", value=value, effective_from=now, reason="2024 rules",
                              actor=SYSTEM)
    make_user("operator", email="ops@example.com", password=PASSWORD)
    ids = {}
    for handle, followers in (("maya.makes", 2000), ("big.star", 90000), ("tiny_one", 300), ("new.face", 1500)):
        user_id, _ = make_user("creator", email=f"{handle}@example.com", password=PASSWORD)
        with unit_of_work() as session:
            from marketcast.core.auth import service as auth

            actor = auth.actor_of(auth.get_user_by_email(session, f"{handle}@example.com"))
            created = creators.create_creator(session, actor=actor, market="US", handle=handle,
                                              date_of_birth=clock.now().date().replace(year=1995))
            creators.set_followers(session, creator_id=created.id, count=followers, as_of=clock.now(), actor=SYSTEM)
            ids[handle] = created.id
    return ids


def test_operator_lists_filters_suspends_lifts_and_sets_followers(world, live_server, page, screenshot):
    log_in(page, live_server, "ops@example.com", "/markets")
    page.click("header a[href='/creators']")
    assert page.locator("[data-testid=counts] [data-status=pilot] strong").inner_text() == "2"
    assert page.locator("[data-testid=counts] [data-status=active] strong").inner_text() == "1"
    page.select_option("#f-status", "pilot")
    page.click("[data-testid=filters] button")
    expect(page).to_have_url(re.compile(r"status=pilot"))
    cells = page.locator("[data-testid=creators] tbody tr td:first-child")
    expect(cells).to_have_count(2)  # all_inner_texts() does not wait for the new page's rows
    handles = cells.all_inner_texts()
    assert sorted(handles) == ["@maya.makes", "@new.face"]
    expect(page.locator("[data-testid=count]")).to_have_text("1–2 of 2 creators")
    screenshot(page, "creators-list")
    page.click("text=@maya.makes")
    assert page.locator("[data-testid=status]").inner_text() == "pilot"
    why = page.locator("[data-testid=why]").inner_text()
    assert "pilot threshold: failed" in why and "creator.affiliate.pilot_below_followers (pol_" in why
    page.click("[data-testid=suspend-form] button")  # no reason: the browser refuses to send it
    page.fill("#reason", "fake followers reported")
    page.click("[data-testid=suspend-form] button")
    assert page.locator("[data-testid=status]").inner_text() == "suspended"
    page.fill("#reason", "checked: they are real")
    page.click("[data-testid=unsuspend-form] button")
    assert page.locator("[data-testid=status]").inner_text() == "pilot"
    page.fill("#count", "lots")
    page.click("[data-testid=followers-form] button")
    assert "not a whole number" in page.locator("[data-testid=error-count]").inner_text()
    expect(page).to_have_url(f"{live_server}/creators/{world['maya.makes']}")  # post/redirect/get
    stamps = page.locator("[data-testid=history] time")
    expect(stamps.first).to_be_visible()
    times = stamps.all_inner_texts()
    assert times and all(t.endswith(" UTC") for t in times)  # every time with its zone
    assert page.locator("[data-testid=crumbs] a").first.inner_text() == "Creators"
    page.fill("#count", "5,200")
    page.click("[data-testid=followers-form] button")
    assert page.locator("[data-testid=status]").inner_text() == "active"
    history = page.locator("[data-testid=history]").inner_text()
    assert "suspend" in history and "unsuspend" in history and "pilot → active" in history
    screenshot(page, "creator-operator")


def test_operator_imports_a_csv_with_broken_rows(world, live_server, page, tmp_path, screenshot):
    path = tmp_path / "followers.csv"
    path.write_text("handle,market,followers,as_of\n"
                    f"tiny_one,US,1200,{clock.now().isoformat()}\n"
                    "nobody,US,10,2024-06-01\n"
                    "tiny_one,US,many,2024-06-01\n")
    log_in(page, live_server, "ops@example.com", "/markets")
    page.goto(f"{live_server}/creators")
    page.set_input_files("#file", str(path))
    page.click("[data-testid=import-form] button")
    assert page.locator("[data-testid=import-report]").inner_text() == "1 rows written, 2 rejected."
    assert "creator_not_found" in page.locator("[data-testid=rejected] [data-line='3']").inner_text()
    assert "invalid_followers" in page.locator("[data-testid=rejected] [data-line='4']").inner_text()
    assert page.locator("[data-testid=counts] [data-status=pilot] strong").inner_text() == "3"
    screenshot(page, "creators-import")


def test_a_pilot_creator_sees_why_and_the_pilot_progress_on_a_phone(world, live_server, browser, screenshot):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        log_in(page, live_server, "maya.makes@example.com")
        page.click("header a[href='/creators']")
        page.wait_for_url(f"{live_server}/creators/{world['maya.makes']}")
        assert page.locator("[data-testid=status]").inner_text() == "pilot"
        pilot = page.locator("[data-testid=pilot]").inner_text()
        assert "0 of 30 days" in pilot and "3,000 followers to go" in pilot and "0 of 10 orders" in pilot
        expect(page.locator("[data-testid=suspend-form]")).to_have_count(0)  # operators only
        screenshot(page, "creator-own-phone")
        # The page's own content fits the phone (wide tables scroll inside their own box).
        widest = page.evaluate("Math.max(...[...document.querySelectorAll('main .card, main h1, main p')]"
                               ".map(e => e.getBoundingClientRect().right))")
        assert widest <= 390, widest
        page.goto(f"{live_server}/creators/{world['big.star']}")
        assert page.locator("[data-testid=problem]").count() == 1 or "not yours" in page.content()
    finally:
        context.close()
