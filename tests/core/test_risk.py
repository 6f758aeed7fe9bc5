"""Rating rules and ownership exposure."""

from __future__ import annotations

import pytest

from esgscreen.core.model import Entity, Evidence, Flag, Relation
from esgscreen.core.risk import (
    counted_severity,
    derive_exposures,
    describe_exposure,
    exposure_flag,
    exposure_severity,
    rate,
    rate_with_exposure,
    weak_source_notes,
    weak_source_rule,
    weakly_sourced,
    worst,
)

EV = (Evidence("https://example.org/a", "Example", authority="established"),)
BLOG = Evidence("https://blog.example/a", "A blog", authority="low")
REPOST = Evidence("https://repost.example/a", "A repost", authority="low")
FILING = Evidence("https://sec.example/a", "A filing", authority="primary")


def flag(severity: str, status: str = "ongoing", code: str = "targeted_spyware",
         evidence: tuple[Evidence, ...] = EV) -> Flag:
    return Flag(code, severity, status, "2021", "summary", evidence)


def weak(severity: str, status: str = "ongoing", code: str = "targeted_spyware") -> Flag:
    return flag(severity, status, code, (BLOG, REPOST))


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


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        ((BLOG,), True),
        ((BLOG, REPOST), True),
        ((BLOG, FILING), False),
        ((EV[0],), False),
        ((), False),
        ((Evidence("https://example.org/u", "Ungraded"),), False),
    ],
)
def test_weakly_sourced_means_every_source_is_low(evidence: tuple[Evidence, ...],
                                                  expected: bool) -> None:
    assert weakly_sourced(evidence) is expected


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([weak("critical")], "orange"),  # counts as high: never red by itself
        ([weak("critical"), flag("critical")], "red"),
        ([weak("critical", "concluded")], "yellow"),
        ([weak("high")], "yellow"),
        ([weak("medium")], "green"),
        ([weak("low")], "green"),
        ([weak("critical"), flag("medium")], "orange"),
        ([flag("critical", evidence=(BLOG, FILING))], "red"),  # one strong source is enough
    ],
)
def test_weakly_sourced_flags_count_one_step_lower(flags: list[Flag], expected: str) -> None:
    assert rate(flags) == expected


def test_weak_source_rule_is_data() -> None:
    rule = weak_source_rule()
    assert rule["weakly_sourced_when"] == {"every_evidence_authority_in": ["low"]}
    assert rule["severity_steps_lower"] == 1
    assert counted_severity("critical", True) == "high"
    assert counted_severity("low", True) == "low"
    assert counted_severity("critical", False) == "critical"
    (note,) = weak_source_notes([weak("critical"), flag("high")])
    assert note == ("The critical targeted_spyware flag rests only on low-authority sources "
                    "(weakly sourced), so it counts as high.")


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


def test_exposure_through_a_weakly_sourced_link_counts_one_step_lower() -> None:
    world = entities(
        Entity("vendor", "Vendor", "vendor", flags=(flag("critical"),),
               relations=(Relation("owned_by", "rumoured", 100.0, evidence=(BLOG,)),
                          Relation("owned_by", "owner", 100.0, evidence=(BLOG, FILING)))),
        Entity("rumoured", "Rumoured Owner", "investor"),
        Entity("owner", "Owner", "investor"),
    )
    exposures = derive_exposures(world, {e.id: rate(e.flags) for e in world.values()})
    (rumoured,) = exposures["rumoured"]
    assert rumoured.weakly_sourced and rumoured.severity == "critical"
    assert rumoured.counted_severity == "high"
    assert rate_with_exposure((), exposures["rumoured"]) == "orange"
    assert "Weakly sourced: a link rests only on low-authority sources, so it counts as high." in (
        describe_exposure(rumoured, {}))
    (owner,) = exposures["owner"]
    assert not owner.weakly_sourced
    assert rate_with_exposure((), exposures["owner"]) == "red"
    (note,) = weak_source_notes((), exposures["rumoured"])
    assert "ownership exposure to vendor" in note and "counts as high" in note


def test_a_target_rated_on_weak_flags_passes_on_its_lowered_rating() -> None:
    world = entities(
        Entity("vendor", "Vendor", "vendor", flags=(weak("critical"),),
               relations=(owned_by("owner", 100.0),)),
        Entity("owner", "Owner", "investor"),
    )
    own = {e.id: rate(e.flags) for e in world.values()}
    assert own["vendor"] == "orange"
    (exposure,) = derive_exposures(world, own)["owner"]
    assert exposure.target_rating == "orange" and exposure.severity == "high"
    assert not exposure.weakly_sourced  # the link itself is well sourced: no second step
    assert rate_with_exposure((), (exposure,)) == "orange"


def test_a_chain_whose_links_never_held_at_one_time_carries_nothing() -> None:
    world = entities(
        Entity("vendor", "Vendor", "vendor", flags=(flag("high"),),
               relations=(owned_by("seller", 100.0, since="2009", until="2012"),)),
        Entity("seller", "Seller", "holding",
               relations=(owned_by("late-buyer", 100.0, since="2014"),
                          owned_by("early-buyer", 100.0, since="2011-06", until="2013"),
                          owned_by("same-year", 100.0, since="2012"))),
        Entity("late-buyer", "Late Buyer", "holding"),
        Entity("early-buyer", "Early Buyer", "holding"),
        Entity("same-year", "Same Year", "holding"),
    )
    exposures = derive_exposures(world, {e.id: rate(e.flags) for e in world.values()})
    (direct,) = exposures["seller"]
    assert direct.status == "concluded"
    assert "late-buyer" not in exposures  # bought the seller after it had sold the vendor
    (overlap,) = exposures["early-buyer"]
    assert overlap.status == "concluded" and [s.held for s in overlap.path] == ["seller", "vendor"]
    (same_year,) = exposures["same-year"]  # 2012 and 2012 may have overlapped: kept
    assert same_year.status == "concluded"


def test_a_dead_link_also_ends_longer_chains_through_it() -> None:
    world = entities(
        Entity("vendor", "Vendor", "vendor", flags=(flag("critical"),),
               relations=(owned_by("a", 100.0, until="2012-03"),)),
        Entity("a", "A", "holding", relations=(owned_by("b", 100.0, since="2012-04"),)),
        Entity("b", "B", "holding", relations=(owned_by("c", 100.0),)),
        Entity("c", "C", "investor"),
    )
    exposures = derive_exposures(world, {e.id: rate(e.flags) for e in world.values()})
    assert set(exposures) == {"a"}


def test_the_path_kept_is_the_one_that_weighs_most_in_the_rating() -> None:
    world = entities(
        Entity("vendor", "Vendor", "vendor", flags=(flag("critical"),),
               relations=(owned_by("owner", 100.0, until="2020"), owned_by("vehicle"))),
        Entity("vehicle", "Vehicle", "holding", relations=(owned_by("owner", 100.0),)),
        Entity("owner", "Owner", "investor"),
        Entity("other", "Other", "vendor", flags=(flag("high"),),
               relations=(owned_by("owner", 100.0, until="2020"),
                          owned_by("owner", 30.0, since="2021"))),
    )
    exposures = derive_exposures(world, {e.id: rate(e.flags) for e in world.values()})
    by_target = {x.target: x for x in exposures["owner"]}
    # an ongoing stake of unstated size (low, green) does not hide a concluded full one (orange)
    assert by_target["vendor"].status == "concluded"
    assert by_target["vendor"].severity == "critical"
    # a concluded high (yellow) and an ongoing medium (yellow) weigh the same: the ongoing is kept
    assert by_target["other"].status == "ongoing" and by_target["other"].share == 30.0
    assert rate_with_exposure((), exposures["owner"]) == "orange"


def test_the_methodology_states_the_stake_rules_the_severity_uses() -> None:
    from esgscreen.core.risk import exposure_rules, exposure_severity

    rules = exposure_rules()["stake_rules"]
    assert [r["min_share"] for r in rules[:-1]] == [50, 10, 0]
    assert [exposure_severity("red", share) for share in (50, 49.9, 10, 9.9, None)] == [
        "critical", "high", "high", "medium", "low"]
