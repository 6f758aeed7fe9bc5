"""Words and shapes the pages show: flags by severity, the timeline, exposure shares."""

from __future__ import annotations

from esgscreen.web.present import (
    by_authority,
    counted_as,
    describe_relation,
    group_flags,
    timeline,
    weight_shares,
)


def flag(code: str, severity: str, status: str = "ongoing", since: str | None = None,
         evidence: list[dict] | None = None) -> dict:
    return {"code": code, "severity": severity, "status": status, "since": since,
            "summary": f"{code} summary", "evidence": evidence or []}


def source(url: str, date: str | None, title: str | None = "A report") -> dict:
    return {"url": url, "publisher": "Lab", "date": date, "title": title}


def test_flags_grouped_most_severe_first_ongoing_before_concluded() -> None:
    groups = group_flags([flag("b", "high", "concluded"), flag("a", "low"),
                          flag("c", "critical"), flag("d", "high")])
    assert [(s, [f["code"] for f in fs]) for s, fs in groups] == [
        ("critical", ["c"]), ("high", ["d", "b"]), ("low", ["a"])]


def test_timeline_is_dated_ordered_and_deduplicated() -> None:
    shared = source("https://example.org/1", "2021-07-18")
    record = {
        "entity": {"id": "v", "name": "Vendor"},
        "flags": [flag("targeted_spyware", "critical", since="2021-07", evidence=[shared]),
                  flag("litigation", "medium", since="2019",
                       evidence=[shared, source("https://example.org/2", None),
                                 source("https://example.org/3", "2020", title=None)])],
        "relations": {"outgoing": [{"type": "owned_by", "target": {"name": "Owner"},
                                    "since": "2014", "until": "2019", "evidence": []}],
                      "incoming": []},
    }
    versions = [{"version": 1, "date": "2025-01-02", "summary": "first load"}]
    events = timeline(record, versions, {"targeted_spyware": "Targeted spyware vendor"})
    assert [(e.date, e.kind) for e in events] == [
        ("2014", "relation"), ("2019", "flag"), ("2019", "relation"), ("2020", "evidence"),
        ("2021-07", "flag"), ("2021-07-18", "evidence"), ("2025-01-02", "version")]
    assert events[0].text == "Began: Owner owns a stake in Vendor"
    assert events[3].text == "Lab"  # no title: the publisher alone
    assert events[4].text == "Targeted spyware vendor (critical, ongoing)"
    assert events[5].url == "https://example.org/1"
    assert events[6].text == "Watchlist version 1: first load"


def test_relations_read_the_same_from_both_sides() -> None:
    assert describe_relation("owned_by", "outgoing", "Owner", "Vendor") == (
        "Owner owns a stake in Vendor")
    assert describe_relation("owned_by", "incoming", "Sub", "Vendor") == (
        "Vendor owns a stake in Sub")
    assert describe_relation("merged_into", "incoming", "SPAC", "Vendor") == (
        "SPAC merged into Vendor")


def test_weight_shares() -> None:
    rows = weight_shares({"weight": {"total": 4.0, "by_rating": {
        "red": 1.0, "orange": 0.0, "yellow": 0.0, "green": 0.0, "possible_match": 0.0,
        "no_match": 3.0}}})
    assert rows[0] == {"bucket": "red", "label": "Red (exclusion grade)", "weight": 1.0,
                       "share": 25.0}
    assert rows[-1]["share"] == 75.0
    empty = weight_shares({"weight": {"total": 0.0, "by_rating": {"red": 0.0}}})
    assert empty[0]["share"] is None


def test_primary_sources_come_first_in_curated_order_within_a_grade() -> None:
    items = [{"url": "a", "authority": "low"}, {"url": "b", "authority": "established"},
             {"url": "c"}, {"url": "d", "authority": "primary"},
             {"url": "e", "authority": "established"}]
    assert [i["url"] for i in by_authority(items)] == ["d", "b", "e", "a", "c"]


def test_a_weak_flag_counts_one_step_lower() -> None:
    assert counted_as("critical") == "high" and counted_as("low") == "low"
