"""The programs area's public face: the API, the CLI, the console and the scenario call
`programs.service.<name>`.

The operations live by meaning in their own rooms and are re-exported here: definitions.py (define, change as a
new version from the next period, read), enrollment.py (enroll, auto-enroll, exclude), standings.py (figures
per period, explained; closing periods), benefits.py (the fee discount and reward pool booked in finance,
clawbacks). metrics.py is the registry of what a criterion may name."""

from marketcast.programs.benefits import claw_back, clawback_out  # noqa: F401
from marketcast.programs.definitions import (  # noqa: F401
    change,
    create,
    describe,
    get,
    latest,
    list_programs,
    resolve_period,
    version_for,
    versions,
)
from marketcast.programs.enrollment import auto_enroll, enroll, exclude, of_program, of_shop, open_to  # noqa: F401
from marketcast.programs.metrics import REGISTRY as METRICS  # noqa: F401
from marketcast.programs.standings import close_one, due_periods, report, standings  # noqa: F401
