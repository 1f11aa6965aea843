"""The `marketcast` command. Each business area adds its own group from a module beside this one."""

import typer
from sqlalchemy.exc import DBAPIError

from marketcast import areas
from marketcast.cli.common import err_console
from marketcast.core.modules import submodules

app = typer.Typer(help="Marketcast: run a social-commerce marketplace.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
areas.load()


@app.callback()
def _business_time() -> None:
    """Marketcast: run a social-commerce marketplace."""
    from marketcast.core import sandbox

    sandbox.install()  # every command decides by the same business time as the server and the worker


for _module in submodules(__name__):  # each group registers itself: cli/<name>.py's register(app)
    if hasattr(_module, "register"):
        _module.register(app)


def main() -> None:
    try:
        app()
    except DBAPIError as exc:
        # Most often a database that was never migrated; say what to do instead of a traceback.
        err_console.print(f"[red]database error[/red]: {str(exc.orig).splitlines()[0]}\n"
                          "Is the database migrated? Run `marketcast db upgrade` "
                          "(MARKETCAST_DATABASE_URL names the database).", highlight=False)
        raise SystemExit(1) from None
