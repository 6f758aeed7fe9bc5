"""The versioned store, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from esgscreen.store import repository
from esgscreen.store.db import Store
from tests.factories import TAXONOMY, holding, vendor


def publish(store: Store, entities, taxonomy=TAXONOMY, **kwargs):
    with store.write() as session:
        return repository.publish(
            session, entities, list(taxonomy), summary=kwargs.pop("summary", "test"),
            author="tests", **kwargs
        )


def load(store: Store, version: int | None = None):
    with store.read() as session:
        return repository.load_watchlist(session, version)


def test_empty_store_has_no_version(store: Store) -> None:
    assert load(store) is None
    with store.read() as session:
        assert repository.current_version(session) is None


def test_publish_round_trips_every_field(store: Store) -> None:
    assert publish(store, [vendor(), holding()]) == 1
    watchlist = load(store)
    assert watchlist.version == 1
    assert watchlist.entities["acme-spy"] == vendor()
    assert watchlist.entities["acme-holdings"] == holding()
    assert tuple(watchlist.taxonomy.values()) == TAXONOMY
    assert watchlist.flag_count == 1


def test_unchanged_content_makes_no_version(store: Store) -> None:
    publish(store, [vendor(), holding()])
    assert publish(store, [holding(), vendor()]) is None
    assert load(store).version == 1


def test_past_versions_are_reconstructed(store: Store) -> None:
    publish(store, [vendor(), holding()])
    renamed = vendor(name="Acme Surveillance Ltd.")
    assert publish(store, [renamed, holding()]) == 2
    assert publish(store, [renamed]) == 3  # holding retired

    assert load(store, 1).entities["acme-spy"].name == "Acme Spyware Ltd."
    assert load(store, 2).entities["acme-spy"].name == "Acme Surveillance Ltd."
    assert "acme-holdings" in load(store, 2).entities
    assert "acme-holdings" not in load(store, 3).entities
    assert load(store, 4) is None
    with store.read() as session:
        assert repository.entity_versions(session, "acme-spy") == [1, 2]
        assert repository.entity_versions(session, "acme-holdings") == [1, 3]
        changes = repository.get_version(session, 3).changes
    assert changes["removed"] == ["acme-holdings"]


def test_taxonomy_is_versioned(store: Store) -> None:
    publish(store, [vendor()])
    publish(store, [vendor()], taxonomy=TAXONOMY[:2] + (replace(TAXONOMY[2], title="Owner"),))
    assert load(store, 1).taxonomy["ownership_exposure"].title == "Ownership exposure"
    assert load(store, 2).taxonomy["ownership_exposure"].title == "Owner"


def test_failed_write_leaves_previous_version_intact(store: Store) -> None:
    publish(store, [vendor(), holding()])
    with pytest.raises(RuntimeError), store.write() as session:
        repository.publish(session, [vendor(name="Half Applied")], list(TAXONOMY),
                           summary="broken", author="tests")
        raise RuntimeError("killed half way")
    watchlist = load(store)
    assert watchlist.version == 1
    assert watchlist.entities["acme-spy"].name == "Acme Spyware Ltd."
    assert set(watchlist.entities) == {"acme-spy", "acme-holdings"}


def test_version_at_a_moment(store: Store) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    publish(store, [vendor()], now=start)
    publish(store, [vendor(name="Later")], now=start + timedelta(days=10))
    with store.read() as session:
        assert repository.version_at(session, start - timedelta(seconds=1)) is None
        assert repository.version_at(session, start + timedelta(days=1)) == 1
        assert repository.version_at(session, start + timedelta(days=11)) == 2
        versions = repository.list_versions(session)
    assert [v.version for v in versions] == [2, 1]
    assert versions[0].created_at == start + timedelta(days=10)
