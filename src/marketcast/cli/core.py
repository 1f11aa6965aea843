"""serve, worker, db, users, tokens."""

import sys

import typer

from marketcast.cli.common import console, err_console, uow
from marketcast.core.auth import service as auth

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema."""
    from marketcast.core.migrate import upgrade

    upgrade()
    console.print("database is up to date")


@users_app.command("create")
def users_create(
    email: str,
    role: str = typer.Option(..., "--role", help="operator, seller, creator or buyer"),
    markets: str | None = typer.Option(None, "--markets", help="operator only: comma-separated market codes"),
    password: str | None = typer.Option(None, "--password", help="for console login"),
) -> None:
    """Create a user."""
    with uow() as session:
        user = auth.create_user(session, email=email, role=role, password=password,
                                markets=markets.split(",") if markets else None)
        console.print(f"created {user.id} {user.email} ({user.role})")


@users_app.command("set-password")
def users_set_password(email: str, password: str = typer.Option(..., "--password")) -> None:
    """Set a user's console password."""
    with uow() as session:
        auth.set_password(session, email=email, password=password)
    console.print("password set")


@tokens_app.command("create")
def tokens_create(email: str) -> None:
    """Issue an API token for a user; prints the token alone on stdout."""
    with uow() as session:
        token = auth.issue_token(session, user=auth.get_user_by_email(session, email))
    sys.stdout.write(token + "\n")


@tokens_app.command("revoke")
def tokens_revoke(email: str) -> None:
    """Revoke every API token of a user."""
    with uow() as session:
        count = auth.revoke_tokens(session, email=email)
    console.print(f"revoked {count} token(s) of {email}")


def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers"),
    with_worker: bool = typer.Option(False, "--with-worker",
                                     help="also run the worker loop in a child process; Ctrl-C stops both"),
) -> None:
    """Serve the API and console (with --with-worker, the background jobs too: one command for a whole install)."""
    import uvicorn

    from marketcast.core.db import get_engine
    from marketcast.core.migrate import pending
    from marketcast.core.settings import get_settings

    current, head = pending(get_engine())
    if current != head:
        err_console.print(f"[red]the database is at revision {current or 'none'} but this code needs {head}[/red]: "
                          "run `marketcast db upgrade` first")
        raise typer.Exit(1)

    # Requests still running after SIGTERM get serve_shutdown_seconds, then are cancelled (their database calls
    # end within the statement and lock timeouts). A worker gets a minute to start: on a busy machine importing
    # the app takes longer than uvicorn's 5 s health check, which then kills and restarts it over and over.
    def run() -> None:
        # With several workers uvicorn's supervisor pings each one and replaces it after 5 s of silence, which on
        # a busy host kills workers that are still importing, over and over; two minutes tell slow from hung.
        uvicorn.run("marketcast.app:create_app", factory=True, host=host, port=port, workers=workers,
                    timeout_graceful_shutdown=get_settings().serve_shutdown_seconds, timeout_worker_healthcheck=120)

    if with_worker:
        from marketcast.cli.supervise import serve_with_worker

        serve_with_worker(run)
    else:
        run()


def worker(once: bool = typer.Option(False, "--once", help="do what is due now, then exit"),
           parent_pid: int | None = typer.Option(None, "--parent-pid", hidden=True,
                                                 help="stop when this process is gone (serve --with-worker)")) -> None:
    """Run the background loop: policy activations, webhook delivery."""
    from marketcast import worker as loop
    from marketcast.core import clock

    if once:
        done = loop.run_once()
        console.print(", ".join(f"{name}: {count}" for name, count in done.items()))
        console.print(f"as of {clock.now().isoformat()}", highlight=False)
    else:
        loop.run_forever(parent_pid=parent_pid)


def clock_show() -> None:
    """The business time this installation decides by (the sandbox clock's when MARKETCAST_CLOCK_START is set)."""
    from marketcast.core import clock, sandbox

    kind = "sandbox clock" if sandbox.is_active() else "real time"
    console.print(f"{clock.now().isoformat()} ({kind})", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("clock")(clock_show)
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
