"""The finance area's public face: other areas, the API, the CLI and the console call
`finance.service.<name>`.

The operations live by meaning in their own rooms and are re-exported here: fees.py (the fees in force for a
shop, discounts other areas grant), ledger.py (entries, benefits, adjustments, balance), statements.py (periods,
statements and payouts).

For the programs area: `referral_fee_bps(session, shop_id, at)` is the rate a shop is charged at a moment,
`grant_fee_discount(...)` lowers it over a window and `revoke_fee_discount(...)` withdraws it (saying what it
saved so far), `post_benefit(...)` credits (or claws back) a shop."""

from marketcast.finance.fees import (  # noqa: F401
    FeeRate,
    discounts_of,
    fee_rate,
    grant_fee_discount,
    referral_fee_bps,
    revoke_fee_discount,
    saved_by,
)
from marketcast.finance.ledger import (  # noqa: F401
    EntryView,
    ShopBalance,
    adjust,
    balance,
    entries,
    post_benefit,
    views,
)
from marketcast.finance.statements import (  # noqa: F401
    CSV_COLUMNS,
    StatementDetail,
    Upcoming,
    close_due,
    csv_rows,
    detail,
    list_for_operator,
    mark_paid,
    payouts_of,
    totals_by_market,
    upcoming,
)
from marketcast.finance.statements import of_shop as statements_of_shop  # noqa: F401
