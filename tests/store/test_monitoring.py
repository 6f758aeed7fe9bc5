"""The outbox's claims on each backend: one worker per row while its lease runs, then the next."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from esgscreen.service.loading import load_directory
from esgscreen.store import models as m
from esgscreen.store import monitoring as rows
from esgscreen.store.db import Store
from tests.conftest import WATCHLIST_DIR


def _outbox(store: Store, count: int) -> None:
    now = datetime.now(UTC)
    with store.write() as session:
        watch = m.Watch(name="w", owner="key:1", owner_name="pm", state="active",
                        webhook_url="http://127.0.0.1:9/", webhook_secret="x",
                        screened_version=1, created_at=now, updated_at=now)
        session.add(watch)
        session.flush()
        session.add_all(
            m.WebhookDelivery(watch_id=watch.id, version=n + 1, message_id=f"msg_{n}",
                              payload="{}", state="pending", attempts=0,
                              next_attempt_at=now, created_at=now)
            for n in range(count))


def test_a_claimed_delivery_is_nobody_elses_until_its_lease_runs_out(store: Store) -> None:
    load_directory(store, WATCHLIST_DIR, summary="test load")
    _outbox(store, 1)
    now = datetime.now(UTC)
    with store.write(serialise=False) as session:
        first = rows.claim_delivery(session, "a", now + timedelta(seconds=60), now)
        assert first is not None and first.claimed_by == "a" and first.attempts == 1
    with store.write(serialise=False) as session:
        assert rows.claim_delivery(session, "b", now + timedelta(seconds=60), now) is None
    later = now + timedelta(seconds=61)
    with store.write(serialise=False) as session:
        again = rows.claim_delivery(session, "b", later + timedelta(seconds=60), later)
        assert again is not None and again.id == first.id and again.attempts == 2


def test_racing_claims_take_each_row_once(store: Store) -> None:
    load_directory(store, WATCHLIST_DIR, summary="test load")
    _outbox(store, 20)
    taken: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    start = threading.Barrier(len(taken))

    def claim_all(worker: str) -> None:
        start.wait()
        while True:
            now = datetime.now(UTC)
            with store.write(serialise=False) as session:
                found = rows.claim_delivery(session, worker, now + timedelta(seconds=60), now)
                if found is None:
                    return
                taken[worker].append(found.id)

    threads = [threading.Thread(target=claim_all, args=(w,)) for w in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    claimed = [i for ids in taken.values() for i in ids]
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 20


def test_publishing_leaves_a_job_for_the_worker(store: Store) -> None:
    load_directory(store, WATCHLIST_DIR, summary="test load")
    with store.read() as session:
        assert rows.pending_versions(session) == [1]
    now = datetime.now(UTC)
    with store.write(serialise=False) as session:
        job = rows.claim_job(session, "a", now + timedelta(seconds=60), now)
        assert job is not None and job.version == 1
    with store.write(serialise=False) as session:
        assert rows.claim_job(session, "b", now + timedelta(seconds=60), now) is None
        rows.finish_job(session, job.id, now)
    with store.read() as session:
        assert rows.pending_versions(session) == []
