"""API keys, roles, public reading and rate limits."""

from __future__ import annotations

from flask import Flask

from esgscreen.store import audit, keys
from esgscreen.store.db import Store
from tests.conftest import make_app


def make_key(store: Store, role: str, name: str = "test key") -> str:
    with store.write() as session:
        _, secret = keys.create_key(session, name, role, audit.CLI)
    return secret


def private_app(app: Flask, **config: object) -> Flask:
    return make_app(app.config["DATABASE_URL"], PUBLIC_READ=False, **config)


def test_reads_need_a_key_unless_public(app: Flask) -> None:
    assert app.test_client().get("/api/v1/screen?q=NSO").status_code == 200
    closed = private_app(app).test_client()
    response = closed.get("/api/v1/screen?q=NSO")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert "Bearer" in response.headers["WWW-Authenticate"]
    assert closed.get("/api/v1/watchlist").status_code == 401
    assert closed.get("/healthz").status_code == 200


def test_a_valid_key_reads_and_a_revoked_one_does_not(app: Flask) -> None:
    store = app.extensions["esgscreen"].store
    secret = make_key(store, "screener", "nightly batch")
    closed = private_app(app)
    client = closed.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/screen?q=NSO", headers=auth).status_code == 200
    assert client.get("/api/v1/screen?q=NSO",
                      headers={"Authorization": "Bearer esk_wrong"}).status_code == 401
    assert client.get("/api/v1/screen?q=NSO",
                      headers={"Authorization": "Basic abc"}).status_code == 401
    with store.write() as session:
        key_id = keys.list_keys(session)[0].id
        keys.revoke_key(session, key_id, audit.CLI)
    fresh = private_app(app).test_client()  # a new worker has no cached verdict
    assert fresh.get("/api/v1/screen?q=NSO", headers=auth).status_code == 401


def test_keys_are_stored_hashed_and_audited(store: Store) -> None:
    secret = make_key(store, "curator", "alice")
    with store.read() as session:
        (info,) = keys.list_keys(session)
        assert keys.find_key(session, secret) == info
        events = audit.list_events(session)
        from esgscreen.store.models import ApiKey
        stored = session.get(ApiKey, info.id)
    assert secret not in (stored.key_hash, stored.prefix)
    assert stored.key_hash == keys.hash_key(secret)
    assert events[0].action == "key.create" and events[0].actor == "cli:command line"


def test_role_order() -> None:
    from esgscreen.core.roles import role_allows

    assert role_allows("admin", "screener")
    assert role_allows("reviewer", "curator")
    assert not role_allows("screener", "curator")
    assert not role_allows("curator", "reviewer")


def test_rate_limit_answers_429_with_retry_after(app: Flask) -> None:
    limited = make_app(app.config["DATABASE_URL"], RATE_LIMIT="3 per minute")
    client = limited.test_client()
    codes = [client.get("/api/v1/watchlist").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/v1/watchlist")
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert client.get("/healthz").status_code == 200  # probes are never limited
