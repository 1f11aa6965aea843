"""`marketcast webhooks`: subscriptions, deliveries, redelivery and the outbox events."""

import typer

from marketcast.cli.common import cli_actor, console, dump, every_page, uow
from marketcast.webhooks import service
from marketcast.webhooks.schemas import DeliveryOut, EventOut, EventTypeOut, SubscriptionOut

app = typer.Typer(no_args_is_help=True)

AS_OPTION = typer.Option(None, "--as", help="act as this operator (default: the local system operator)")
JSON_OPTION = typer.Option(False, "--json", help="print JSON")


def _line(text: str) -> None:
    # Unwrapped and literal: ids and secrets must survive copy-paste and scripts.
    console.print(text, soft_wrap=True, markup=False, highlight=False)


@app.command("create")
def create(
    url: str,
    events: str = typer.Option(..., "--events", help='comma-separated: exact types, prefixes such as "market.*", "*"'),
    description: str | None = typer.Option(None, "--description"),
    as_email: str | None = AS_OPTION,
) -> None:
    """Subscribe URL to events; prints the id and the signing secret (shown only now)."""
    with uow() as session:
        sub, secret = service.create_subscription(session, url=url, description=description,
                                                  event_types=[e for e in events.split(",") if e.strip()],
                                                  actor=cli_actor(session, as_email))
    _line(f"created {sub.id} -> {sub.url} ({', '.join(sub.event_types)})")
    _line(f"secret {secret}  (store it now: it is not shown again)")


@app.command("event-types")
def event_types(as_json: bool = JSON_OPTION) -> None:
    """Every event type a subscription may name (with --json: each payload's JSON Schema too)."""
    items = [EventTypeOut.of(t) for t in service.event_types()]
    if as_json:
        dump(items)
        return
    for t in items:
        _line(f"{t.name}  {t.description}")


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """Every subscription (without secrets)."""
    with uow(write=False) as session:
        items = [SubscriptionOut.model_validate(r) for r in every_page(
            lambda token: service.list_subscriptions(session, page_size=200, page_token=token))]
    if as_json:
        dump(items)
        return
    for s in items:
        reason = f" ({s.disabled_reason})" if s.disabled_reason else ""
        _line(f"{s.id}  {s.status}{reason}  {s.url}  {', '.join(s.event_types)}")


@app.command("deliveries")
def deliveries(
    subscription_id: str,
    status: str | None = typer.Option(None, "--status", help="pending, delivering, delivered or failed"),
    limit: int = typer.Option(50, "--limit", min=1, max=200),
    as_json: bool = JSON_OPTION,
) -> None:
    """Deliveries of one subscription, oldest first."""
    with uow(write=False) as session:
        rows, _ = service.deliveries(session, subscription_id=subscription_id, status=status, page_size=limit)
        items = [DeliveryOut.model_validate(r) for r in rows]
    if as_json:
        dump(items)
        return
    for d in items:
        code = d.last_status_code if d.last_status_code is not None else "-"
        _line(f"{d.id}  {d.event_id}  {d.event_type}  {d.status}  attempts={d.attempts}  last={code}"
                      + (f"  next={d.next_attempt_at.isoformat()}" if d.next_attempt_at else ""))


@app.command("redeliver")
def redeliver(delivery_id: str, as_email: str | None = AS_OPTION) -> None:
    """Send a failed or delivered delivery again (same event id) on the worker's next run."""
    with uow() as session:
        d = service.redeliver(session, delivery_id=delivery_id, actor=cli_actor(session, as_email))
    _line(f"{d.id} is pending again ({d.event_id})")


@app.command("events")
def events(
    type: str | None = typer.Option(None, "--type", help='exact type, a prefix such as "market.*", or "*"'),
    market: str | None = typer.Option(None, "--market", help="only events of this market"),
    limit: int = typer.Option(50, "--limit", min=1, max=200),
    as_email: str | None = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Outbox events, oldest first (an operator limited to markets sees only theirs)."""
    with uow(write=False) as session:
        rows, _ = service.list_events(session, actor=cli_actor(session, as_email), type=type, market=market,
                                      page_size=limit)
        items = [EventOut.model_validate(r) for r in rows]
    if as_json:
        dump(items)
        return
    for e in items:
        _line(f"{e.id}  {e.occurred_at.isoformat()}  {e.market or '--'}  {e.type}"
                      + ("" if e.dispatched else "  (not dispatched yet)"))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="webhooks", help="Webhook subscriptions and deliveries.")
