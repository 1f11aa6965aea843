"""The sandbox clock: `MARKETCAST_CLOCK_START` makes business time start at that instant and run on from there,
as Stripe's test clocks let a sandbox travel in time without touching the system clock.

Every process (server workers, the worker, the CLI) must agree on the business time, so the anchor is kept in the
database: the first process to see a start that is not recorded yet writes (start, the real time it saw it); the
others read it and run at the same distance from real time. Changing the setting starts the sandbox again from
the new instant."""

from datetime import datetime, timedelta

from sqlalchemy import Integer, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketcast.core import clock
from marketcast.core.db import Base, UTCDateTime, new_session
from marketcast.core.errors import Conflict
from marketcast.core.settings import get_settings


class SandboxClock(Base):
    __tablename__ = "sandbox_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1: one clock per installation
    start: Mapped[datetime] = mapped_column(UTCDateTime())  # the MARKETCAST_CLOCK_START it was made for
    anchor: Mapped[datetime] = mapped_column(UTCDateTime())  # the real time at which business time was `start`


def configured_start() -> datetime | None:
    start = get_settings().clock_start
    return clock.as_utc(start) if start is not None else None


def is_active() -> bool:
    return configured_start() is not None


def install() -> datetime | None:
    """Apply the sandbox clock to this process when it is configured; the business time it is now, or None.
    Before the database is migrated the clock starts from this process's own start (nothing to share yet)."""
    start = configured_start()
    if start is None:
        clock.set_offset(timedelta(0))
        return None
    clock.set_offset(_shared_offset(start))
    return clock.now()


def _shared_offset(start: datetime) -> timedelta:
    for _ in range(2):  # a second try when another process recorded the clock at the same moment
        session = new_session()
        try:
            row = _current(session, start)
            session.commit()
            return row.start - row.anchor
        except IntegrityError:
            session.rollback()
        except DBAPIError:  # no sandbox_clock table yet (db upgrade has not run): this process alone
            session.rollback()
            return start - clock.wall_now()
        finally:
            session.close()
    raise Conflict("the sandbox clock is being set by another process; try again", code="sandbox_clock_busy")


def _current(session: Session, start: datetime) -> SandboxClock:
    row = session.scalar(select(SandboxClock).where(SandboxClock.id == 1).with_for_update())
    if row is None:
        row = SandboxClock(id=1, start=start, anchor=clock.wall_now())
        session.add(row)
    elif row.start != start:  # a new start: the sandbox begins again there
        row.start, row.anchor = start, clock.wall_now()
    return row
