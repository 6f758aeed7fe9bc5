"""Risk rules: an entity's rating from its flags.

The rules (also in the README and served by the API):

- ``red`` (exclusion grade): at least one *ongoing* flag of severity *critical*.
- ``orange``: otherwise, an *ongoing* *high* flag, or a *concluded* *critical* one.
- ``yellow``: otherwise, an *ongoing* *medium* flag, or a *concluded* *high* one.
- ``green``: on the watchlist with no open concern: no flags, or only *low* flags and
  *concluded* *medium* ones.

An identifier that is not on the watchlist gets no rating at all: "not found" is not "green".
"""

from __future__ import annotations

from collections.abc import Iterable

from esgscreen.core.model import Flag

# (severity, status) -> rating, checked from the worst rating down.
RATING_RULES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("red", (("critical", "ongoing"),)),
    ("orange", (("high", "ongoing"), ("critical", "concluded"))),
    ("yellow", (("medium", "ongoing"), ("high", "concluded"))),
)
RATING_ORDER = ("red", "orange", "yellow", "green")


def rate(flags: Iterable[Flag]) -> str:
    present = {(f.severity, f.status) for f in flags}
    for rating, triggers in RATING_RULES:
        if present.intersection(triggers):
            return rating
    return "green"


def worst(ratings: Iterable[str | None]) -> str | None:
    """The most severe of several ratings; None when none was given."""
    known = [r for r in ratings if r is not None]
    if not known:
        return None
    return min(known, key=RATING_ORDER.index)


def rating_rules() -> list[dict[str, object]]:
    """The rules as data, for the methodology the API serves."""
    rules: list[dict[str, object]] = [
        {
            "rating": rating,
            "when_any": [{"severity": s, "status": st} for s, st in triggers],
        }
        for rating, triggers in RATING_RULES
    ]
    rules.append({"rating": "green", "when_any": [], "otherwise": True})
    return rules
