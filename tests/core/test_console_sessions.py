"""Console sessions can be ended: a copy of the cookie kept from before a logout, a new password or a revoke-all
is refused. (Found in an attack: a replayed cookie answered 200 for up to 14 days, as the session lived only in
the signed cookie.) And the console's answers carry the headers that keep browsers from framing or sniffing it."""

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from marketcast.cli import app as cli

PASSWORD = "console-pass-1"


def _sign_in(client, email) -> dict:
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return {"marketcast_session": client.cookies["marketcast_session"]}


def _page_with(app, cookies) -> int:
    with TestClient(app, cookies=cookies) as replay:
        return replay.get("/markets", follow_redirects=False).status_code


@pytest.fixture
def signed_in(app, client, make_user):
    make_user("operator", email="ops@example.com", password=PASSWORD)
    cookies = _sign_in(client, "ops@example.com")
    assert _page_with(app, cookies) == 200
    return cookies


def test_a_cookie_copied_before_logout_is_refused_after_it(app, client, signed_in):
    csrf = client.get("/markets").text.split('name="csrf" value="')[1].split('"')[0]
    assert client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert _page_with(app, signed_in) == 303  # to the login page


@pytest.mark.parametrize("command", [["users", "set-password", "ops@example.com", "--password", "a-new-pass-9"],
                                     ["tokens", "revoke", "ops@example.com"]])
def test_a_new_password_or_revoke_all_ends_console_sessions(app, signed_in, command):
    assert CliRunner().invoke(cli, command).exit_code == 0
    assert _page_with(app, signed_in) == 303


def test_signing_in_again_opens_a_new_session(app, client, signed_in):
    CliRunner().invoke(cli, ["tokens", "revoke", "ops@example.com"])
    assert _page_with(app, _sign_in(client, "ops@example.com")) == 200


def test_the_session_cookie_is_short_lived_and_secure_over_https(app, make_user):
    make_user("operator", email="tls@example.com", password=PASSWORD)
    with TestClient(app, base_url="https://testserver") as tls:
        page = tls.get("/login")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        r = tls.post("/login", data={"email": "tls@example.com", "password": PASSWORD, "csrf": csrf},
                     follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert "secure" in cookie and "max-age=28800" in cookie


def test_console_pages_may_not_be_framed_or_sniffed(client):
    r = client.get("/login")
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
