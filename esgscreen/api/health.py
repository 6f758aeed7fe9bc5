"""Liveness and readiness probes."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from esgscreen.extensions import services

blp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@blp.get("/healthz")
def healthz():
    """The process is up."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz():
    """Ready when the database answers and a watchlist version is loaded."""
    try:
        services().store.ping()
        snapshot = services().snapshots.current()
    except SQLAlchemyError as error:
        log.warning("database not reachable", extra={"error": str(error)})
        return jsonify(status="unavailable", reason="database not reachable"), 503
    if snapshot is None:
        return jsonify(status="unavailable", reason="no watchlist version loaded"), 503
    return jsonify(status="ready", watchlist_version=snapshot.version)
