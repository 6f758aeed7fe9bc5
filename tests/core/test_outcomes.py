"""Outcome changes between two versions, and the one-line reasons a person reads."""

from __future__ import annotations

from dataclasses import replace

import pytest

from esgscreen.core.model import Entity, Flag, Identifier
from esgscreen.core.outcomes import (
    Assessed,
    Verdict,
    outcome_changes,
    rating_moved,
    verdict_reason,
)
from esgscreen.core.risk import derive_exposures, rate, rate_with_exposure
from tests.factories import EVIDENCE, holding, vendor


def assess(*entities: Entity) -> Assessed:
    by_id = {e.id: e for e in entities}
    own = {e.id: rate(e.flags) for e in entities}
    exposures = derive_exposures(by_id, own)
    ratings = {e.id: rate_with_exposure(e.flags, exposures.get(e.id, ())) for e in entities}
    return Assessed(by_id, ratings, exposures)


def concluded(entity: Entity) -> Entity:
    return replace(entity, flags=tuple(replace(f, status="concluded") for f in entity.flags))


def test_closing_a_vendor_flag_moves_its_owner_through_the_stake() -> None:
    before = assess(vendor(), holding())
    after = assess(concluded(vendor()), holding())
    direct, derived = outcome_changes(before, after)
    assert (direct.entity_id, direct.direct, direct.change) == ("acme-spy", True, "changed")
    assert (direct.before.rating, direct.after.rating) == ("red", "orange")
    assert direct.reason == "Acme Spyware Ltd.: rated orange, was red: " \
                            "Acme Spyware Ltd.'s critical flag concluded"
    assert derived.entity_id == "acme-holdings" and not derived.direct
    assert (derived.before.rating, derived.after.rating) == ("orange", "yellow")
    assert derived.via == "acme-spy"
    assert [(s.holder, s.held, s.share) for s in derived.path] == [
        ("acme-holdings", "acme-spy", 47.0)]
    assert derived.reason == ("Acme Holdings Corp: rated yellow, was orange: "
                              "Acme Spyware Ltd.'s critical flag concluded")
    assert rating_moved(derived)


def test_a_change_that_moves_no_outcome_is_not_listed() -> None:
    before = assess(vendor(), holding())
    more_ids = replace(vendor(), identifiers=(*vendor().identifiers,
                                              Identifier("cik", "0001234567")))
    assert outcome_changes(before, assess(more_ids, holding())) == []


def test_added_and_retired_entities() -> None:
    new_vendor = vendor("beta-spy", relations=())
    changes = outcome_changes(assess(holding()), assess(holding(), new_vendor))
    assert [(c.entity_id, c.change, c.direct) for c in changes] == [("beta-spy", "added", True)]
    assert changes[0].reason.startswith("Acme Spyware Ltd.: added, rated red")
    gone = outcome_changes(assess(holding(), new_vendor), assess(holding()))
    assert [(c.entity_id, c.change) for c in gone] == [("beta-spy", "removed")]
    assert "retired" in gone[0].reason


def test_a_new_flag_and_a_severity_change_are_named() -> None:
    alert = Flag("litigation", "medium", "ongoing", "2026-01", "Sued.", (EVIDENCE,))
    base = holding(flags=(alert,))
    (change,) = outcome_changes(assess(holding()), assess(base))
    assert change.reason == ("Acme Holdings Corp: rated yellow, was green: "
                             "Acme Holdings Corp has a new medium flag (litigation)")
    worse = holding(flags=(replace(alert, severity="high"),))
    (change,) = outcome_changes(assess(base), assess(worse))
    assert "litigation flag is now high, was medium" in change.reason


def test_a_chain_names_the_whole_path() -> None:
    fund = holding("fund", name="Fund LP", kind="investor")
    owner = holding(relations=(replace(vendor().relations[0], target="fund", share=60.0),))
    before = assess(vendor(), owner, fund)
    after = assess(concluded(vendor()), owner, fund)
    fund_change = next(c for c in outcome_changes(before, after) if c.entity_id == "fund")
    assert fund_change.via == "acme-spy" and len(fund_change.path) == 2


V = Verdict


@pytest.mark.parametrize(
    ("before", "after", "reasons", "expected"),
    [
        (V("match", "orange", "restrict", "sun", "Sun"),
         V("match", "yellow", "review", "sun", "Sun"),
         {"sun": "Sun: rated yellow, was orange: Cellebrite's critical flag concluded"},
         "Sun: rated yellow, was orange: Cellebrite's critical flag concluded"),
        (V("no_match", None, "clear", None, None), V("match", "red", "exclude", "t", "Test Co"),
         {}, "Apple Inc.: now matches Test Co, rated red; was no match"),
        (V("match", "red", "exclude", "t", "Test Co"), V("no_match", None, "clear", None, None),
         {}, "Apple Inc.: no longer matches Test Co (was rated red); now no match"),
        (V("no_match", None, "clear", None, None), V("possible_match", None, "review", "t", "T"),
         {}, "Apple Inc.: now possible match, was no match"),
        (V("match", "red", "exclude", "a", "A"), V("match", "green", "clear", "b", "B"),
         {}, "Apple Inc.: now matches B, rated green; was A (rated red)"),
    ],
)
def test_verdict_reasons(before: Verdict, after: Verdict, reasons: dict, expected: str) -> None:
    assert verdict_reason("Apple Inc.", before, after, reasons) == expected
