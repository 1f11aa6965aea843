"""Payment providers. The engine talks to one through `PaymentProvider`; the built-in `test` provider
answers by card number the way real providers' test cards do, so flows (decline, error, slow) can be tried
without a network. No provider is ever called while a transaction or row lock is held (see service.pay)."""

import time
import uuid
from dataclasses import dataclass
from typing import Literal, Protocol

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketcast.catalog import service as catalog
from marketcast.core import clock, outbox
from marketcast.core.auth.actor import Actor
from marketcast.core.db import rowcount
from marketcast.core.errors import Conflict, DomainError, Invalid
from marketcast.core.ids import new_id
from marketcast.core.settings import get_settings
from marketcast.orders import hooks
from marketcast.orders import service as orders
from marketcast.orders.events import OrderPaid
from marketcast.orders.models import PaymentAttempt
from marketcast.reports import service as reports
from marketcast.sellers import service as sellers

Outcome = Literal["approved", "declined", "error"]


@dataclass(frozen=True)
class Result:
    status: Outcome
    reference: str
    message: str = ""
    decline_code: str | None = None


class PaymentProvider(Protocol):
    name: str

    def validate(self, card_number: str) -> None:
        """Raise Invalid(field="card_number") for a number this provider would never charge."""

    def charge(self, *, amount: int, currency: str, card_number: str, reference: str) -> Result: ...

    def status(self, *, reference: str) -> Result | None:
        """What became of the charge made with `reference` (our attempt id), or None when the provider never
        received it. Used to settle attempts whose answer was lost in a crash (orders.reconcile)."""


class PaymentRequired(DomainError):
    """The charge was not approved; the order stays pending_payment and may be paid again."""

    status = 402
    code = "card_declined"


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        digit = int(ch)
        if i % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def check_card_number(card_number: str) -> str:
    """Digits only (spaces and dashes allowed between them), 12..19 long, passing the Luhn check."""
    digits = card_number.replace(" ", "").replace("-", "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise Invalid("card_number must be 12 to 19 digits", code="invalid_card_number", field="card_number")
    if not luhn_ok(digits):
        raise Invalid("card_number fails the Luhn check (a mistyped number)", code="invalid_card_number",
                      field="card_number")
    return digits


# Stripe's documented test cards, by what they do.
APPROVE = "4242424242424242"
DECLINE = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
PROCESSING_ERROR = "4000000000000119"
SLOW = "4000000000000077"


class TestProvider:
    name = "test"
    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        # What it charged, by reference, as a real provider keeps it (in memory: one process's test charges).
        self._charges: dict[str, Result] = {}

    def validate(self, card_number: str) -> None:
        digits = check_card_number(card_number)
        if digits not in (APPROVE, DECLINE, INSUFFICIENT_FUNDS, PROCESSING_ERROR, SLOW):
            raise Invalid("the test provider takes only its test cards (4242424242424242 approves)",
                          code="invalid_card_number", field="card_number")

    def charge(self, *, amount: int, currency: str, card_number: str, reference: str) -> Result:
        self._charges[reference] = result = self._answer(check_card_number(card_number))
        return result

    def _answer(self, digits: str) -> Result:
        ref = f"ch_test_{uuid.uuid4().hex[:24]}"
        if digits == DECLINE:
            return Result("declined", ref, "the card was declined", "card_declined")
        if digits == INSUFFICIENT_FUNDS:
            return Result("declined", ref, "the card has insufficient funds", "insufficient_funds")
        if digits == PROCESSING_ERROR:
            return Result("error", ref, "an error occurred while processing the card", "processing_error")
        if digits == SLOW:
            time.sleep(get_settings().payment_test_slow_seconds)
        return Result("approved", ref, "approved")

    def status(self, *, reference: str) -> Result | None:
        return self._charges.get(reference)


_PROVIDERS: dict[str, PaymentProvider] = {"test": TestProvider()}


def get_provider(name: str = "test") -> PaymentProvider:
    return _PROVIDERS[name]


def register(provider: PaymentProvider) -> None:
    """Plug in another provider (a real gateway, or a fake in tests)."""
    _PROVIDERS[provider.name] = provider


# --- Paying an order: tx1 `begin`, the provider call with no transaction open, tx2 `finish`. -------------


@dataclass(frozen=True)
class Started:
    order_id: str
    attempt_id: str | None  # None: the order was paid already; nothing to charge
    amount: int
    currency: str


def begin(session: Session, *, order_id: str, actor: Actor, provider: str, card_number: str) -> Started:
    """Record a processing attempt on the locked order (409 payment_in_progress if one is in flight)."""
    order = orders.get_order(session, order_id, lock=True)
    orders.require_buyer(order, actor)
    if order.paid_at is not None:
        return Started(order.id, None, order.total_amount, order.currency)
    if order.status != "pending_payment":
        raise Conflict(f"order {order.id} is {order.status} and cannot be paid", code="order_not_payable",
                       status_now=order.status)
    now = clock.now()
    if now >= order.expires_at:
        raise Conflict(f"order {order.id} expired unpaid at {order.expires_at.isoformat()}", code="order_expired")
    if order.payment_started_at is not None:
        if orders.payment_in_flight(order, now):
            raise Conflict("a payment for this order is being processed; wait for its result",
                           code="payment_in_progress")
        session.execute(update(PaymentAttempt)
                        .where(PaymentAttempt.order_id == order.id, PaymentAttempt.status == "processing")
                        .values(status="error", decline_code="abandoned", message="no result in time",
                                finished_at=now), execution_options={"synchronize_session": False})
    attempt = PaymentAttempt(id=new_id("pay"), order_id=order.id, provider=provider, status="processing",
                             reference="", card_last4=card_number[-4:], amount=order.total_amount,
                             currency=order.currency, created_at=now)
    session.add(attempt)
    order.payment_started_at = now
    try:
        session.flush()
    except IntegrityError:  # the partial unique index: another attempt got in first
        raise Conflict("a payment for this order is being processed", code="payment_in_progress") from None
    return Started(order.id, attempt.id, attempt.amount, attempt.currency)


def finish(session: Session, *, started: Started, result: Result) -> PaymentAttempt:
    """Record the provider's answer; an approval makes the order paid and moves stock, GMV and the shop's
    counter in this same transaction."""
    order = orders.get_order(session, started.order_id, lock=True)
    now = clock.now()
    answer = {"status": result.status, "reference": result.reference[:100], "finished_at": now,
              "decline_code": result.decline_code, "message": (result.message or None) and result.message[:300]}
    # Guarded on `processing`: an attempt taken for lost meanwhile (marked error/abandoned by a newer begin or by
    # expiry) no longer owns the order's in-flight marker, which may belong to a newer attempt still charging.
    ours = rowcount(session.execute(update(PaymentAttempt)
                           .where(PaymentAttempt.id == started.attempt_id, PaymentAttempt.status == "processing")
                           .values(**answer).execution_options(synchronize_session=False))) == 1
    attempt = session.get(PaymentAttempt, started.attempt_id, populate_existing=True)
    assert attempt is not None, "begin made the attempt and attempts are never deleted"
    if ours:
        order.payment_started_at = None
    elif result.status == "approved":
        # The lost attempt was charged after all: money moved, so it goes on record (and below pays or asks a void).
        for name, value in answer.items():
            setattr(attempt, name, value)
    if result.status != "approved":
        return attempt
    if order.status != "pending_payment":
        # Only after a lost attempt was taken over: the charge went through but the order was paid or cancelled
        # meanwhile. Recorded for the operator to void; the order is not touched.
        attempt.decline_code = "order_not_payable"
        attempt.message = f"approved after the order became {order.status}: void this charge"
        return attempt
    order.status, order.paid_at, order.updated_at = "paid", now, now
    lines = orders.lines_of(session, order.id)
    catalog.confirm_sale(session, quantities={line.sku_id: line.quantity for line in lines})
    reports.record_sale(session, market=order.market, shop_id=order.shop_id, currency=order.currency,
                        amount=order.total_amount, units=sum(line.quantity for line in lines), orders=1, at=now)
    reports.record_attributed_sale(session, market=order.market, shop_id=order.shop_id, currency=order.currency,
                                   parts=orders.attributed_parts(lines), at=now)
    sellers.record_paid_order(session, shop_id=order.shop_id)
    hooks.order_paid.fire(session, hooks.OrderPaid(order, lines))
    outbox.emit(session, OrderPaid(order_id=order.id, shop_id=order.shop_id, buyer_id=order.buyer_id,
                                   market=order.market, status=order.status, amount=order.total_amount,
                                   currency=order.currency, payment_id=attempt.id), market=order.market)
    return attempt


def charge(provider: PaymentProvider, *, started: Started, card_number: str) -> Result:
    """Call the provider; any exception becomes an `error` result so the attempt never stays processing."""
    try:
        return provider.charge(amount=started.amount, currency=started.currency, card_number=card_number,
                               reference=started.attempt_id or "")
    except Exception as exc:  # a provider's network or library failure
        return Result("error", "", f"provider failure: {type(exc).__name__}", "provider_error")


def refusal(attempt: PaymentAttempt) -> DomainError | None:
    """The error to answer with once the attempt is committed, or None when the order is paid."""
    if attempt.status == "approved" and attempt.decline_code is None:
        return None
    if attempt.status == "approved":
        return Conflict(attempt.message or "the order is no longer payable", code="order_not_payable")
    if attempt.status == "declined":
        return PaymentRequired(attempt.message or "the card was declined", code="card_declined",
                               decline_code=attempt.decline_code, payment_id=attempt.id)
    return PaymentRequired(attempt.message or "the payment failed", code="payment_failed",
                           decline_code=attempt.decline_code, payment_id=attempt.id)
