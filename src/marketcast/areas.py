"""The business areas, in layer order (bottom first), and what each declares in its own package.

An area is a package `marketcast.<name>` with the rooms it needs; the entry points collect them from here, so a
new area is new files plus one name below (and its place in the import-linter layers), not edits in the app,
the CLI and the worker:

- `models`   tables (Alembic and the tests need every one registered)
- `api`      `router`, mounted by the app
- `handlers` subscriptions to lower areas' hook points (core/hooks.py), made at import
- `jobs`     `JOBS`, a dict of name → callable returning how many things it did, run by the worker
- `asgi`     `MIDDLEWARE`, ASGI middleware classes (each called with the app) that answer some requests before
             routing, mounted by the app inside its size limit and text guard (a sold-out deal's checkouts)

The CLI groups (`marketcast/cli/<module>.py`, each with `register(app)`) and the console pages
(`marketcast/web/<module>.py`, each with a `router`) are found by their own packages (core.modules)."""

import importlib
import importlib.util
from collections.abc import Callable, Iterator
from functools import cache
from types import ModuleType

AREAS = ("markets", "webhooks", "policies", "sellers", "creators", "catalog", "reports", "orders", "affiliate",
         "live", "finance", "programs")
# The worker runs every area's jobs in layer order, then the delivery of what they emitted.
DELIVERY_AREA = "webhooks"


def rooms(room: str) -> Iterator[tuple[str, ModuleType]]:
    """(area, module) for each area that has `room`, in layer order."""
    for area in AREAS:
        module = _optional(f"marketcast.{area}.{room}")
        if module is not None:
            yield area, module


def _optional(name: str) -> ModuleType | None:
    package = name.rsplit(".", 1)[0]
    if importlib.util.find_spec(package) is None or importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


@cache
def load() -> None:
    """Import every area's models and hook handlers (and core's tables), so tables and subscriptions are
complete."""
    import marketcast.core.auth.models  # noqa: F401
    import marketcast.core.idempotency  # noqa: F401
    import marketcast.core.outbox  # noqa: F401
    import marketcast.core.sandbox  # noqa: F401

    for room in ("models", "handlers"):
        list(rooms(room))


def routers() -> list:
    load()
    return [module.router for _, module in rooms("api")]


def middleware() -> list:
    """The areas' ASGI pieces, bottom area first (the app adds them so that the first one is outermost)."""
    load()
    return [piece for _, module in rooms("asgi") for piece in module.MIDDLEWARE]


def jobs() -> dict[str, Callable[[], int]]:
    from marketcast.core import jobs as core_jobs

    load()
    found = [("core", core_jobs.JOBS)] + [(area, module.JOBS) for area, module in rooms("jobs")]
    ordered = [j for area, j in found if area != DELIVERY_AREA] + [j for area, j in found if area == DELIVERY_AREA]
    return {name: job for table in ordered for name, job in table.items()}

