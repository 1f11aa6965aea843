"""The affiliate area's public face: other areas, the API, the CLI and the console call `affiliate.service.<name>`.

The operations live by meaning in their own rooms and are re-exported here: collaborations.py and membership.py
(offers and who is in them), showcase.py (showcase and shoppable content), links.py (links, clicks,
attribution), commissions.py (one per attributed line, following the order), statements.py (periods, payouts)."""

from marketcast.affiliate.collaborations import (  # noqa: F401
    browse,
    change_rate,
    create,
    end,
    members,
    of_shop,
    product_ids_of,
)
from marketcast.affiliate.collaborations import get as get_collaboration  # noqa: F401
from marketcast.affiliate.commissions import (  # noqa: F401
    attributed_orders,
    commission_owed_for_order,
    freeze,
    frozen_count,
    list_for_operator,
    make_settleable,
    owed_by_shop,
    unfreeze,
)
from marketcast.affiliate.commissions import get as get_commission  # noqa: F401
from marketcast.affiliate.commissions import of_creator as commissions_of_creator  # noqa: F401
from marketcast.affiliate.commissions import of_shop as commissions_of_shop  # noqa: F401
from marketcast.affiliate.links import (  # noqa: F401
    claim_visitor_clicks,
    create_link,
    get_link,
    links_of,
    record_click,
)
from marketcast.affiliate.membership import accept, approve, join, remind_and_apply  # noqa: F401
from marketcast.affiliate.membership import of_creator as collaborations_of_creator  # noqa: F401
from marketcast.affiliate.offers import offer_for  # noqa: F401  (a creator's rate on a product, for LIVE deals)
from marketcast.affiliate.showcase import add as add_to_showcase  # noqa: F401
from marketcast.affiliate.showcase import add_content, contents  # noqa: F401
from marketcast.affiliate.showcase import items as showcase_items  # noqa: F401
from marketcast.affiliate.showcase import remove as remove_from_showcase  # noqa: F401
from marketcast.affiliate.statements import close_due, detail, earnings  # noqa: F401
from marketcast.affiliate.statements import of_creator as statements_of_creator  # noqa: F401
