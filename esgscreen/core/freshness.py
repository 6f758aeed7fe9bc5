"""Freshness of flags: the date of a flag's newest evidence, and whether it is due a review.

An *ongoing* flag whose newest evidence is older than a given number of years is *review due*:
a curator either adds fresh evidence or concludes it. Evidence dates may be partial (``2021``,
``2021-07``); a partial date stands for the last day of its period, so a flag is never called
stale earlier than its sources allow. Undated evidence says nothing about how current a flag
is: it is left out of the newest date, and an ongoing flag none of whose evidence is dated is
review due (nothing shows it is still current).

Pure: the caller passes today's date.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from esgscreen.core.model import Entity, Evidence, Flag

DEFAULT_REVIEW_YEARS = 3


def period_start(partial: str) -> date:
    """The first day a partial ISO date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) stands for."""
    parts = [int(part) for part in partial.split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def period_end(partial: str) -> date:
    """The last day a partial ISO date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) stands for."""
    parts = [int(part) for part in partial.split("-")]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else 12
    day = parts[2] if len(parts) > 2 else calendar.monthrange(year, month)[1]
    return date(year, month, day)


def latest_evidence(evidence: Iterable[Evidence]) -> str | None:
    """The date of the newest dated item, as written (the most precise of equal ends)."""
    dated = [e.date for e in evidence if e.date]
    if not dated:
        return None
    return max(dated, key=lambda d: (period_end(d), len(d)))


def review_cutoff(today: date, years: int) -> date:
    """The day ``years`` before ``today`` (28 February for 29 February in a common year)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def review_due(flag: Flag, today: date, years: int = DEFAULT_REVIEW_YEARS) -> bool:
    """Whether an ongoing ``flag``'s newest evidence is older than ``years`` (or undated)."""
    if flag.status != "ongoing":
        return False
    newest = latest_evidence(flag.evidence)
    return newest is None or period_end(newest) < review_cutoff(today, years)


@dataclass(frozen=True, slots=True)
class DueFlag:
    entity_id: str
    entity_name: str
    code: str
    severity: str
    since: str | None
    latest_evidence: str | None


def review_queue(
    entities: Iterable[Entity], today: date, years: int = DEFAULT_REVIEW_YEARS
) -> list[DueFlag]:
    """Every review-due flag, oldest newest-evidence first (undated first), then by entity."""
    due = [
        DueFlag(e.id, e.name, f.code, f.severity, f.since, latest_evidence(f.evidence))
        for e in entities
        for f in e.flags
        if review_due(f, today, years)
    ]
    return sorted(
        due,
        key=lambda d: (
            d.latest_evidence is not None,
            period_end(d.latest_evidence) if d.latest_evidence else date.min,
            d.entity_id,
            d.code,
        ),
    )
