"""Graded evidence in answers: weakly sourced flags, review-due flags and the curators' queue,
and when each entity last changed; on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

from flask import Flask

from esgscreen.core.model import Entity, Evidence, Flag, Relation
from esgscreen.store import repository
from esgscreen.store.db import Store
from tests.conftest import assert_screen_shape, make_app
from tests.factories import TAXONOMY

BLOG = Evidence("https://blog.example/copy", "A blog (copy of a newsroom)", "2025-10", None, "low")
LAB = Evidence("https://lab.example/report", "Example Lab", "2025-09", "Report", "primary")
OLD = Evidence("https://news.example/2011", "Example News", "2011-08-27", None, "established")
UNDATED = Evidence("https://news.example/undated", "Example News", None, None, "established")


def world() -> list[Entity]:
    return [
        Entity("weak-spy", "Weakspy Systems Ltd", "vendor", flags=(
            Flag("targeted_spyware", "critical", "ongoing", "2025", "Copies only.", (BLOG, BLOG)),
        )),
        Entity("strong-spy", "Strongspy Systems Ltd", "vendor", flags=(
            Flag("targeted_spyware", "critical", "ongoing", "2025", "A lab report.", (BLOG, LAB)),
            Flag("litigation", "medium", "ongoing", "2011", "An old case.", (OLD,)),
            Flag("litigation", "medium", "ongoing", "2012", "Undated.", (UNDATED,)),
            Flag("litigation", "medium", "concluded", "2010", "Closed.", (OLD,)),
        )),
        Entity("rumour-fund", "Rumourfund Partners LP", "investor"),
        Entity("strong-holder", "Strongholder Capital", "investor"),
        Entity("weak-target", "Weaktarget Networks", "vendor", relations=(
            Relation("owned_by", "rumour-fund", 100.0, evidence=(BLOG,)),
            Relation("owned_by", "strong-holder", 100.0, evidence=(LAB,)),
        ), flags=(
            Flag("targeted_spyware", "critical", "ongoing", "2025", "A lab report.", (LAB,)),
        )),
    ]


def publish(store: Store, entities: list[Entity]) -> int | None:
    with store.write() as session:
        return repository.publish(session, entities, list(TAXONOMY), summary="t", author="tests")


def app_with(store: Store, **config: object) -> Flask:
    publish(store, world())
    return make_app(store.url, **config)


def top(client, name: str) -> dict:  # noqa: ANN001
    body = client.get("/api/v1/screen", query_string={"name": name}).get_json()
    assert_screen_shape(body)
    assert body["status"] == "match", body
    return body


def test_a_weakly_sourced_flag_is_marked_and_cannot_make_red(store: Store) -> None:
    client = app_with(store).test_client()
    body = top(client, "Weakspy Systems Ltd")
    assert body["rating"] == "orange" and body["action"] == "restrict"
    match = body["matches"][0]
    (flag,) = match["flags"]
    assert flag["weakly_sourced"] is True and flag["severity"] == "critical"
    assert "rests only on low-authority sources (weakly sourced), so it counts as high" in (
        match["explanation"])
    assert [e["authority"] for e in flag["evidence"]] == ["low", "low"]

    strong = top(client, "Strongspy Systems Ltd")
    assert strong["rating"] == "red"
    assert strong["matches"][0]["flags"][0]["weakly_sourced"] is False
    assert "weakly sourced" not in strong["matches"][0]["explanation"]


def test_derived_exposure_through_a_weak_link(store: Store) -> None:
    client = app_with(store).test_client()
    rumour = top(client, "Rumourfund Partners LP")
    assert rumour["rating"] == "orange"
    (derived,) = rumour["matches"][0]["flags"]
    assert derived["code"] == "ownership_exposure"
    assert derived["weakly_sourced"] is True and derived["review_due"] is False
    assert rumour["matches"][0]["exposure"][0]["weakly_sourced"] is True
    assert "ownership exposure to weak-target" in rumour["matches"][0]["explanation"]
    assert top(client, "Strongholder Capital")["rating"] == "red"


def test_freshness_in_answers_and_the_entity_record(store: Store) -> None:
    client = app_with(store).test_client()
    flags = top(client, "Strongspy Systems Ltd")["matches"][0]["flags"]
    assert [(f["latest_evidence"], f["review_due"]) for f in flags] == [
        ("2025-10", False), ("2011-08-27", True), (None, True), ("2011-08-27", False),
    ]
    record = client.get("/api/v1/entities/strong-spy").get_json()
    assert [f["review_due"] for f in record["flags"]] == [False, True, True, False]
    relaxed = make_app(store.url, REVIEW_DUE_YEARS=100).test_client()
    flags = relaxed.get("/api/v1/entities/strong-spy").get_json()["flags"]
    assert [f["review_due"] for f in flags] == [False, False, True, False]


def test_the_review_queue(store: Store) -> None:
    client = app_with(store).test_client()
    response = client.get("/api/v1/flags?review_due=true")
    assert response.status_code == 200
    assert response.headers["X-Pagination"]
    assert response.get_json() == [
        {"entity": {"id": "strong-spy", "name": "Strongspy Systems Ltd"}, "code": "litigation",
         "severity": "medium", "status": "ongoing", "since": "2012", "latest_evidence": None,
         "review_due": True},
        {"entity": {"id": "strong-spy", "name": "Strongspy Systems Ltd"}, "code": "litigation",
         "severity": "medium", "status": "ongoing", "since": "2011",
         "latest_evidence": "2011-08-27", "review_due": True},
    ]
    page = client.get("/api/v1/flags?review_due=true&page_size=1&page=2").get_json()
    assert [f["since"] for f in page] == ["2011"]
    every = client.get("/api/v1/flags?page_size=100").get_json()
    assert len(every) == 6  # curated flags only: no derived ones
    fresh = client.get("/api/v1/flags?review_due=false&code=targeted_spyware").get_json()
    assert {f["entity"]["id"] for f in fresh} == {"weak-spy", "strong-spy", "weak-target"}
    bad = client.get("/api/v1/flags?review_due=perhaps")
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"


def test_methodology_documents_grades_and_review_age(store: Store) -> None:
    client = app_with(store, REVIEW_DUE_YEARS=5).test_client()
    body = client.get("/api/v1/methodology").get_json()
    assert body["weak_sources"]["weakly_sourced_when"] == {"every_evidence_authority_in": ["low"]}
    assert body["weak_sources"]["severity_steps_lower"] == 1
    assert body["review_due"]["years"] == 5
    assert "undated" in body["review_due"]


def test_last_reviewed_names_the_version_that_last_changed_the_entity(store: Store) -> None:
    entities = world()
    publish(store, entities)
    changed = replace(entities[0], name="Weakspy Systems Limited")
    assert publish(store, [changed, *entities[1:]]) == 2
    client = make_app(store.url).test_client()
    with store.read() as session:
        published = {v.version: v.created_at.date().isoformat()
                      for v in repository.list_versions(session)}
    weak = top(client, "Weakspy Systems Limited")["matches"][0]["entity"]["last_reviewed"]
    assert weak == {"version": 2, "date": published[2]}
    strong = top(client, "Strongspy Systems Ltd")["matches"][0]["entity"]["last_reviewed"]
    assert strong == {"version": 1, "date": published[1]}
    record = client.get("/api/v1/entities/strong-spy").get_json()
    assert record["entity"]["last_reviewed"] == strong
    past = client.get("/api/v1/screen?name=Weakspy+Systems+Ltd&as_of=1").get_json()
    assert past["matches"][0]["entity"]["last_reviewed"] == {"version": 1, "date": published[1]}
