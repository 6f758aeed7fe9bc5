"""No input makes a 5xx: seeded random and hostile input to every public endpoint."""

from __future__ import annotations

import json
import random

import pytest
from flask.testing import FlaskClient

NASTY = [
    "", " ", "\x00", "%", "%00", "\u202e", "'; DROP TABLE entities; --", "<script>x</script>",
    "a" * 5000, "١٢٣", "𝕹𝕾𝕺", "NSO\u200bGroup", "IL0011794802" * 3, "US0378331005",
    "0" * 20, "-1", "1e309", "NaN", "null", "[]", "{}", "::", "http://", "https://[::1",
    "XNAS:", ".O", " UW Equity", "株式会社", "S.à r.l.", "\ud800".encode("utf-8", "surrogatepass")
    .decode("utf-8", "replace"), "\t\n\r", "ЦЛБТ", "2021-13-45", "99999999999999999999",
]
PARAMS = ["q", "name", "isin", "lei", "cik", "cusip", "figi", "ticker", "exchange", "domain",
          "policy", "as_of", "page", "page_size", "kind", "rating", "flag", "country", "since",
          "status"]
GETS = ["/api/v1/screen", "/api/v1/entities", "/api/v1/entities/cellebrite",
        "/api/v1/entities/%00", "/api/v1/watchlist", "/api/v1/taxonomy", "/api/v1/changes",
        "/api/v1/watchlist/versions", "/api/v1/policies", "/api/v1/proposals"]


def random_value(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(NASTY)
    alphabet = "abcXYZ019 .-:/%&=+_\u00e9\u4e2d\u0416"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))


@pytest.mark.parametrize("seed", range(6))
def test_random_queries_never_fail_the_server(bundled_client: FlaskClient, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(60):
        path = rng.choice(GETS)
        params = {rng.choice(PARAMS): random_value(rng) for _ in range(rng.randint(0, 4))}
        response = bundled_client.get(path, query_string=params)
        assert response.status_code < 500, (path, params, response.data[:300])
        if response.status_code >= 400 and response.status_code != 404:
            assert response.mimetype == "application/problem+json", (path, params)


def random_json(rng: random.Random, depth: int = 0) -> object:
    roll = rng.random()
    if depth > 2 or roll < 0.3:
        return rng.choice([None, True, 1, -1.5, 1e308, random_value(rng), [], {}])
    if roll < 0.6:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice([*PARAMS, "items", "ref", "weight", "changes", "summary", "op"]):
            random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}


@pytest.mark.parametrize("seed", range(4))
def test_random_bodies_never_fail_the_server(bundled_client: FlaskClient, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(40):
        body = random_json(rng)
        if rng.random() < 0.5:
            body = {"items": body if isinstance(body, list) else [body]}
        response = bundled_client.post("/api/v1/screen", data=json.dumps(body),
                                       content_type="application/json")
        assert response.status_code < 500, (body, response.data[:300])
    for raw in (b"{", b"\xff\xfe", b"[" * 10000, b'{"items": [' + b"{}," * 5000 + b"{}]}"):
        response = bundled_client.post("/api/v1/screen", data=raw,
                                       content_type="application/json")
        assert response.status_code < 500, raw[:40]


def test_random_proposals_never_fail_the_server(bundled_app) -> None:
    from esgscreen.store import audit, keys

    with bundled_app.extensions["esgscreen"].store.write() as session:
        _, secret = keys.create_key(session, "fuzz", "curator", audit.CLI)
    client = bundled_app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    rng = random.Random(11)
    ops = ["upsert_entity", "retire_entity", "add_identifier", "remove_identifier",
           "add_relation", "remove_relation", "add_flag", "update_flag", "close_flag",
           "add_evidence", "nonsense"]
    for _ in range(80):
        change = random_json(rng)
        if isinstance(change, dict) and rng.random() < 0.8:
            change["op"] = rng.choice(ops)
            change["entity_id"] = rng.choice(["cellebrite", "nso-group", random_value(rng)])
        body = {"summary": random_value(rng) or "x", "changes": [change]}
        response = client.post("/api/v1/proposals", json=body, headers=headers)
        assert response.status_code < 500, (body, response.data[:300])
