"""The API against its own OpenAPI document, fuzzed by schemathesis (bounded, seeded by
Hypothesis's derandomised mode, on SQLite): no answer may be a 5xx or differ from what the
document says (status, media type, headers, body schema), for an anonymous caller and for an
admin key."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from esgscreen.service.loading import load_directory
from esgscreen.store import audit, keys
from esgscreen.store.db import Store
from tests.conftest import WATCHLIST_DIR, make_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def contract_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('contract')) / 'esgscreen.sqlite3'}"
    store = Store(url)
    store.upgrade()
    load_directory(store, WATCHLIST_DIR, summary="test load")
    store.dispose()
    app = make_app(url, RATE_LIMIT="", MAX_BATCH_ITEMS=50)
    with app.extensions["esgscreen"].store.write() as session:
        _, secret = keys.create_key(session, "contract-admin", "admin", audit.CLI)
    app.config["TEST_ADMIN_KEY"] = secret
    yield app
    app.extensions["esgscreen"].store.dispose()


# The committed document, which test_document checks is the one the app serves.
schema = schemathesis.openapi.from_path(
    Path(__file__).resolve().parents[2] / "schemas" / "openapi.json")


# Examples per operation: 12 keeps the run near 20 s; ESGSCREEN_FUZZ_EXAMPLES=500 digs deeper.
FUZZ = settings(max_examples=int(os.environ.get("ESGSCREEN_FUZZ_EXAMPLES", "12")),
                deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


@schema.parametrize()
@FUZZ
def test_the_api_keeps_its_contract_for_anyone(case: schemathesis.Case,
                                               contract_app: Flask) -> None:
    case.call_and_validate(app=contract_app, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_the_api_keeps_its_contract_for_an_admin(case: schemathesis.Case,
                                                 contract_app: Flask) -> None:
    key = contract_app.config["TEST_ADMIN_KEY"]
    case.call_and_validate(app=contract_app, headers={"Authorization": f"Bearer {key}"},
                           checks=CHECKS)
