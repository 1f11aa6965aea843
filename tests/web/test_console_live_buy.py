"""The LIVE room's buy form in the console goes through the checkout's admission gate (orders'
`checkout_admission`, the live area's sold-out gate), as `POST /api/v1/orders` does: once a deal is known to be
sold out, a console buyer's tap is turned away before the sign-in is read or any transaction opens, with the same
`deal_sold_out` beside the form; a resent form whose order committed still gets its order back (the replay)."""

import uuid

from fastapi.testclient import TestClient

from marketcast.live import gate
from tests.live.conftest import _fresh_gate, open_deal, product, shop, steps  # noqa: F401 (fixtures)
from tests.support.console import PASSWORD


def _console_buyer(app, make_user) -> TestClient:
    email = f"room-{uuid.uuid4().hex[:8]}@example.com"
    make_user("buyer", email=email, password=PASSWORD)
    browser = TestClient(app)
    csrf = browser.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
    r = browser.post("/login", data={"email": email, "password": PASSWORD, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return browser


def _form(browser: TestClient, session_id: str) -> dict:
    page = browser.get(f"/live/{session_id}").text
    form = page.split('data-testid="buy-form"')[1].split("</form>")[0]
    return {name: form.split(f'name="{name}" value="')[1].split('"')[0]
            for name in ("csrf", "deal_id", "sku_id", "key", "quantity")}


def _buy(browser: TestClient, session_id: str, form: dict) -> str:
    """Send the form; the page it goes back to (the room, with the order or the error)."""
    r = browser.post(f"/live/{session_id}/buy", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/live/{session_id}", r.text
    return browser.get(f"/live/{session_id}").text


def _order_of(page: str) -> str:
    return page.split("Order ")[1].split(" placed at the deal price")[0]


def test_a_sold_out_deal_turns_the_console_buyer_away_before_the_database(app, make_user, open_deal,  # noqa: F811
                                                                         monkeypatch):
    deal, _, live = open_deal(allotment=1)
    first, late = _console_buyer(app, make_user), _console_buyer(app, make_user)
    try:
        first_form, late_form = _form(first, live["id"]), _form(late, live["id"])
        assert first_form["deal_id"] == deal["id"]
        placed = _buy(first, live["id"], first_form)
        assert "placed at the deal price" in placed and gate.is_marked(deal["id"])  # the last unit: marked
        order_id = _order_of(placed)

        from marketcast.core import db, web_deps

        def no_database(*args, **kwargs):
            raise AssertionError("the gate should have answered")

        with monkeypatch.context() as patched:
            patched.setattr(web_deps, "unit_of_work", no_database)
            patched.setattr(db, "unit_of_work", no_database)
            r = late.post(f"/live/{live['id']}/buy", data=late_form, follow_redirects=False)
        assert r.status_code == 303
        page = late.get(f"/live/{live['id']}").text
        assert f"deal {deal['id']} is sold out" in page and 'data-testid="problem"' in page

        # The first buyer's form resent (a double tap, a reload): its fingerprint passes the gate, the stored
        # answer is replayed; no second order.
        again = _buy(first, live["id"], first_form)
        assert _order_of(again) == order_id and 'data-testid="problem"' not in again

        # Without the process's mark (another process, no Redis) the database answers the same.
        gate.reset()
        late_form = _form(late, live["id"])
        page = _buy(late, live["id"], late_form)
        assert f"deal {deal['id']} has 0 units left" in page
    finally:
        first.close()
        late.close()
