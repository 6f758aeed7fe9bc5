"""Freshness of flags: newest evidence and review-due flags."""

from __future__ import annotations

from datetime import date

import pytest

from esgscreen.core.freshness import (
    DueFlag,
    latest_evidence,
    period_end,
    period_start,
    review_cutoff,
    review_due,
    review_queue,
)
from esgscreen.core.model import Entity, Evidence, Flag

TODAY = date(2026, 12, 1)


def ev(day: str | None) -> Evidence:
    return Evidence(f"https://example.org/{day}", "Example", day, authority="established")


def flag(*days: str | None, status: str = "ongoing", code: str = "targeted_spyware") -> Flag:
    return Flag(code, "critical", status, "2019", "summary", tuple(ev(d) for d in days))


@pytest.mark.parametrize(
    ("partial", "end"),
    [("2021", date(2021, 12, 31)), ("2024-02", date(2024, 2, 29)),
     ("2023-02", date(2023, 2, 28)), ("2021-07-18", date(2021, 7, 18))],
)
def test_a_partial_date_stands_for_the_end_of_its_period(partial: str, end: date) -> None:
    assert period_end(partial) == end


@pytest.mark.parametrize(
    ("partial", "start"),
    [("2021", date(2021, 1, 1)), ("2024-02", date(2024, 2, 1)),
     ("2021-07-18", date(2021, 7, 18))],
)
def test_a_partial_date_starts_on_the_first_day_of_its_period(partial: str, start: date) -> None:
    assert period_start(partial) == start


@pytest.mark.parametrize(
    ("days", "newest"),
    [
        (("2021-07-18", "2023", "2022-05"), "2023"),
        (("2023-12-31", "2023"), "2023-12-31"),  # the same end: the more precise date
        (("2021", None), "2021"),  # undated evidence is left out
        ((None, None), None),
    ],
)
def test_latest_evidence(days: tuple[str | None, ...], newest: str | None) -> None:
    assert latest_evidence(ev(d) for d in days) == newest


def test_review_cutoff_handles_a_leap_day() -> None:
    assert review_cutoff(date(2028, 2, 29), 3) == date(2025, 2, 28)
    assert review_cutoff(TODAY, 3) == date(2023, 12, 1)


@pytest.mark.parametrize(
    ("item", "years", "due"),
    [
        (flag("2011-08-27"), 3, True),
        (flag("2011-08-27", "2025-10"), 3, False),  # fresh evidence added
        (flag("2023-11-30"), 3, True),  # one day past the age
        (flag("2023-12-01"), 3, False),
        (flag("2023-11"), 3, True),  # November 2023 ended before the cutoff
        (flag("2023"), 3, False),  # 2023 stands for its last day
        (flag("2023"), 2, True),
        (flag(None), 3, True),  # nothing dated: nothing shows it is current
        (flag("2011", status="concluded"), 3, False),  # concluded flags are never due
        (flag(None, status="concluded"), 3, False),
    ],
)
def test_review_due(item: Flag, years: int, due: bool) -> None:
    assert review_due(item, TODAY, years) is due


def test_review_queue_lists_undated_then_oldest_first() -> None:
    entities = [
        Entity("b-vendor", "B Vendor", "vendor",
               flags=(flag("2020-03"), flag("2026-01", code="sanctions"))),
        Entity("a-vendor", "A Vendor", "vendor", flags=(flag("2012"), flag(None, code="other"))),
    ]
    assert review_queue(entities, TODAY) == [
        DueFlag("a-vendor", "A Vendor", "other", "critical", "2019", None),
        DueFlag("a-vendor", "A Vendor", "targeted_spyware", "critical", "2019", "2012"),
        DueFlag("b-vendor", "B Vendor", "targeted_spyware", "critical", "2019", "2020-03"),
    ]
    assert review_queue(entities, TODAY, years=20) == [review_queue(entities, TODAY)[0]]
