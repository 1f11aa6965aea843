"""The finance area's worker jobs, each in its own transaction."""

from marketcast.core.db import unit_of_work
from marketcast.finance import statements


def close_statements() -> int:
    """Close the shops' statements of the period that ended (each shop in its own savepoint)."""
    with unit_of_work() as session:
        return statements.close_due(session)


JOBS = {"finance_settlement": close_statements}
