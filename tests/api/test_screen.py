"""GET and POST /api/v1/screen against the bundled watchlist."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import assert_screen_shape, make_app


def test_cellebrite_is_a_match_with_cited_flags(client: FlaskClient) -> None:
    response = client.get("/api/v1/screen", query_string={"q": "Cellebrite"})
    assert response.status_code == 200
    body = response.get_json()
    assert_screen_shape(body)
    assert body["status"] == "match"
    assert body["rating"] in {"red", "orange"}
    top = body["matches"][0]
    assert top["entity"]["id"] == "cellebrite"
    assert top["flags"]
    publishers = {e["publisher"] for f in top["flags"] for e in f["evidence"]}
    assert any("Access Now" in p for p in publishers)
    assert body["watchlist_version"] == 1


def test_nso_group_is_red_and_excluded(bundled_client: FlaskClient) -> None:
    body = bundled_client.get("/api/v1/screen?name=NSO+Group").get_json()
    assert_screen_shape(body)
    assert body["status"] == "match"
    assert body["rating"] == "red"
    assert body["action"] == "exclude"
    assert body["policy"]["id"] == "default"
    evidence = [e for f in body["matches"][0]["flags"] for e in f["evidence"]]
    assert any(e["date"] and e["date"].startswith("2021-07") for e in evidence)


def test_not_on_the_watchlist_is_not_green(bundled_client: FlaskClient) -> None:
    body = bundled_client.get("/api/v1/screen?name=Microsoft+Corporation").get_json()
    assert_screen_shape(body)
    assert body["status"] == "no_match"
    assert body["rating"] is None
    assert body["action"] == "clear"


def test_identifiers_match(bundled_client: FlaskClient) -> None:
    body = bundled_client.get("/api/v1/screen?cik=0001854587").get_json()
    assert body["status"] == "match"
    assert body["matches"][0]["entity"]["id"] == "cellebrite"
    assert "cik" in body["matches"][0]["matched_on"]
    assert body["query"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"isin": "IL0011794801"}, "isin"),
        ({"lei": "5493001KJTIIGC8Y1R13"}, "lei"),
        ({"cusip": "M2197Q116"}, "cusip"),
    ],
)
def test_bad_checksum_is_422_naming_the_field(bundled_client: FlaskClient, params: dict,
                                              field: str) -> None:
    response = bundled_client.get("/api/v1/screen", query_string=params)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 422
    assert field in body["detail"].lower()
    assert field in body["errors"]


def test_empty_query_is_422(bundled_client: FlaskClient) -> None:
    response = bundled_client.get("/api/v1/screen")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_unknown_policy_is_422(bundled_client: FlaskClient) -> None:
    response = bundled_client.get("/api/v1/screen?q=NSO&policy=nope")
    assert response.status_code == 422
    assert "known policies" in response.get_json()["detail"]


def test_strict_policy_changes_the_action(bundled_client: FlaskClient) -> None:
    default = bundled_client.get("/api/v1/screen?name=Francisco+Partners").get_json()
    strict = bundled_client.get(
        "/api/v1/screen?name=Francisco+Partners&policy=no-spyware").get_json()
    assert default["status"] == strict["status"] == "match"
    assert strict["policy"]["id"] == "no-spyware"
    assert default["matches"][0]["exposure"], "an owner of NSO carries derived exposure"


def test_etag_and_if_none_match(bundled_client: FlaskClient) -> None:
    first = bundled_client.get("/api/v1/screen?q=Cellebrite")
    assert first.status_code == 200 and first.headers["ETag"]
    again = bundled_client.get("/api/v1/screen?q=Cellebrite",
                               headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    other = bundled_client.get("/api/v1/screen?q=Cognyte",
                               headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200


def test_batch_screens_a_portfolio_and_sums_weights(client: FlaskClient) -> None:
    items = [
        {"ref": "a", "name": "Cellebrite", "weight": 2.5},
        {"ref": "b", "isin": "US5949181045", "weight": 10},
        {"ref": "c", "isin": "IL0011794801", "weight": 1},
        {"ref": "d", "name": "NSO Group Technologies", "weight": 0.5},
        {"ref": "e", "ticker": "CLBT", "exchange": "XNAS"},
        "not an object",
        {"ref": "g", "name": "Sandvine", "weight": "heavy"},
    ]
    response = client.post("/api/v1/screen", json={"items": items})
    assert response.status_code == 200
    body = response.get_json()
    rows = {row["ref"]: row for row in body["results"]}
    assert len(body["results"]) == len(items)
    assert rows["a"]["status"] == "match"
    assert rows["b"]["status"] == "no_match" and rows["b"]["action"] == "clear"
    assert rows["c"]["status"] == "error" and rows["c"]["error"]["field"] == "isin"
    assert rows[5]["status"] == "error"
    # A weight that is not a number does not hide the holding: screened, with a warning.
    assert rows["g"]["status"] == "match" and rows["g"]["weight"] is None
    assert [w["field"] for w in rows["g"]["warnings"]] == ["weight"]
    assert rows["e"]["match"]["entity"]["id"] == "cellebrite"
    summary = body["summary"]
    assert summary["items"] == 7
    assert summary["by_status"]["error"] == 2
    assert summary["by_status"]["match"] == 4
    assert summary["with_warnings"] == 1
    weights = summary["weight"]["by_rating"]
    assert rows["d"]["rating"] == "red"
    expected_red = sum(r["weight"] or 0 for r in rows.values() if r.get("rating") == "red")
    assert weights["red"] == expected_red >= 0.5
    assert weights["no_match"] == 10
    assert summary["weight"]["total"] == 13.0
    assert sum(summary["by_action"].values()) == 5


def test_batch_over_the_limit_is_413(bundled_app) -> None:  # noqa: ANN001
    small = make_app(bundled_app.config["DATABASE_URL"], MAX_BATCH_ITEMS=3)
    response = small.test_client().post("/api/v1/screen", json={"items": [{"name": "x"}] * 4})
    assert response.status_code == 413
    assert "at most 3 items" in response.get_json()["detail"]


@pytest.mark.parametrize(
    "body",
    [None, [], {"items": "x"}, {"items": None}, {"nothing": 1}, "text"],
)
def test_batch_bad_bodies_are_422_problems(bundled_client: FlaskClient, body: object) -> None:
    response = bundled_client.post("/api/v1/screen", json=body)
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


def test_as_of_a_version_and_a_date(bundled_client: FlaskClient) -> None:
    assert bundled_client.get("/api/v1/screen?q=NSO&as_of=1").status_code == 200
    assert bundled_client.get("/api/v1/screen?q=NSO&as_of=99").status_code == 422
    assert bundled_client.get("/api/v1/screen?q=NSO&as_of=2000-01-01").status_code == 422
    assert bundled_client.get("/api/v1/screen?q=NSO&as_of=yesterday").status_code == 422
    assert bundled_client.get("/api/v1/screen?q=NSO&as_of=2999-01-01").status_code == 200


def test_answer_cache_gives_the_same_answer_and_can_be_off(bundled_app) -> None:  # noqa: ANN001
    client = bundled_app.test_client()
    first = client.get("/api/v1/screen?q=Cellebrite&policy=no-spyware").data
    assert client.get("/api/v1/screen?q=Cellebrite&policy=no-spyware").data == first
    bundled_app.config["ANSWER_CACHE_SIZE"] = 0
    try:
        assert client.get("/api/v1/screen?q=Cellebrite&policy=no-spyware").data == first
    finally:
        bundled_app.config["ANSWER_CACHE_SIZE"] = 1000


def test_cached_answer_is_bounded() -> None:
    from esgscreen.service.screening import AnswerCache

    cache = AnswerCache(3)
    calls = []

    def compute(n: int):  # noqa: ANN202
        return lambda: calls.append(n) or f"answer {n}"

    for n in range(5):
        assert cache.get(1, str(n).encode(), compute(n)) == f"answer {n}"
    assert cache.get(1, b"4", compute(99)) == "answer 4"
    assert calls == [0, 1, 2, 3, 4] and len(cache) <= 3
    assert cache.get(2, b"4", compute(5)) == "answer 5"  # another version: its own answer
    assert AnswerCache(0).get(1, b"4", compute(7)) == "answer 7"
