"""The `marketcast` command. Each business area adds its own group from a module beside this one."""

import typer
from sqlalchemy.exc import DBAPIError

import marketcast.affiliate.handlers  # noqa: F401  (affiliate subscribes to the orders hooks)
from marketcast.cli import (
    affiliate,
    applications,
    catalog,
    creators,
    markets,
    orders,
    policies,
    reports,
    scenario,
    webhooks,
)
from marketcast.cli import core as core_cmds
from marketcast.cli.common import err_console

app = typer.Typer(help="Marketcast: run a social-commerce marketplace.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
core_cmds.register(app)
app.add_typer(markets.app, name="markets", help="Markets, launch windows and waitlists.")
app.add_typer(policies.app, name="policy", help="Versioned per-market policies.")
app.add_typer(applications.app, name="applications", help="Seller applications: review queue, decisions.")
app.add_typer(creators.app, name="creators", help="Creators: follower counts, affiliate status, import.")
app.add_typer(catalog.app, name="products", help="Products, SKUs and stock.")
app.add_typer(orders.app, name="orders", help="Orders, payments and refunds.")
app.add_typer(reports.app, name="reports", help="GMV reports.")
app.add_typer(webhooks.app, name="webhooks", help="Webhook subscriptions and deliveries.")
app.add_typer(scenario.app, name="scenario", help="Replay known situations into the database.")
affiliate.register(app)


def main() -> None:
    try:
        app()
    except DBAPIError as exc:
        # Most often a database that was never migrated; say what to do instead of a traceback.
        err_console.print(f"[red]database error[/red]: {str(exc.orig).splitlines()[0]}\n"
                          "Is the database migrated? Run `marketcast db upgrade` "
                          "(MARKETCAST_DATABASE_URL names the database).", highlight=False)
        raise SystemExit(1) from None
