"""New passwords are refused when they are among the most used or are the account's email, through the API and
the CLI alike (found in an attack: both were accepted)."""

import pytest
from typer.testing import CliRunner

from marketcast.cli import app as cli


@pytest.mark.parametrize("password", ["password123", "Qwertyuiop", "iloveyou1", "ana@example.com", "ANA@example.com",
                                      "ana-the-seller", "short"])
def test_signup_refuses_weak_passwords(client, password):
    email = "ana-the-seller@example.com" if password == "ana-the-seller" else "ana@example.com"
    r = client.post("/api/v1/auth/signup", json={"email": email, "password": password, "role": "seller"})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "password"
    assert r.json()["code"] in ({"validation_error"} if password == "short" else {"weak_password"})


def test_a_good_password_is_taken(client):
    r = client.post("/api/v1/auth/signup", json={"email": "ana@example.com", "password": "tall-green-lamp-7",
                                                 "role": "seller"})
    assert r.status_code == 201


@pytest.mark.parametrize("password", ["password1", "bo@example.com", "1234"])
def test_the_cli_applies_the_same_rules(password):
    runner = CliRunner()
    created = runner.invoke(cli, ["users", "create", "bo@example.com", "--role", "buyer", "--password", password])
    assert created.exit_code != 0 and "password" in created.output
    assert runner.invoke(cli, ["users", "create", "bo@example.com", "--role", "buyer"]).exit_code == 0
    changed = runner.invoke(cli, ["users", "set-password", "bo@example.com", "--password", password])
    assert changed.exit_code != 0 and "password" in changed.output
