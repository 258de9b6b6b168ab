"""Every limit of the hub, declared once: text lengths, hours, money, distances, dates, ratings, levels, counts.

The models build their String(n) columns and CHECK constraints from these declarations, the WTForms their
Length/NumberRange validators (hub/forms), the importers their range checks (hub/services/interchange.py)
and the API its parameter checks. A limit changed here changes everywhere at once; a changed CHECK needs a
migration, and tests/test_limits_schema.py compares a migrated database with these declarations.

The vocabularies (talent types, fee units, work styles, …) live beside the taxonomy in skill_taxonomy.
No Flask here, and nothing that needs an app: models and pure services import this module.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from sqlalchemy import CheckConstraint

T = TypeVar("T", int, float, date)


@dataclass(frozen=True)
class Range(Generic[T]):
    """A closed interval low..high (both included)."""

    low: T
    high: T

    def __contains__(self, value: T) -> bool:
        return self.low <= value <= self.high


# -- text lengths (characters) ----------------------------------------------------------------------------------
# String(n) columns take these as their size; Text columns get a CHECK (length(col) <= n).

EXTERNAL_ID = 64          # expert and need ids of the interchange format
NAME = 100                # a person's name (expert, user's display name)
EMAIL = 254               # RFC 5321 path limit
PHONE = 32
ORGANIZATION_NAME = 200
ORGANIZATION_CODE = 32    # the code staff quote when they sign up
TITLE = 200               # need, engagement and dispatch titles (themes)
ROLE = 200                # the concrete role in an engagement
BIO = 4000                # the expert's "about you"
DESCRIPTION = 8000        # a need's description; also a dispatch request's description, report and follow-up
CONTRIBUTION = 5000       # what the expert did in an engagement
OUTCOME = 5000            # what came of an engagement
COMMENT = 5000            # an evaluation's comment; a dispatch assignment's note
MESSAGE = 2000            # a contact request's message to the expert
CLOSE_NOTE = 1000         # why a need was closed, in the officer's words
SEARCH_WORDS = 200        # the staff search's words (a form only)
REASON = 500              # why an admin or bureau refused a sign-up (mailed to the person)
PLACE_NAME = 60           # a municipality typed by name, e.g. 長野県塩尻市 (a form only)
TOKEN_NAME = 100          # what an API token is for, as its owner names it

# -- numbers ----------------------------------------------------------------------------------------------------

HOURS_PER_MONTH = Range(0, 744)            # 31 days x 24 hours; offered, needed and engaged hours
COMMITTED_HOURS = Range(1, HOURS_PER_MONTH.high)  # hours a need asks for or an engagement commits (forms)
MONEY = Range(0, 2_147_483_647)            # yen, fee and budget amounts: the INTEGER column's range, so a value
#                                            SQLite would keep can still move to PostgreSQL
TRAVEL_KM = Range(0, 5000)                 # farther than Japan is long: more is a typo, not a reach
RATING = Range(1, 5)                       # evaluations: overall (4.5 allowed) and per skill
SKILL_LEVEL = Range(0, 4)                  # DSS levels an expert declares
REQUIRED_LEVEL = Range(1, 4)               # the minimum level a need asks for
SKILL_WEIGHT = Range(0.0, 10.0)            # a need skill's weight; 0 itself is excluded (see NeedSkill)
SIGNAL_WEIGHT_PERCENT = Range(0, 100)      # the ranking sliders
CANDIDATES_SHOWN = Range(1, 200)           # the need page's "show" filter
DISPATCH_DAYS = Range(0, 31)               # on-site days of a dispatch request (the scheme's cap is data:
#                                            skill_taxonomy/data/dispatch_rules.yaml, checked by the verbs)
DISPATCH_ONLINE_HOURS = Range(0, 744)      # online hours of a dispatch request (cap likewise in the rules file)
DISPATCH_VISITS = Range(0, 31)
API_TOP = Range(1, 1000)                   # `top` of GET /api/v1/needs/<ref>/matches
API_PER_PAGE = Range(1, 100)               # `per_page` of the API's lists
API_PAGE = Range(1, 100_000)               # `page` of the API's lists
API_TOKENS_PER_USER = 20                   # live (not revoked) tokens one user may hold
EXPORT_ROWS = 10_000                       # rows of one Excel export (experts or needs): more is refused with a
#                                            request to narrow the filters (the file is built in the request)

# -- dates ------------------------------------------------------------------------------------------------------

# Career histories reach back decades; anything outside is a typo (0202-04-01, 20250-…), not a plan.
DATES = Range(date(1950, 1, 1), date(2100, 12, 31))


# -- CHECK constraints, generated from the declarations ---------------------------------------------------------

def length_check(column: str, limit: int) -> CheckConstraint:
    """CHECK (length(column) <= limit), named `<column>_length`; NULL passes."""
    return CheckConstraint(f"length({column}) <= {limit}", name=f"{column}_length",
                           info={"limit": ("length", column, limit)})


def range_check(column: str, limits: Range, *, nullable: bool = False, name: str | None = None) -> CheckConstraint:
    """CHECK (column BETWEEN low AND high), or NULL when nullable; named after the column by default."""
    between = f"{column} BETWEEN {limits.low} AND {limits.high}"
    return CheckConstraint(f"{column} IS NULL OR {between}" if nullable else between, name=name or column,
                           info={"limit": ("range", column, limits)})

# -- roster files (hub/services/roster.py: .xlsx and CSV rosters in, /roster/import) -----------------------------
# A file bigger than the upload limit is refused before it is read; a workbook whose parts unpack to more than
# ROSTER_UNPACKED_BYTES (a zip bomb) before it is opened; reading stops at the first row, column or cell past
# its cap, so a 1,000,000-row sheet costs the time of ROSTER_ROWS rows, not the memory of a million.
ROSTER_FILE_BYTES = 10 * 1024 * 1024        # the uploaded file
ROSTER_UNPACKED_BYTES = 100 * 1024 * 1024   # every part of an .xlsx, uncompressed
ROSTER_ROWS = 20_000                        # data rows (experts) in one file
ROSTER_COLUMNS = 60                         # columns of the header row
ROSTER_CELL_CHARS = 10_000                  # characters in one cell (the bio's own limit is BIO)
ROSTER_ERRORS_SHOWN = 50                    # errors listed on the page (the count says how many in all)
