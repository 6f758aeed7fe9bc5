"""The Python client's watches API against a live server: create, read, list, replace, patch,
pause, delete, the events of a new version and the webhook delivery log, all typed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from esgscreen_client import Client, Delivery, ESGScreenError, Watch, WatchEvent

from esgscreen.app import create_app
from esgscreen.service.loading import load_directory
from esgscreen.service.worker import Worker
from esgscreen.store.db import Store
from tests.client.test_client import Live
from tests.conftest import WATCHLIST_DIR
from tests.receiver import receiving

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SUN = {"ref": "sun", "name": "Sun Corporation", "isin": "JP3336450006", "weight": 3.0}
APPLE = {"ref": "aapl", "name": "Apple Inc.", "isin": "US0378331005", "weight": 7.0}
NSO = {"ref": "nso", "name": "NSO Group"}


@pytest.fixture
def live(tmp_path: Any) -> Iterator[Live]:
    url = f"sqlite:///{tmp_path / 'esgscreen.sqlite3'}"
    store = Store(url)
    store.upgrade()
    load_directory(store, WATCHLIST_DIR, summary="test load")
    store.dispose()
    server = Live(create_app({"DATABASE_URL": url, "PUBLIC_READ": False, "SECRET_KEY": "t",
                              "VERSION_CHECK_INTERVAL": 0.0, "SETTLE_SNAPSHOTS": False,
                              "WEBHOOK_ALLOW_PRIVATE": True}))
    yield server
    server.stop()


def approve_closing_cellebrites_flag(live: Live) -> int:
    """A new watchlist version through the proposal API, as a curator and a reviewer would."""
    curator = Client(live.url, api_key=live.key("curator"))
    reviewer = Client(live.url, api_key=live.key("reviewer"))
    created = curator._request("POST", "/api/v1/proposals", json={
        "summary": "Cellebrite's critical flag concluded",
        "changes": [{"op": "close_flag", "entity_id": "cellebrite",
                     "code": "abuse_against_civil_society"}]}).json()
    approved = reviewer._request("POST", f"/api/v1/proposals/{created['id']}/approve").json()
    return approved["result_version"]


def test_a_watch_is_created_changed_and_deleted(live: Live) -> None:
    client = Client(live.url, api_key=live.key(), retries=0)
    created = client.create_watch("Global equities", [SUN, APPLE, {"ref": "bad",
                                                                   "isin": "US0378331006"}])
    assert isinstance(created, Watch)
    assert created.name == "Global equities" and created.items == 2
    assert created.state == "active" and created.screened_version == 1
    (error,) = created.errors
    assert error.ref == "bad" and error.error
    assert client.watch(created.id).items == 2
    assert [w.id for w in client.watches()] == [created.id]
    replaced = client.replace_watch(created.id, "Equities", [SUN, NSO], policy="no-spyware")
    assert replaced.name == "Equities" and replaced.items == 2
    assert replaced.policy == "no-spyware"
    patched = client.patch_watch(created.id, add=[APPLE], remove=["nso"], paused=True)
    assert patched.items == 2 and patched.state == "paused"
    assert client.patch_watch(created.id, policy=None, paused=False).policy is None
    assert client.patch_watch(created.id, name="Renamed").policy is None  # left as it was
    others = Client(live.url, api_key=live.key())
    with pytest.raises(ESGScreenError) as foreign:
        others.watch(created.id)
    assert foreign.value.status == 404
    with pytest.raises(ESGScreenError) as bad:
        client.create_watch("", [SUN])
    assert bad.value.status == 422 and "name" in bad.value.errors
    client.delete_watch(created.id)
    assert client.watches() == ()
    with pytest.raises(ESGScreenError) as gone:
        client.watch(created.id)
    assert gone.value.status == 404


def test_a_new_version_gives_typed_events_and_deliveries(live: Live) -> None:
    client = Client(live.url, api_key=live.key())
    with receiving() as receiver:
        receiver.secret = SECRET
        created = client.create_watch("Global equities", [SUN, APPLE],
                                      webhook={"url": receiver.url, "secret": SECRET})
        version = approve_closing_cellebrites_flag(live)
        assert client.watch_events(created.id) == ()
        assert Worker(live.app.extensions["esgscreen"].monitor, name="test").run_once()
        receiver.wait_for(1)
    (event,) = client.watch_events(created.id)
    assert isinstance(event, WatchEvent)
    assert event.ref == "sun" and event.version == version and event.watch_id == created.id
    assert (event.before.rating, event.after.rating) == ("orange", "yellow")
    assert (event.before.action, event.after.action) == ("restrict", "review")
    assert "Cellebrite" in event.reason
    assert client.watch_events(created.id, since=version) == ()
    (delivery,) = client.watch_deliveries(created.id)
    assert isinstance(delivery, Delivery)
    assert delivery.state == "delivered" and delivery.version == version
    assert delivery.webhook_id.startswith("msg_")
    assert [attempt["status_code"] for attempt in delivery.log] == [200]
    assert client.watch(created.id).screened_version == version
