"""Rating rules and ownership exposure."""

from __future__ import annotations

import pytest

from esgscreen.core.model import Entity, Evidence, Flag, Relation
from esgscreen.core.risk import (
    derive_exposures,
    describe_exposure,
    exposure_flag,
    exposure_severity,
    rate,
    rate_with_exposure,
    worst,
)

EV = (Evidence("https://example.org/a", "Example"),)


def flag(severity: str, status: str = "ongoing", code: str = "targeted_spyware") -> Flag:
    return Flag(code, severity, status, "2021", "summary", EV)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([], "green"),
        ([flag("low")], "green"),
        ([flag("medium", "concluded")], "green"),
        ([flag("medium")], "yellow"),
        ([flag("high", "concluded")], "yellow"),
        ([flag("high")], "orange"),
        ([flag("critical", "concluded")], "orange"),
        ([flag("critical")], "red"),
        ([flag("low"), flag("critical"), flag("medium")], "red"),
    ],
)
def test_rating_rules(flags: list[Flag], expected: str) -> None:
    assert rate(flags) == expected


def test_worst_rating() -> None:
    assert worst(["green", "orange", "yellow"]) == "orange"
    assert worst([None, None]) is None


@pytest.mark.parametrize(
    ("rating", "share", "severity"),
    [
        ("red", 100.0, "critical"),
        ("red", 50.0, "critical"),
        ("red", 47.0, "high"),
        ("red", 10.0, "high"),
        ("red", 3.5, "medium"),
        ("orange", 47.0, "medium"),
        ("yellow", 5.0, "low"),
        ("red", None, "low"),
    ],
)
def test_exposure_severity_falls_with_the_stake(rating: str, share: float | None,
                                                severity: str) -> None:
    assert exposure_severity(rating, share) == severity


def entities(*items: Entity) -> dict[str, Entity]:
    return {e.id: e for e in items}


def owned_by(target: str, share: float | None = None, **kw: object) -> Relation:
    return Relation("owned_by", target, share=share, evidence=EV, **kw)


def test_direct_and_chained_ownership() -> None:
    world = entities(
        Entity("vendor", "Vendor Ltd", "vendor", flags=(flag("critical"),),
               relations=(owned_by("parent", 47.0),)),
        Entity("parent", "Parent Corp", "holding", relations=(owned_by("fund", 60.0),)),
        Entity("fund", "Fund LP", "investor"),
    )
    ratings = {e.id: rate(e.flags) for e in world.values()}
    exposures = derive_exposures(world, ratings)

    (direct,) = exposures["parent"]
    assert direct.target == "vendor" and direct.share == 47.0
    assert direct.severity == "high" and direct.status == "ongoing"
    (chain,) = exposures["fund"]
    assert [s.holder for s in chain.path] == ["fund", "parent"]
    assert chain.share == pytest.approx(28.2)
    assert chain.severity == "high"
    assert rate_with_exposure((), exposures["parent"]) == "orange"
    names = {e.id: e.name for e in world.values()}
    text = describe_exposure(chain, names)
    assert text == ("Fund LP owns 60% of Parent Corp; Parent Corp owns 47% of Vendor Ltd. "
                    "Vendor Ltd is rated red.")
    derived = exposure_flag(direct, names)
    assert derived.code == "ownership_exposure" and derived.evidence


def test_unstated_stake_is_a_weak_signal_and_ended_ownership_is_concluded() -> None:
    world = entities(
        Entity("vendor", "Vendor", "vendor", flags=(flag("critical"),),
               relations=(owned_by("vc"), owned_by("old-owner", 100.0, until="2019"))),
        Entity("vc", "VC", "investor"),
        Entity("old-owner", "Old Owner", "investor"),
    )
    exposures = derive_exposures(world, {e.id: rate(e.flags) for e in world.values()})
    (weak,) = exposures["vc"]
    assert weak.weak and weak.share is None and weak.severity == "low"
    assert "stake not stated" in describe_exposure(weak, {})
    (old,) = exposures["old-owner"]
    assert old.status == "concluded" and old.severity == "critical"
    assert rate_with_exposure((), exposures["old-owner"]) == "orange"


def test_spac_former_name_and_control_links() -> None:
    world = entities(
        Entity("vendor", "Vendor", "vendor", flags=(flag("high"),)),
        Entity("spac", "SPAC II", "spac", relations=(Relation("merged_into", "vendor"),)),
        Entity("old-name", "Old Name", "vendor",
               relations=()),
        Entity("renamed", "Renamed", "vendor", flags=(flag("critical"),),
               relations=(Relation("formerly_known_as", "old-name"),)),
        Entity("sub", "Sub", "subsidiary", flags=(flag("critical"),),
               relations=(Relation("subsidiary_of", "group"),)),
        Entity("group", "Group", "holding"),
    )
    exposures = derive_exposures(world, {e.id: rate(e.flags) for e in world.values()})
    assert exposures["spac"][0].severity == "high"
    assert exposures["old-name"][0].severity == "critical"
    assert exposures["group"][0].severity == "critical"
    assert exposures["group"][0].path[0].relation == "controls"
    assert "vendor" not in exposures


def test_cycles_end() -> None:
    world = entities(
        Entity("a", "A", "vendor", flags=(flag("critical"),), relations=(owned_by("b", 60.0),)),
        Entity("b", "B", "holding", relations=(owned_by("c", 60.0),)),
        Entity("c", "C", "holding", relations=(owned_by("a", 60.0), owned_by("b", 10.0))),
    )
    exposures = derive_exposures(world, {e.id: rate(e.flags) for e in world.values()})
    assert set(exposures) == {"b", "c"}
    assert all(len(x.path) <= 3 for xs in exposures.values() for x in xs)
