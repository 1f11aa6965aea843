import json

from typer.testing import CliRunner

from marketcast.cli import app
from marketcast.markets import service

runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["markets", *args])


def test_create_reschedule_and_read_back(db, make_user):
    r = run("create", "es", "--name", "Spain", "--currency", "EUR", "--timezone", "Europe/Madrid",
            "--window", "2024-07")
    assert r.exit_code == 0, r.output
    r = run("reschedule", "ES", "2025-Q1", "--reason", "moved to Q1")
    assert r.exit_code == 0, r.output
    r = run("reschedule", "ES", "none", "--reason", "no date yet")
    assert r.exit_code == 0, r.output
    shown = json.loads(run("show", "ES", "--json").stdout)
    assert (shown["code"], shown["status"], shown["launch_window"]) == ("ES", "planned", None)
    history = json.loads(run("history", "ES", "--json").stdout)
    assert [(e["kind"], e["to_window"], e["actor_email"]) for e in history] == [
        ("created", "2024-07", "system"), ("rescheduled", "2025-Q1", "system"), ("rescheduled", None, "system")]
    listed = json.loads(run("list", "--json").stdout)
    assert [(m["code"], m["waitlist_count"]) for m in listed] == [("ES", 0)]
    assert "ES" in run("list").stdout and "moved to Q1" in run("history", "ES").stdout
    assert "0 on the waitlist" in run("waitlist", "ES").stdout


def test_errors_exit_1_and_write_nothing(db, make_user):
    make_user("operator", markets=["US"], email="us-ops@example.com")
    r = run("create", "ES", "--name", "Spain", "--currency", "EUR", "--timezone", "Europe/Madrid",
            "--as", "us-ops@example.com")
    assert r.exit_code == 1 and "market_out_of_scope" in r.output
    r = run("create", "ES", "--name", "Spain", "--currency", "EUR", "--timezone", "Europe/Madrid", "--window", "Q1")
    assert r.exit_code == 1 and "invalid_launch_window" in r.output
    with db() as s:
        assert service.list_markets(s)[0] == []
    run("create", "ES", "--name", "Spain", "--currency", "EUR", "--timezone", "Europe/Madrid")
    r = run("transition", "ES", "paused", "--reason", "why not")
    assert r.exit_code == 1 and "invalid_transition" in r.output
    r = run("transition", "ES", "live", "--reason", "launch")
    assert r.exit_code == 0 and "now live" in r.output
    with db() as s:
        assert service.get(s, "ES").status == "live"
