"""Who is in a program: shops enroll (or an operator enrolls them, or the worker does when the program says
so), operators exclude with a reason. The unique (program, shop) row holds it: an excluded shop is never enrolled
again by the job, and two enrollments at once make one row."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marketcast.core import clock
from marketcast.core.auth.actor import Actor
from marketcast.core.db import upsert_insert
from marketcast.core.errors import Conflict, Forbidden, Invalid
from marketcast.core.ids import new_id
from marketcast.core.text import reason as check_reason
from marketcast.programs import definitions, rules
from marketcast.programs.models import Enrollment, Program
from marketcast.sellers import service as sellers

_WHY = {
    "shop_type_not_eligible": "the program is not open to {type} shops",
    "shop_mode_not_eligible": "the program is not open to {mode} shops",
    "shop_status_not_eligible": "a {status} shop cannot enroll",
}


def _open_program(session: Session, program_id: str, now: datetime) -> Program:
    program = definitions.get(session, program_id)
    if program.ends_at is not None and program.ends_at <= now:
        raise Conflict(f"program {program.id} ended at {program.ends_at.isoformat()}", code="program_ended")
    return program


def eligibility_now(session: Session, program: Program, now: datetime) -> dict[str, list[str]]:
    """The eligibility of the version in force now (the first version before the program starts)."""
    return definitions.version_for(session, program.id, max(now, program.starts_at)).eligibility


def check_shop(session: Session, program: Program, shop, now: datetime) -> None:
    if shop.market != program.market:
        raise Invalid(f"the shop sells in {shop.market}, the program is for {program.market}",
                      code="shop_not_in_market", field="shop_id")
    why = rules.why_not_eligible(shop_type=shop.shop_type, mode=shop.mode, status=shop.status,
                                 eligibility=eligibility_now(session, program, now))
    if why is not None:
        detail = _WHY[why].format(type=shop.shop_type, mode=shop.mode, status=shop.status)
        error = Conflict if why == "shop_status_not_eligible" else Invalid
        raise error(detail, code=why, field="shop_id")


def _insert(session: Session, rows: list[dict]) -> int:
    if not rows:
        return 0
    # RETURNING counts the rows actually inserted on both databases (a skipped conflict returns nothing).
    stmt = upsert_insert(session, Enrollment.__table__).values(rows).on_conflict_do_nothing(
        index_elements=["program_id", "shop_id"]).returning(Enrollment.__table__.c.id)
    return len(session.execute(stmt).all())


def enroll(session: Session, *, program_id: str, shop_id: str, actor: Actor) -> Enrollment:
    """The shop's seller, or an operator of the program's market, enrolls an eligible shop."""
    now = clock.now()
    program = _open_program(session, program_id, now)
    if actor.is_operator:
        actor.require_market(program.market)
        shop = sellers.get_shop(session, shop_id)
    elif actor.role == "seller":
        shop = sellers.require_shop_owner(session, shop_id=shop_id, actor=actor)
    else:
        raise Forbidden("shops enroll through their seller or an operator", code="wrong_role")
    check_shop(session, program, shop, now)
    _refuse_existing(session, program.id, shop.id)
    added = _insert(session, [{"id": new_id("pen"), "program_id": program.id, "shop_id": shop.id,
                               "status": "enrolled", "source": "operator" if actor.is_operator else "shop",
                               "enrolled_at": now}])
    if not added:  # enrolled or excluded by someone else meanwhile
        _refuse_existing(session, program.id, shop.id)
    return _get(session, program.id, shop.id)


def _get(session: Session, program_id: str, shop_id: str) -> Enrollment:
    return session.scalars(select(Enrollment).where(Enrollment.program_id == program_id,
                                                    Enrollment.shop_id == shop_id)).one()


def _refuse_existing(session: Session, program_id: str, shop_id: str) -> None:
    found = session.scalar(select(Enrollment.status).where(Enrollment.program_id == program_id,
                                                           Enrollment.shop_id == shop_id))
    if found == "enrolled":
        raise Conflict("the shop is already enrolled", code="already_enrolled", field="shop_id")
    if found == "excluded":
        raise Conflict("an operator excluded the shop from this program", code="shop_excluded", field="shop_id")


def exclude(session: Session, *, program_id: str, shop_id: str, reason: str, actor: Actor) -> Enrollment:
    """An operator excludes a shop (enrolled or not, so that auto-enrollment leaves it out), with a reason."""
    if not actor.is_operator:
        raise Forbidden("only operators exclude shops", code="wrong_role")
    program = definitions.get(session, program_id)
    actor.require_market(program.market)
    why = check_reason(reason)
    shop = sellers.get_shop(session, shop_id)
    if shop.market != program.market:
        raise Invalid(f"the shop sells in {shop.market}", code="shop_not_in_market", field="shop_id")
    now = clock.now()
    values = {"status": "excluded", "excluded_at": now, "excluded_by": actor.email, "reason": why}
    changed = session.execute(update(Enrollment.__table__).where(
        Enrollment.program_id == program.id, Enrollment.shop_id == shop.id, Enrollment.status == "enrolled")
        .values(**values).returning(Enrollment.__table__.c.id)).all()
    if not changed and not _insert(session, [{"id": new_id("pen"), "program_id": program.id, "shop_id": shop.id,
                                              "source": "operator", "enrolled_at": now, **values}]):
        raise Conflict("the shop is already excluded", code="shop_excluded", field="shop_id")
    session.expire_all()
    return _get(session, program.id, shop.id)


def auto_enroll(session: Session) -> int:
    """Every eligible shop of each running program that enrolls automatically, set-based: one query for the
    shops, one INSERT … ON CONFLICT DO NOTHING (enrolled and excluded shops are left as they are)."""
    now, added = clock.now(), 0
    running = session.scalars(select(Program).where((Program.ends_at.is_(None)) | (Program.ends_at > now))
                              .order_by(Program.id))
    for program in list(running):
        version = definitions.version_for(session, program.id, max(now, program.starts_at))
        if not version.auto_enroll:
            continue
        who = version.eligibility
        ids = sellers.shop_ids_matching(session, market=program.market, shop_types=who["shop_types"],
                                        modes=who["modes"], statuses=who["shop_statuses"])
        for i in range(0, len(ids), 1000):
            added += _insert(session, [{"id": new_id("pen"), "program_id": program.id, "shop_id": shop_id,
                                        "status": "enrolled", "source": "auto", "enrolled_at": now}
                                       for shop_id in ids[i:i + 1000]])
    return added


def enrolled_ids(session: Session, program_id: str) -> list[str]:
    return list(session.scalars(select(Enrollment.shop_id).where(Enrollment.program_id == program_id,
                                                                 Enrollment.status == "enrolled")
                                .order_by(Enrollment.shop_id)))


def of_program(session: Session, *, program_id: str, actor: Actor) -> list[Enrollment]:
    """Operators see every shop of the program; a seller only their own shops'."""
    program = definitions.get(session, program_id)
    stmt = select(Enrollment).where(Enrollment.program_id == program.id)
    if not actor.is_operator:
        own = [s.id for s in sellers.shops_of(session, actor=actor)]
        stmt = stmt.where(Enrollment.shop_id.in_(own))
    return list(session.scalars(stmt.order_by(Enrollment.shop_id)))


def of_shop(session: Session, *, shop_id: str) -> dict[str, Enrollment]:
    rows = session.scalars(select(Enrollment).where(Enrollment.shop_id == shop_id))
    return {e.program_id: e for e in rows}


def open_to(session: Session, *, shop) -> list[tuple[Program, Enrollment | None, str | None]]:
    """The programs of the shop's market that have not ended, each with the shop's enrollment (if any) and why
    it may not enroll (None: it may, or it is in)."""
    now = clock.now()
    mine = of_shop(session, shop_id=shop.id)
    out = []
    for program in session.scalars(select(Program).where(Program.market == shop.market,
                                                         (Program.ends_at.is_(None)) | (Program.ends_at > now))
                                   .order_by(Program.starts_at, Program.id)):
        found = mine.get(program.id)
        why = None if found else rules.why_not_eligible(shop_type=shop.shop_type, mode=shop.mode,
                                                        status=shop.status,
                                                        eligibility=eligibility_now(session, program, now))
        out.append((program, found, why))
    return out
