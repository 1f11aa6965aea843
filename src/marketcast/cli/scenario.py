"""`marketcast scenario tiktok-us-2024`: the article's state, loaded and shown as of a time."""

import typer
from rich.table import Table

from marketcast.cli.common import console, dump, parse_at, uow
from marketcast.core.money import Money
from marketcast.policies import service as policies
from marketcast.scenario import tiktok_us_2024 as story

app = typer.Typer(no_args_is_help=True)

DEMO_EMAIL = "demo@marketcast.local"
DEMO_PASSWORD = "marketcast-demo"


@app.command("tiktok-us-2024")
def tiktok_us_2024(
    at: str | None = typer.Option(None, "--at", help="show the state as of this ISO date or time (default: now)"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
    demo: bool = typer.Option(False, "--demo", help=f"also create the console login {DEMO_EMAIL}"),
) -> None:
    """US first; DE, IT, FR, MX postponed; ES moved to 2025-Q1; creators from 1,000 followers; no $2M GMV rule."""
    when = parse_at(at)
    with uow() as session:
        story.load(session)
        if demo:
            story.ensure_demo_operator(session, email=DEMO_EMAIL, password=DEMO_PASSWORD)
            seller_email = story.ensure_demo_seller(session, password=DEMO_PASSWORD)
    with uow(write=False) as session:
        snap = story.snapshot(session, at=when)
    console.width = max(console.width, 100)
    if as_json:
        dump(snap)
        return
    _print(snap)
    if demo:
        console.print(f"\nConsole: http://127.0.0.1:8000/login  ·  operator login [bold]{DEMO_EMAIL}[/bold] / "
                      f"[bold]{DEMO_PASSWORD}[/bold]  ·  seller login [bold]{seller_email}[/bold] / "
                      f"[bold]{DEMO_PASSWORD}[/bold]")


def _change_words(change: dict | None) -> str:
    if not change:
        return "—"
    parts = []
    for r in change["rules"]:
        verdict = "now passes" if r["passed"] else "now fails"
        policy = ""
        if r["policy_key"]:
            since = (r["policy_effective_from"] or "")[:10]
            policy = f": {r['policy_key']} is {r['policy_value']} ({r['policy_version_id']}, since {since})"
        parts.append(f"{r['rule']} {verdict}{policy}")
    return f"{change['at'][:10]}: " + "; ".join(parts)


def _print_sellers(snap: dict) -> None:
    applicants = snap.get("us_cross_border_applicants") or []
    if applicants:
        table = Table(title=f"US cross-border applicants as of {snap['at'][:10]}")
        for column in ("Shop", "Outcome", "Failed rules", "Changed on"):
            table.add_column(column)
        for a in applicants:
            changed = a["change"]["at"][:10] if a["change"] else "—"
            table.add_row(a["shop_name"], a["outcome"], ", ".join(a["failed_rules"]) or "—", changed)
        console.print(table)
        for a in applicants:
            if a["change"]:
                console.print(f"  {a['shop_name']}: {_change_words(a['change'])}", soft_wrap=True, highlight=False)
    shops = snap.get("us_local_shops") or []
    if shops:
        table = Table(title="US local shops")
        for column in ("Shop", "Status", "Net GMV, 365 days"):
            table.add_column(column)
        for shop in shops:
            gmv = shop["net_gmv_365d"]
            table.add_row(shop["name"], shop["status"], str(Money(amount=gmv["amount"], currency=gmv["currency"])))
        console.print(table)


def _print_creators(snap: dict) -> None:
    c = snap.get("us_creators")
    if not c or not c["total"]:
        return
    s = c["statuses"]
    console.print(f"\nUS creators as of {snap['at'][:10]}: {c['total']:,} — ineligible {s['ineligible']:,}, "
                  f"pilot {s['pilot']:,}, active {s['active']:,}, suspended {s['suspended']:,}", highlight=False)
    sim = c.get("simulation_2024_06_15")
    if c["moved_by_the_change"]:
        moves = ", ".join(f"{k} {v:,}" for k, v in c["moves"].items())
        console.print(f"  moved by the 2024-07-01 change (creators from 1,000 followers, a pilot under 5,000): "
                      f"{c['moved_by_the_change']:,} ({moves})", highlight=False)
    else:
        console.print("  the 2024-07-01 change has not happened yet", highlight=False)
    if sim:
        moves = ", ".join(f"{k} {v:,}" for k, v in sim["counts"].items())
        verdict = "exactly what happened" if sim["equals_what_happened"] else "NOT what happened"
        console.print(f"  simulated as of 2024-06-15 ({sim['key']} = {sim['value']:,} from "
                      f"{sim['effective_from'][:10]}): {sim['moved']:,} would move ({moves}): {verdict}",
                      highlight=False, soft_wrap=True)


def _print(snap: dict) -> None:
    table = Table(title=f"Markets as of {snap['at'][:10]}")
    for column in ("Code", "Name", "Currency", "Status", "Launch window"):
        table.add_column(column)
    for m in snap["markets"]:
        table.add_row(m["code"], m["name"], m["currency"], m["status"], m["launch_window"] or "—")
    console.print(table)
    us = snap["policies"].get("US")
    if not us:
        return
    table = Table(title="Policies in force for US")
    for column in ("Policy", "Value", "Since", "Source"):
        table.add_column(column, no_wrap=True)
    for key, r in us.items():
        since = (r["effective_from"] or "")[:10] or "default"
        table.add_row(key, policies.describe(key, r["value"]), since, r["source"])
    console.print(table)
    _print_sellers(snap)
    _print_creators(snap)
    _print_affiliate(snap)
    _print_plan(snap)


def _print_affiliate(snap: dict) -> None:
    story = (snap.get("us_affiliate") or {}).get("creators") or []
    if not story:
        return
    table = Table(title="US creators of the affiliate story (collaborations from 2024-07-02)")
    for column in ("Creator", "Attributed lines", "Commissions (cents) by status", "Statements"):
        table.add_column(column)
    for c in story:
        table.add_row("@" + c["handle"], str(c["attributed_lines"]),
                      ", ".join(f"{k} {v}" for k, v in sorted(c["commissions"].items())) or "—",
                      "; ".join(f"{s['period_start'][:10]}: total {s['total']}, paid {s['paid_out']}, carried "
                                f"{s['carried_out']}" for s in c["statements"]) or "—")
    console.print(table)


def _print_plan(snap: dict) -> None:
    plan = snap.get("us_self_broadcast_plan")
    if not plan or not plan["month"]:
        return
    table = Table(title=f"{plan['name']}: the month from {plan['month']} (closed months: "
                        f"{', '.join(plan['closed_months'])})")
    for column in ("Shop", "Qualifies", "Why", "Benefit", "Earned so far"):
        table.add_column(column)
    for s in plan["standings"]:
        benefit = s["benefit"] or {}
        got = [f"{benefit['referral_fee_discount_bps'] / 100:g} points off next month's fee"] \
            if benefit.get("referral_fee_discount_bps") else []
        if benefit.get("reward"):
            got.append(f"{Money(**benefit['reward'])} (rank {benefit['rank']})")
        earned = s["earned_so_far"] or {"reward": 0, "discounted_months": 0}
        table.add_row(s["shop"], "yes" if s["qualifies"] else "no", s["explanation"], "; ".join(got) or "—",
                      f"{Money(amount=earned['reward'], currency='USD')}, {earned['discounted_months']} month(s) "
                      "at a lower fee")
    console.print(table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="scenario", help="Replay known situations into the database.")
