"""What input may be: the size of every free-text field, the range of ids and version numbers,
and the characters text may hold. Defined once here; the API schemas, the watchlist schema,
the service and the pages all read them.
"""

from __future__ import annotations

import re

from esgscreen.core.errors import InvalidQuery

# Ids and version numbers are INTEGER columns: 32-bit signed on PostgreSQL.
MAX_ID = 2**31 - 1

# Screening: q, name and domain; identifiers; an exchange; a policy id; as_of.
QUERY_TEXT = 500
IDENTIFIER = 64
EXCHANGE = 32
POLICY_ID = 100
AS_OF = 40
# Browsing and autocomplete text, a flag code, a country code.
SEARCH_TEXT = 200
FLAG_CODE = 60
# Curation: a proposal's summary, a rejection's reason; audit filters.
SUMMARY = 2000
REASON = 2000
AUDIT_ACTION = 60
AUDIT_SUBJECT = 200
AUDIT_ACTOR = 200
# Signing in: longer passwords only cost hashing time.
USERNAME = 80
PASSWORD = 1000
# Watchlist text: names, short texts (titles, publishers, notes), paragraphs, web addresses.
NAME = 300
SHORT_TEXT = 500
PARAGRAPH = 5000
URL = 2000
# A holding's weight: finite, not negative, and small enough that 10,000 of them add up
# to a finite total.
MAX_WEIGHT = 1e15

# C0 controls except tab, line feed and carriage return, and DEL. NUL in particular:
# PostgreSQL refuses it in text, SQLite keeps it, so it is refused for both.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ASCII_NUMBER = re.compile("[0-9]{1,20}")


def control_character(text: str) -> str | None:
    """The first control character in `text` (None when there is none)."""
    found = _CONTROL.search(text)
    return found.group() if found else None


def describe_control(character: str) -> str:
    return f"contains the control character U+{ord(character):04X}; remove it"


def check_text(field: str, value: str, limit: int) -> str:
    """`value` when it fits `limit` and holds no control character; else InvalidQuery."""
    if len(value) > limit:
        raise InvalidQuery(f"{field} is longer than {limit} characters.", field=field)
    bad = control_character(value)
    if bad is not None:
        raise InvalidQuery(f"{field} {describe_control(bad)}.", field=field)
    return value


def escape_controls(text: str) -> str:
    """`text` with each control character written as an escape, for logs and audit rows."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def parse_id(text: str) -> int | None:
    """An id or version number written in ASCII digits, from 1 to MAX_ID; else None."""
    text = text.strip()
    if not _ASCII_NUMBER.fullmatch(text):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def is_number(text: str) -> bool:
    """Whether `text` is written in ASCII digits only (whatever its size)."""
    return bool(text) and text.isascii() and text.isdigit()


def weight_value(value: object) -> float:
    """A holding's weight as a float; ValueError saying why it cannot be one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("weight must be a number.")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"weight must be at most {MAX_WEIGHT:g}.") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("weight must be a finite number.")
    if number < 0:
        raise ValueError("weight must not be negative.")
    if number > MAX_WEIGHT:
        raise ValueError(f"weight must be at most {MAX_WEIGHT:g}.")
    return number
