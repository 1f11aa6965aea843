"""Creators: profiles per market, follower snapshots and the affiliate status the policies in force give them.
Other areas, the API, the CLI and the console call everything here as `creators.service.<name>`.

The operations live by meaning in their own rooms and are re-exported here: profiles.py (create, read, list,
followers, suspension, eligibility at a time). Keyword-only operations that take a Session, never commit, and
raise domain errors. reevaluation.py re-judges a market in one set-based pass; graduation.py graduates pilots
on the results the affiliate area reports (it sits above and calls down)."""

from marketcast.creators import simulation as _simulation  # noqa: F401  (registers the policy simulator)
from marketcast.creators.graduation import PilotResults, graduate, graduate_many, pilots_due  # noqa: F401
from marketcast.creators.profiles import (  # noqa: F401  (the public creator operations of this area)
    create_creator,
    create_many,
    creators_of_user,
    eligibility,
    find,
    get_creator,
    history,
    list_creators,
    pilot_progress,
    set_followers,
    status_at,
    suspend,
    unsuspend,
)
from marketcast.creators.reevaluation import reevaluate, reevaluate_after  # noqa: F401
from marketcast.creators.rules import STATUSES, explain  # noqa: F401
