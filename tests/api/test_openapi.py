"""The OpenAPI document as a client generator reads it: operationIds, the bearer scheme,
every error as application/problem+json, and X-Pagination as it is sent."""

from __future__ import annotations

import json
import re

from flask.testing import FlaskClient

from esgscreen.api.openapi import OPERATION_IDS

METHODS = {"get", "post", "put", "patch", "delete"}


def operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [(method, path, op) for path, item in spec["paths"].items()
            for method, op in item.items() if method in METHODS]


def resolve(spec: dict, node: dict) -> dict:
    if "$ref" in node:
        _, _, section, name = node["$ref"].split("/")
        return spec["components"][section][name]
    return node


def test_every_operation_has_a_unique_camel_case_operation_id(
        bundled_client: FlaskClient) -> None:
    spec = bundled_client.get("/openapi.json").get_json()
    ids = [op["operationId"] for _, _, op in operations(spec)]
    assert len(ids) == len(set(ids)), sorted(ids)
    for op_id in ids:
        assert re.fullmatch(r"[a-z]+(?:[A-Z0-9][a-z0-9]*)*", op_id), op_id
    named = {op["operationId"] for _, _, op in operations(spec)}
    assert {"screen", "screenPortfolio", "getEntity", "listChanges"} <= named
    # Every table entry names a real operation (a renamed path must update the table).
    paths = {(method, path) for method, path, _ in operations(spec)}
    assert set(OPERATION_IDS) <= paths, set(OPERATION_IDS) - paths


def test_bearer_scheme_and_documented_errors(bundled_client: FlaskClient) -> None:
    spec = bundled_client.get("/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearerAuth"]["description"]}
    for method, path, op in operations(spec):
        assert op["security"] == [{"bearerAuth": []}], (method, path)
        responses = op["responses"]
        assert {"401", "403", "429"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        for status, response in responses.items():
            if status == "default" or status[0] in "45":
                content = resolve(spec, response)["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
    assert "409" in spec["paths"]["/api/v1/proposals/{proposal_id}/approve"]["post"]["responses"]
    assert "413" in spec["paths"]["/api/v1/screen"]["post"]["responses"]
    too_many = spec["components"]["responses"]["TooManyRequests"]
    assert "Retry-After" in too_many["headers"]


def test_x_pagination_is_described_as_sent(bundled_client: FlaskClient) -> None:
    spec = bundled_client.get("/openapi.json").get_json()
    header = spec["components"]["headers"]["PAGINATION"]
    assert header["schema"] == {"type": "string"} and "JSON text" in header["description"]
    sent = json.loads(bundled_client.get("/api/v1/entities?page_size=2")
                      .headers["X-Pagination"])
    assert {"total", "page"} <= set(sent)
    assert all(name in header["description"] for name in sent)
