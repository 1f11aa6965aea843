import pytest

from marketcast.core import clock
from marketcast.core.settings import get_settings


def test_signup_then_token_then_me(client):
    body = {"email": "Ann@Example.com", "password": "s3cret-pass", "role": "seller"}
    r = client.post("/api/v1/auth/signup", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["email"] == "ann@example.com"
    r = client.post("/api/v1/auth/tokens", json={"email": "ann@example.com", "password": "s3cret-pass"})
    assert r.status_code == 201
    token = r.json()["token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["role"] == "seller"


def test_signup_cannot_make_an_operator(client):
    body = {"email": "x@example.com", "password": "s3cret-pass", "role": "operator"}
    r = client.post("/api/v1/auth/signup", json=body)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "role"


def test_duplicate_email_is_a_conflict(client):
    body = {"email": "dup@example.com", "password": "s3cret-pass", "role": "buyer"}
    assert client.post("/api/v1/auth/signup", json=body).status_code == 201
    r = client.post("/api/v1/auth/signup", json=body)
    assert r.status_code == 409 and r.json()["code"] == "email_taken"


def test_repeated_failed_logins_are_slowed_down(client):
    client.post("/api/v1/auth/signup", json={"email": "b@example.com", "password": "right-pass", "role": "buyer"})
    limit = get_settings().login_max_failures
    clock.set_now(clock.now())  # the delay is seconds long; slow password checks must not outlast it
    for _ in range(limit - 1):
        r = client.post("/api/v1/auth/tokens", json={"email": "b@example.com", "password": "wrong-pass"})
        assert r.status_code == 401
    r = client.post("/api/v1/auth/tokens", json={"email": "b@example.com", "password": "wrong-pass"})
    assert r.status_code == 401
    # Now blocked: even the right password waits.
    r = client.post("/api/v1/auth/tokens", json={"email": "b@example.com", "password": "right-pass"})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    assert r.json()["code"] == "too_many_requests"


def test_bad_token_is_401(client):
    r = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    assert client.get("/api/v1/auth/me").status_code == 401


def test_the_api_ignores_the_console_cookie(client, make_user):
    make_user("operator", email="cookie@example.com", password="console-pass-1")
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    r = client.post("/login", data={"email": "cookie@example.com", "password": "console-pass-1", "csrf": csrf},
                    follow_redirects=False)
    assert r.status_code == 303 and "marketcast_session" in client.cookies
    assert client.get("/markets").status_code == 200  # the console knows the user
    r = client.post("/api/v1/markets", json={"code": "PT", "name": "Portugal", "currency": "EUR",
                                             "timezone": "Europe/Lisbon"})
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"


def test_failed_logins_for_one_account_from_many_addresses_are_slowed_down(db):
    from marketcast.core.auth import login
    from marketcast.core.auth import service as auth
    from marketcast.core.errors import TooManyRequests, Unauthorized

    with db() as s:
        auth.create_user(s, email="target@example.com", role="buyer", password="right-pass")
    with clock.frozen(clock.now()):  # the delay is seconds long; slow password checks must not outlast it
        for i in range(get_settings().login_max_failures):
            with pytest.raises(Unauthorized):
                login.login_now(email="target@example.com", password="wrong", address=f"10.0.0.{i}")
        with pytest.raises(TooManyRequests) as blocked:
            login.login_now(email="Target@Example.com", password="right-pass", address="10.9.9.9")
    assert blocked.value.retry_after >= 1


def test_a_token_can_be_revoked_by_its_holder_and_by_the_cli(client, make_user):
    from typer.testing import CliRunner

    from marketcast.cli import app as cli

    _, headers = make_user("seller", email="leaky@example.com")
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert client.delete("/api/v1/auth/tokens/current", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).json()["code"] == "invalid_token"

    token = CliRunner().invoke(cli, ["tokens", "create", "leaky@example.com"]).stdout.strip()
    other = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/auth/me", headers=other).status_code == 200
    result = CliRunner().invoke(cli, ["tokens", "revoke", "leaky@example.com"])
    assert result.exit_code == 0 and "revoked 1" in result.output
    assert client.get("/api/v1/auth/me", headers=other).status_code == 401
