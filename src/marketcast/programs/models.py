"""Tables of the programs area: programs, their versions, enrollments, closed periods and each shop's standing.

A program's definition lives in versions: version n applies from `applies_from` (a period start) until the next
version's; a closed period records the version it was judged by, and its standings never change (a clawback is
marked on the standing and booked as a new ledger entry). No foreign keys to other areas' tables (shops)."""

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketcast.core.db import Base, IdColumn, JSONType, UTCDateTime


class Program(Base):
    __tablename__ = "programs"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    market: Mapped[str] = mapped_column(String(2))
    cadence: Mapped[str] = mapped_column(String(8))  # weekly | monthly
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)  # the latest version (it may apply only from the next period)
    # The end of the last closed period (starts_at before the first one): the worker moves it with a guarded
    # UPDATE … WHERE closed_through = <the period's start>, so a period closes once however many workers run.
    closed_through: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("cadence IN ('weekly', 'monthly')", name="cadence"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="dates"),
        Index("ix_programs_market", "market", "starts_at"),
        Index("ix_programs_due", "closed_through"),
    )


class ProgramVersion(Base):
    """One definition of a program: name, description, eligibility, criteria, benefits, auto_enroll (JSON as the
    API takes them), in force for the periods that start from `applies_from`."""

    __tablename__ = "program_versions"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    applies_from: Mapped[datetime] = mapped_column(UTCDateTime())
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(2000))
    auto_enroll: Mapped[bool] = mapped_column(Boolean)
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSONType)
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    benefits: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("program_id", "version", name="uq_program_versions_version"),)


class Enrollment(Base):
    """A shop in a program: enrolled (by itself, an operator or the auto-enrollment job) or excluded by an
    operator with a reason (an excluded shop is never enrolled again automatically)."""

    __tablename__ = "program_enrollments"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    shop_id: Mapped[str] = mapped_column(IdColumn)
    status: Mapped[str] = mapped_column(String(10))  # enrolled | excluded
    source: Mapped[str] = mapped_column(String(10))  # shop | operator | auto
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    excluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    excluded_by: Mapped[str | None] = mapped_column(String(254))
    reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        UniqueConstraint("program_id", "shop_id", name="uq_program_enrollments_shop"),
        CheckConstraint("status IN ('enrolled', 'excluded')", name="status"),
        Index("ix_program_enrollments_shop", "shop_id"),
    )


class ProgramPeriod(Base):
    """A closed period: judged once, by the version in force at its start."""

    __tablename__ = "program_periods"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)
    enrolled: Mapped[int] = mapped_column(Integer)
    qualified: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("program_id", "period_start", name="uq_program_periods_start"),)


class Standing(Base):
    """A shop's result for a closed period: the figures, what was still needed, the explanation and the benefit
    (`benefit`: {referral_fee_discount_bps, reward: {amount, currency}, rank}), and where finance booked it."""

    __tablename__ = "program_standings"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    period_id: Mapped[str] = mapped_column(ForeignKey("program_periods.id", ondelete="CASCADE"))
    program_id: Mapped[str] = mapped_column(IdColumn)
    shop_id: Mapped[str] = mapped_column(IdColumn)
    qualifies: Mapped[bool] = mapped_column(Boolean)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType)
    needed: Mapped[dict[str, Any]] = mapped_column(JSONType)
    explanation: Mapped[str] = mapped_column(String(2000))
    benefit: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    fee_discount_id: Mapped[str | None] = mapped_column(IdColumn)
    ledger_entry_id: Mapped[str | None] = mapped_column(IdColumn)
    clawed_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    clawback_reason: Mapped[str | None] = mapped_column(String(500))
    clawback_by: Mapped[str | None] = mapped_column(String(254))
    clawback_entry_id: Mapped[str | None] = mapped_column(IdColumn)

    __table_args__ = (
        UniqueConstraint("period_id", "shop_id", name="uq_program_standings_shop"),
        Index("ix_program_standings_shop", "shop_id", "program_id"),
    )
