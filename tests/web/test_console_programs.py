"""Programs in a real browser: an operator defines one (a refused criterion is shown beside its field), a seller
finds it open to their shop and enrolls, both read the standing explained; every page fits 390 px."""

from datetime import UTC, datetime

import pytest

from marketcast.core.auth.actor import SYSTEM
from marketcast.core.db import unit_of_work
from marketcast.markets import service as markets
from tests.programs.test_standings import sell
from tests.support.commerce import write_shop
from tests.support.console import PASSWORD, PHONE, assert_fits, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(make_user):
    with unit_of_work() as session:
        markets.create(session, code="US", name="United States", currency="USD", timezone="America/New_York",
                       status="live", actor=SYSTEM)
    make_user("operator", email="ops@example.com", password=PASSWORD)
    seller_id, _ = make_user("seller", email="shop@example.com", password=PASSWORD)
    return {"shop_id": write_shop(unit_of_work, user_id=seller_id, email="shop@example.com")}


def test_define_enroll_and_read_standings(world, live_server, browser, page, screenshot):
    log_in(page, live_server, "ops@example.com")
    page.goto(f"{live_server}/programs")
    form = page.locator("[data-testid=new-program]")
    form.locator("#f-name").fill("Self-broadcast support plan")
    form.locator("#f-starts").fill("2024-04-01")
    form.locator("#f-criteria").fill("likes >= 3")
    form.locator("#f-discount_bps").fill("200")
    form.locator("button[type=submit]").click()
    assert "likes" in page.locator("[data-testid=error-criteria]").inner_text()
    assert page.locator("#f-name").input_value() == "Self-broadcast support plan"  # what was typed is kept
    form = page.locator("[data-testid=new-program]")
    form.locator("#f-starts").fill("2024-04-01")
    form.locator("#f-criteria").fill("orders >= 3\nrefund_rate <= 3000")
    form.locator("#f-pool_amount").fill("1000.00")
    form.locator("#f-rank_by").fill("gmv")
    form.locator("#f-top_n").fill("5")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=definition]")
    program_url = page.url
    assert "$" in page.locator("[data-testid=definition]").inner_text() or "USD" in page.content()
    screenshot(page, "programs-operator-program")

    seller = browser.new_context(viewport=PHONE).new_page()
    log_in(seller, live_server, "shop@example.com")
    seller.goto(f"{live_server}/programs")
    assert_fits(seller, "the seller's programs at 390 px")
    seller.locator("[data-testid=offered] button").click()
    seller.wait_for_url(program_url)
    sell(world["shop_id"], _now_in_program(), orders=4, gmv=50_000)
    seller.goto(program_url + "?period=" + _now_in_program().date().isoformat())
    row = seller.locator(f"[data-testid=standings] tr[data-shop={world['shop_id']}]")
    assert "4 orders of 3" in row.inner_text()
    assert_fits(seller, "a program's page for its seller at 390 px")
    screenshot(seller, "programs-seller-phone")

    page.goto(program_url + "?period=" + _now_in_program().date().isoformat())
    assert "4 orders of 3" in page.locator("[data-testid=standings]").inner_text()
    page.set_viewport_size(PHONE)
    page.reload()
    assert_fits(page, "a program's page for an operator at 390 px")


def _now_in_program():
    from marketcast.core import clock

    return clock.now()


def test_an_operator_claws_back_a_closed_periods_benefit(world, live_server, page, screenshot):
    from marketcast.core import clock
    from marketcast.core.auth import service as auth
    from marketcast.programs import jobs
    from marketcast.programs import service as programs
    from marketcast.programs.schemas import ProgramIn
    from tests.programs.conftest import BASE

    def at(text: str):
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    with unit_of_work() as session, clock.frozen(at("2024-03-20T00:00")):
        operator = auth.actor_of(auth.get_user_by_email(session, "ops@example.com"))
        body = ProgramIn.model_validate(BASE).model_dump()
        program = programs.create(session, actor=operator, **{k: body[k] for k in (
            "market", "name", "description", "starts_at", "ends_at", "cadence", "eligibility", "criteria",
            "benefits", "auto_enroll")})
        programs.enroll(session, program_id=program.id, shop_id=world["shop_id"], actor=operator)
    sell(world["shop_id"], at("2024-04-10T12:00"), orders=4, gmv=50_000)
    with clock.frozen(at("2024-05-02T00:00")):
        assert jobs.close_periods() == 1
    log_in(page, live_server, "ops@example.com")
    page.goto(f"{live_server}/programs/{program.id}?period=2024-04-01")
    row = page.locator(f"[data-testid=standings] tr[data-shop={world['shop_id']}]")
    row.locator("input[name=reason]").fill("fake orders found by the risk team")
    row.locator("[data-testid=clawback-form] button").click()
    flash = page.locator("[data-testid=flash]").inner_text()
    assert "clawed back: 1,000.00 USD booked back; its fee discount is withdrawn" in flash, flash
    assert "clawed back" in row.inner_text() and row.locator("[data-testid=clawback-form]").count() == 0
    screenshot(page, "programs-clawback")
    page.set_viewport_size(PHONE)
    page.reload()
    assert_fits(page, "a closed period's standings with the clawback column at 390 px")
