"""Imports every module that defines tables, so Base.metadata is complete (Alembic, tests)."""

import marketcast.affiliate.models  # noqa: F401
import marketcast.catalog.models  # noqa: F401
import marketcast.core.auth.models  # noqa: F401
import marketcast.core.idempotency  # noqa: F401
import marketcast.core.outbox  # noqa: F401
import marketcast.creators.models  # noqa: F401
import marketcast.markets.models  # noqa: F401
import marketcast.orders.models  # noqa: F401
import marketcast.policies.models  # noqa: F401
import marketcast.reports.models  # noqa: F401
import marketcast.sellers.models  # noqa: F401
import marketcast.webhooks.models  # noqa: F401
