"""Bringing watchlist YAML into the store, and the store's current version back out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from esgscreen.store import audit, repository
from esgscreen.store.db import Store
from esgscreen.watchlist.files import read_watchlist, validate_directory, write_watchlist
from esgscreen.watchlist.validate import Problem, WatchlistInvalid


@dataclass(frozen=True)
class LoadResult:
    version: int | None  # the new version, or None when nothing changed
    current: int  # the version in force after the load
    entities: int


def load_directory(
    store: Store,
    directory: Path,
    *,
    summary: str | None = None,
    actor: audit.Actor = audit.CLI,
) -> LoadResult:
    """Validate ``directory`` and publish it as a new version if it differs from the current one.

    All or nothing: invalid files raise ``WatchlistInvalid`` and the store is left as it was.
    """
    problems: list[Problem] = validate_directory(directory)
    if problems:
        raise WatchlistInvalid(problems)
    watchlist = read_watchlist(directory)
    with store.write() as session:
        version = repository.publish(
            session,
            watchlist.entities.values(),
            list(watchlist.taxonomy.values()),
            summary=summary or f"Loaded from {directory.name}/",
            author=str(actor),
        )
        current = version if version is not None else repository.current_version(session)
        if version is not None:
            audit.record(session, actor, "watchlist.publish", f"version:{version}",
                         {"source": str(directory), "entities": len(watchlist.entities)})
    return LoadResult(version, current or 0, len(watchlist.entities))


def export_directory(store: Store, directory: Path, version: int | None = None) -> int:
    """Write a version (default: the current one) as YAML files; returns the version written."""
    with store.read() as session:
        watchlist = repository.load_watchlist(session, version)
    if watchlist is None:
        raise LookupError(
            "There is no such watchlist version." if version else "No watchlist version yet."
        )
    write_watchlist(watchlist, directory)
    return watchlist.version


def ensure_ready(store: Store, directory: Path) -> LoadResult | None:
    """On a fresh database: migrate, then load the bundled watchlist. Otherwise just migrate."""
    store.upgrade()
    with store.read() as session:
        if repository.current_version(session) is not None:
            return None
    return load_directory(store, directory, summary="Bundled watchlist")
