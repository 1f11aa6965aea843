"""The catalogue of error codes: every `code` the API, the CLI or the console can answer with, its HTTP status
and what it means. A `DomainError` with a code that is not here cannot be raised (see `core.errors`), the
OpenAPI document declares these codes per operation (docs/adr/0021), and `docs/errors.md` is rendered from
this table (tests/contract/test_error_catalogue.py keeps it current).

A new code is one line in its area's section: `code, status, meaning`. One code, one status: a code names
one kind of problem, so a client can switch on it."""

from dataclasses import dataclass

PROBLEM_TYPE_BASE = "https://marketcast.dev/problems/"


@dataclass(frozen=True)
class ErrorType:
    code: str
    status: int
    meaning: str

    @property
    def title(self) -> str:
        return self.code.replace("_", " ").capitalize()

    @property
    def type_uri(self) -> str:
        return PROBLEM_TYPE_BASE + self.code


_ENTRIES: tuple[tuple[str, int, str], ...] = (
    # Any operation: the request itself, authentication, the HTTP layer.
    ("bad_request", 400, "The request cannot be understood as sent."),
    ("validation_error", 422, "A value is missing, of the wrong type or out of range; `field` names it."),
    ("unauthenticated", 401, "The operation needs a Bearer token and none was sent."),
    ("invalid_token", 401, "The Authorization header is not 'Bearer <token>', or the token is unknown, expired "
                           "or revoked."),
    ("wrong_role", 403, "The caller's role may not do this (e.g. a buyer calling an operator's operation)."),
    ("market_out_of_scope", 403, "The operator is limited to other markets than the one this touches."),
    ("not_owner", 403, "The resource belongs to another user."),
    ("user_required", 403, "Only a signed-in user (not the system) can do this."),
    ("csrf_failed", 403, "A console form came without its valid CSRF token (console only)."),
    ("not_found", 404, "No such path."),
    ("page_not_found", 404, "No such console page (console only)."),
    ("invalid_amount", 422, "An amount typed in a console form is not a number of the currency (console only)."),
    ("method_not_allowed", 405, "The path exists but not with this HTTP method."),
    ("payload_too_large", 413, "The request body is larger than the server accepts."),
    ("unsupported_media_type", 415, "The request body's content type is not one this operation reads."),
    ("http_error", 400, "Another HTTP-level refusal; `status` says which."),
    ("too_many_requests", 429, "Too many attempts; retry after `retry_after` seconds (also the Retry-After "
                               "header)."),
    ("invalid_text", 422, "A NUL, a lone surrogate or a control character in a path, query or body; `field` "
                          "names where."),
    ("service_busy", 503, "Contention (no database connection in time, a lock or statement timeout); nothing was "
                          "done: retry after `retry_after` seconds."),
    ("sandbox_clock_busy", 409, "The sandbox clock is being set by another process; try again."),
    ("internal_error", 500, "A fault on the server's side; nothing was changed."),
    ("invalid_page_token", 422, "`page_token` is not a token this API issued for this list."),
    ("reason_required", 422, "A change needs a reason and none was given."),
    ("invalid_reason", 422, "The reason contains a NUL character."),
    ("reason_too_long", 422, "The reason is longer than the maximum."),
    # Users and tokens.
    ("user_not_found", 404, "No user with that email."),
    ("email_taken", 409, "A user with this email already exists."),
    ("weak_password", 422, "The password is too short or long, among the most used, or the email address."),
    ("invalid_credentials", 401, "Email or password is wrong."),
    # Idempotent writes (docs/adr/0008).
    ("idempotency_key_required", 400, "The operation needs an Idempotency-Key header."),
    ("invalid_idempotency_key", 422, "The Idempotency-Key is empty, longer than 255 characters or not printable."),
    ("idempotency_key_reused", 422, "This Idempotency-Key was used for another request (another body or "
                                    "endpoint); use a new key."),
    ("idempotency_in_progress", 409, "A request with this Idempotency-Key is still being processed; retry "
                                     "shortly."),
    # Markets.
    ("market_not_found", 404, "No market with that code."),
    ("invalid_market_code", 422, "Not an ISO 3166 alpha-2 country code."),
    ("invalid_market", 422, "A market must be a two-letter code."),
    ("unknown_market", 422, "The market named in the body does not exist."),
    ("invalid_name", 422, "A market name is empty, too long or has control characters."),
    ("invalid_currency", 422, "Not an ISO 4217 currency code."),
    ("invalid_timezone", 422, "Not an IANA time zone."),
    ("invalid_status", 422, "Not a status this operation accepts."),
    ("invalid_launch_window", 422, "Not a launch window (a date, a month or a quarter), or one a postponed "
                                   "market cannot have."),
    ("launch_window_not_allowed", 422, "A launch window only comes with a move from postponed back to planned."),
    ("market_exists", 409, "A market with this code already exists."),
    ("invalid_transition", 409, "The market cannot move from its status to the one asked for."),
    ("market_not_reschedulable", 409, "Only a planned or postponed market can be rescheduled."),
    ("window_unchanged", 409, "The market already has this launch window."),
    ("market_already_live", 409, "The market is live: there is no waitlist to join."),
    ("market_closed", 409, "The market is closed."),
    ("market_not_live", 409, "The market is not live yet (or paused): it cannot do this until it is."),
    # Policies.
    ("policy_not_found", 404, "No policy with that key."),
    ("policy_version_not_found", 404, "No policy version with that id."),
    ("invalid_policy_value", 422, "The value does not fit the policy's type or range."),
    ("effective_from_in_past", 422, "A new policy version takes effect from now on, never in the past."),
    ("policy_version_exists", 409, "The policy already has a version for this market from this instant."),
    ("policy_version_withdrawn", 409, "The policy version was already withdrawn."),
    ("policy_version_in_effect", 409, "The policy version is in effect: schedule a new version instead."),
    # Sellers, shops and applications.
    ("seller_not_found", 404, "No seller with that id."),
    ("shop_not_found", 404, "No shop with that id."),
    ("application_not_found", 404, "No application with that id."),
    ("file_too_large", 413, "The uploaded document is larger than the maximum."),
    ("unsupported_file_type", 415, "Only PDF, PNG and JPEG documents are accepted, named and typed as what they "
                                   "hold."),
    ("document_not_found", 404, "No document with that id on this application."),
    ("shop_not_suspendable", 409, "Only a shop on probation or active can be suspended."),
    ("shop_not_suspended", 409, "The shop is not suspended."),
    ("invalid_phone", 422, "A phone number has 7 to 15 digits (E.164)."),
    ("seller_exists", 409, "This user already has a seller profile."),
    ("seller_profile_required", 409, "Register the seller profile first (POST /api/v1/sellers)."),
    ("shop_exists", 409, "The seller already has a shop in this market."),
    ("application_exists", 409, "The seller already has an open application for this market."),
    ("application_not_open", 409, "The application was already decided."),
    ("rules_not_overridden", 409, "The application fails rules that the approval did not override by name "
                                  "(`failed` lists them)."),
    ("shop_cannot_sell", 409, "The shop is suspended or closed and cannot sell."),
    ("reevaluation_conflict", 409, "Applications changed while they were judged; run the re-evaluation again."),
    ("policy_not_simulated", 422, "Simulation covers the policies applications depend on; this key is not one."),
    # Catalog and stock.
    ("product_not_found", 404, "No product with that id."),
    ("sku_not_found", 404, "No SKU with that id."),
    ("duplicate_sku_code", 422, "Two SKUs of the product have the same code."),
    ("wrong_currency", 422, "A price is not in the currency of the shop's market."),
    ("shop_closed", 409, "The shop is closed."),
    ("product_not_live", 409, "The product is a draft: there is nothing to delist."),
    ("stock_changed", 409, "The SKU's available count is not the one expected; nothing was changed "
                           "(`available`, `reserved`, `sold` are the current counters)."),
    ("out_of_stock", 409, "An SKU does not have the units asked for (`sku_id`, `missing`); nothing was taken."),
    ("not_reserved", 409, "The units to sell or release are not reserved (internal consistency)."),
    ("not_sold", 409, "The units to restock were not sold (internal consistency)."),
    # Orders, payments and refunds.
    ("order_not_found", 404, "No order with that id."),
    ("not_your_order", 403, "The order is not the caller's (nor of the caller's shop or markets)."),
    ("shop_id_required", 422, "Sellers name one of their shops with `shop_id`."),
    ("unknown_sku", 422, "A line names an SKU that does not exist (`sku_id`)."),
    ("sku_not_on_sale", 422, "A line names an SKU of a product that is not live."),
    ("mixed_shops", 422, "One order buys from one shop."),
    ("mixed_currencies", 422, "One order is priced in one market and currency."),
    ("line_not_found", 422, "A refund line is not a line of this order."),
    ("refund_exceeds_quantity", 422, "A refund line asks for more units than are left to refund."),
    ("invalid_card_number", 422, "The card number is not 12 to 19 digits, fails the Luhn check, or is not a card "
                                 "the provider takes."),
    ("carrier_required", 422, "Shipping names the carrier."),
    ("tracking_number_required", 422, "Shipping gives the parcel's tracking number."),
    ("invalid_order_status", 409, "The order is not in a status this move starts from (`status_now`)."),
    ("order_not_payable", 409, "The order is not pending payment."),
    ("order_expired", 409, "The order expired unpaid; its stock is back on sale."),
    ("payment_in_progress", 409, "A payment for this order is being processed; wait for its result."),
    ("order_not_refundable", 409, "Only paid (shipped, delivered, completed) orders are refunded."),
    ("order_changed", 409, "The order changed meanwhile; reload it and look again."),
    ("daily_order_cap_reached", 409, "The shop is on probation and has reached its daily order cap (`cap`)."),
    ("card_declined", 402, "The card was declined (`decline_code`); the order stays pending payment."),
    ("payment_failed", 402, "The payment failed (`decline_code`); the order stays pending payment."),
    # Reports.
    ("invalid_date_range", 422, "`to` is before `from`, or the range is longer than a report covers."),
    ("currency_mismatch", 409, "The shop has amounts in more than one currency for the period."),
    # Creators.
    ("creator_not_found", 404, "No creator with that id."),
    ("invalid_handle", 422, "A handle is 2 to 30 characters of a-z, 0-9, '.' and '_'."),
    ("invalid_date_of_birth", 422, "A date of birth is a date between 1900 and today."),
    ("invalid_followers", 422, "A follower count is a whole number from 0 to the maximum."),
    ("as_of_in_future", 422, "Follower counts are reported for what happened: `as_of` is not in the future."),
    ("invalid_as_of", 422, "`as_of` is not an ISO date or date-time."),
    ("invalid_csv", 422, "The uploaded file is not UTF-8 text."),
    ("csv_rows_rejected", 422, "Rows of the CSV were rejected (`rejected`: line, code, field, reason each); "
                               "nothing was written."),
    ("invalid_csv_header", 422, "The first line of a follower CSV must be its header."),
    ("wrong_column_count", 422, "A CSV row has another number of columns than the header."),
    ("creator_exists", 409, "The user already has a creator profile in this market."),
    ("handle_taken", 409, "The handle is taken in this market."),
    ("creator_suspended", 409, "The creator is already suspended."),
    ("creator_not_suspended", 409, "The creator is not suspended."),
    # Affiliate.
    ("collaboration_not_found", 404, "No collaboration with that id."),
    ("commission_not_found", 404, "No commission with that id."),
    ("link_not_found", 404, "No affiliate link with that token."),
    ("member_not_found", 404, "The creator is not a member of this collaboration."),
    ("showcase_product_not_found", 404, "The product is not in the creator's showcase."),
    ("statement_not_found", 404, "No statement with that id."),
    ("action_not_found", 404, "No such action on this page (console only)."),
    ("not_your_creator", 403, "The creator profile is not the caller's."),
    ("unknown_link", 422, "The attribution names a link token that does not exist."),
    ("unknown_product", 422, "The body names a product that does not exist or is not live."),
    ("product_not_on_sale", 422, "The body names a product that is not live."),
    ("unknown_creator", 422, "The attribution names a creator that does not exist."),
    ("creator_not_in_market", 422, "The creator sells in another market than the product."),
    ("product_not_in_market", 422, "The product is sold in another market than the creator's."),
    ("product_not_in_showcase", 422, "The product is not in the creator's showcase."),
    ("creators_required", 422, "A targeted collaboration invites at least one creator."),
    ("products_required", 422, "Name the products (or offer all of them); shoppable content names at least one."),
    ("too_many_creators", 422, "A targeted collaboration invites at most the policy's number of creators (`limit`)."),
    ("too_many_products", 422, "A targeted collaboration offers at most the policy's number of products (`limit`)."),
    ("no_invites_made", 422, "No invite could be made: every creator or every product was refused (`conflicts`)."),
    ("ends_in_past", 422, "`ends_at` must be in the future."),
    ("rate_out_of_bounds", 422, "The commission rate is outside the policy's bounds (`min_rate_bps`..`max_rate_bps`)."),
    ("no_creator_profile", 409, "The caller has no creator profile in this market."),
    ("creator_not_affiliate", 409, "Affiliate work needs a pilot or active creator (`affiliate_status`)."),
    ("already_member", 409, "The creator is already a member of this collaboration."),
    ("not_invited", 409, "The creator is not invited to this targeted collaboration."),
    ("not_pending_approval", 409, "The creator has not asked to join."),
    ("collaboration_ended", 409, "The collaboration has ended."),
    ("wrong_collaboration_kind", 409, "The operation is for the other kind of collaboration (open or targeted)."),
    ("product_not_offered", 409, "No collaboration the creator joined offers this product."),
    ("showcase_full", 409, "The showcase holds at most the policy's number of products (`policy_key`, `limit`)."),
    ("pilot_weekly_limit", 409, "Pilot creators post at most the policy's number of shoppable videos, and host "
                                "at most its number of shoppable LIVEs, a week (`policy_key`, `limit`, "
                                "`week_start`)."),
    ("commission_not_freezable", 409, "Only pending or settleable commissions are frozen (`status_now`)."),
    ("commission_not_frozen", 409, "The commission is not frozen (`status_now`)."),
    # Programs (docs/adr/0022).
    ("program_not_found", 404, "No incentive program with that id."),
    ("unknown_metric", 422, "A criterion or a reward pool's `rank_by` names no metric (GET /api/v1/programs/metrics "
                            "lists them)."),
    ("metric_unavailable", 422, "The metric is listed but not reported yet (its area is not there): a program cannot "
                                "name it."),
    ("criterion_bounds", 422, "A criterion has exactly one of `min` and `max`."),
    ("duplicate_criterion", 422, "A program names each metric in at most one criterion."),
    ("criteria_required", 422, "A program has at least one criterion."),
    ("benefits_required", 422, "A program has at least one benefit."),
    ("duplicate_benefit", 422, "A program has at most one benefit of each kind."),
    ("discount_out_of_range", 422, "A referral-fee discount is 1 to 10,000 basis points."),
    ("invalid_pool_amount", 422, "A reward pool is a positive whole number of minor units."),
    ("pool_currency_not_market", 422, "A reward pool is in the market's currency."),
    ("invalid_top_n", 422, "A reward pool is split among at least one shop (`top_n` >= 1, at most 1,000)."),
    ("program_ends_before_starts", 422, "`ends_at` is after `starts_at`."),
    ("program_end_too_soon", 422, "A program's new end may not cut the period running now: it is at least the "
                                  "start of the next period."),
    ("program_overlaps", 422, "Another program of the market covers the same shops (shop types, modes and host "
                              "types intersect) over overlapping dates."),
    ("program_ended", 409, "The program has ended."),
    ("shop_not_in_market", 422, "The shop sells in another market than the program's."),
    ("shop_type_not_eligible", 422, "The program is not open to this shop's type (local / cross-border)."),
    ("shop_mode_not_eligible", 422, "The program is not open to this shop's mode (POP / managed)."),
    ("shop_status_not_eligible", 409, "The shop's status (suspended, closed, applying, …) does not let it enroll."),
    ("already_enrolled", 409, "The shop is already enrolled in this program."),
    ("shop_excluded", 409, "An operator excluded the shop from this program."),
    ("invalid_period", 422, "`period` is not a date (YYYY-MM-DD) within the program's dates."),
    ("period_not_closed", 409, "The period has not closed yet: there is no result to claw back."),
    ("standing_not_found", 404, "The shop has no result in that period of the program."),
    ("nothing_to_claw_back", 409, "The shop earned no benefit in that period."),
    ("already_clawed_back", 409, "That period's benefit was already clawed back."),
    # LIVE sessions and flash deals (docs/adr/0016).
    ("live_session_not_found", 404, "No LIVE session with that id (or it is not public yet)."),
    ("deal_not_found", 404, "No flash deal with that id."),
    ("not_your_session", 403, "Only the session's host (the shop's owner or the creator) runs it."),
    ("invalid_session_status", 409, "The session is not in a status that allows this (`status_now`)."),
    ("empty_bag", 409, "A session goes live with at least one product in its bag."),
    ("bag_full", 409, "The bag holds at most live.bag.max_products products (`policy_key`, `limit`)."),
    ("product_not_in_bag", 422, "The product (or the SKU's product) is not in the session's bag."),
    ("another_product_pinned", 409, "One product is pinned at a time: unpin it first (pin null)."),
    ("product_has_deal", 409, "The product has a flash deal that has not ended: it stays in the bag."),
    ("invalid_bag_order", 422, "`product_ids` must list every product of the bag exactly once."),
    ("deal_price_not_below", 422, "A deal price must be below the SKU's regular price."),
    ("countdown_out_of_bounds", 422, "The countdown is outside live.flash_deal.countdown_seconds_min..max "
                                     "(`policy_key`, `limit`)."),
    ("duration_out_of_bounds", 422, "The duration is above live.flash_deal.max_duration_minutes (`policy_key`, "
                                    "`limit`)."),
    ("starts_in_past", 422, "A scheduled deal starts in the future."),
    ("deal_not_startable", 409, "Only a scheduled deal is started (`status_now`)."),
    ("unknown_deal", 422, "A checkout line names a deal that does not exist, or one on another SKU."),
    ("deal_line_mixed", 422, "One order buys an SKU either from its deal or at its regular price, not both."),
    ("deal_not_open", 409, "The deal is not open for buying (not yet, ended, or its session is not live)."),
    ("deal_sold_out", 409, "The deal has no units left for this request."),
    ("live_metrics_not_started", 404, "The session has not gone live: it has no figures yet."),
    ("host_required", 422, "A host's live report names the host (`host`: your shop or creator id)."),
    ("unknown_host", 422, "`host` is neither a shop nor a creator."),
    ("per_buyer_limit", 409, "This would take the buyer past the deal's per-buyer limit (`limit`)."),
    # Webhooks.
    ("webhook_not_found", 404, "No webhook subscription with that id."),
    ("delivery_not_found", 404, "No delivery with that id."),
    ("invalid_url", 422, "A webhook URL must be absolute http(s) and reach a public address."),
    ("invalid_event_type", 422, "Not an event type, a prefix such as 'market.*', or '*'."),
    ("unknown_event_type", 422, "An event type or pattern in `event_types` matches no event type "
                                "(GET /api/v1/webhooks/event-types lists them)."),
    ("delivery_in_progress", 409, "Only failed or delivered deliveries can be sent again."),
    ("webhook_disabled", 409, "The subscription is disabled; enable it first."),
    # Finance.
    ("payout_not_found", 404, "No payout with that id."),
    ("fee_discount_not_found", 404, "No referral-fee discount with that id."),
    ("invalid_entry_amount", 422, "A ledger amount is a non-zero whole number of minor units within bounds."),
    ("currency_not_of_market", 422, "The amount is in another currency than the shop's market."),
    ("invalid_discount", 422, "A fee discount is 1 to 10,000 basis points."),
    ("payout_not_scheduled", 409, "Only a scheduled payout is marked paid (`status_now`)."),
)

CATALOGUE: dict[str, ErrorType] = {code: ErrorType(code, status, meaning) for code, status, meaning in _ENTRIES}
assert len(CATALOGUE) == len(_ENTRIES), "a code appears twice in the catalogue"


class UnknownErrorCode(LookupError):
    """A programming error: the code is not in the catalogue (add it to core/error_codes.py)."""


def lookup(code: str) -> ErrorType:
    try:
        return CATALOGUE[code]
    except KeyError:
        raise UnknownErrorCode(f"error code {code!r} is not in the catalogue (core/error_codes.py)") from None


def render_markdown() -> str:
    """docs/errors.md: `python -m marketcast.core.error_codes > docs/errors.md` after changing the catalogue."""
    rows = "\n".join(f"| `{e.code}` | {e.status} | {e.meaning} |" for e in CATALOGUE.values())
    return f"""# Error codes

Every error the API answers with is `application/problem+json` (RFC 9457, the `Problem` schema of
`/openapi.json`): `type` ({PROBLEM_TYPE_BASE}CODE), `title`, `status`, `detail`, a stable `code` from this
table, and for invalid input `field` and `errors[]`. Each operation of the OpenAPI document lists the codes
it can answer with under each of its 4xx responses (`x-problem-codes`). The CLI prints the same codes.

This file is generated from `src/marketcast/core/error_codes.py`; a test fails when it is out of date.

| code | status | meaning |
| --- | --- | --- |
{rows}
"""


if __name__ == "__main__":
    print(render_markdown(), end="")
