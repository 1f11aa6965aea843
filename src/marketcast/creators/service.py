"""Creators: profiles per market, follower snapshots and the affiliate status the policies in force give them.
Other areas, the API, the CLI and the console call everything here as `creators.service.<name>`.

The operations live by meaning in their own rooms and are re-exported here: profiles.py (create, read, list,
followers, suspension, eligibility at a time). Keyword-only operations that take a Session, never commit, and
raise domain errors."""

from marketcast.creators.profiles import (  # noqa: F401  (the public creator operations of this area)
    create_creator,
    creators_of_user,
    eligibility,
    find,
    get_creator,
    history,
    list_creators,
    set_followers,
    status_at,
    suspend,
    unsuspend,
)
from marketcast.creators.rules import STATUSES, explain  # noqa: F401
