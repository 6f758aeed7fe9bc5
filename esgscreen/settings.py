"""Settings, read once from ``ESGSCREEN_*`` environment variables.

``from_env()`` turns the environment into the Flask config keys the app uses; tests hand
``create_app`` a mapping instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
# The curated watchlist shipped with the source tree.
BUNDLED_WATCHLIST_DIR = PACKAGE_DIR.parent / "watchlist"

TRUE_WORDS = {"1", "true", "yes", "on"}


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in TRUE_WORDS


def default_database_url(instance_path: str | Path) -> str:
    return f"sqlite:///{Path(instance_path) / 'esgscreen.sqlite3'}"


def from_env(environ: os._Environ[str] | dict[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    config: dict[str, Any] = {
        # SQLAlchemy URL; empty means a SQLite file in the Flask instance folder.
        "DATABASE_URL": env.get("ESGSCREEN_DATABASE_URL", ""),
        # true lets anyone read and screen without an API key.
        "PUBLIC_READ": _flag(env.get("ESGSCREEN_PUBLIC_READ"), False),
        "SECRET_KEY": env.get("ESGSCREEN_SECRET_KEY", ""),
        "LOG_LEVEL": env.get("ESGSCREEN_LOG_LEVEL", "INFO").upper(),
        "WATCHLIST_DIR": env.get("ESGSCREEN_WATCHLIST_DIR", str(BUNDLED_WATCHLIST_DIR)),
        # How often (seconds) a worker asks the database whether a new version was published.
        "VERSION_CHECK_INTERVAL": float(env.get("ESGSCREEN_VERSION_CHECK_INTERVAL", "1.0")),
        # Requests a key (or, without one, a client address) may make to /api/; "" turns
        # limits off. Syntax of the limits package: "6000 per minute;200 per second".
        "RATE_LIMIT": env.get("ESGSCREEN_RATE_LIMIT", "6000 per minute"),
        # Where the counts live: memory:// is per worker; redis://host:6379 shares them.
        "RATE_LIMIT_STORAGE": env.get("ESGSCREEN_RATE_LIMIT_STORAGE", "memory://"),
        # Single-screen answers a worker keeps per watchlist version (0: none).
        "ANSWER_CACHE_SIZE": int(env.get("ESGSCREEN_ANSWER_CACHE_SIZE", "1000")),
        # Most items one POST /api/v1/screen may hold.
        "MAX_BATCH_ITEMS": int(env.get("ESGSCREEN_MAX_BATCH_ITEMS", "10000")),
        # Largest request body accepted, in bytes.
        "MAX_CONTENT_LENGTH": int(env.get("ESGSCREEN_MAX_CONTENT_LENGTH", str(16 * 1024 * 1024))),
        # Most items one watched portfolio may hold.
        "MAX_WATCH_ITEMS": int(env.get("ESGSCREEN_MAX_WATCH_ITEMS", "100000")),
        # true lets webhooks go to loopback and private addresses (tests, closed networks).
        "WEBHOOK_ALLOW_PRIVATE": _flag(env.get("ESGSCREEN_WEBHOOK_ALLOW_PRIVATE"), False),
        # Seconds to wait for a webhook receiver's answer.
        "WEBHOOK_TIMEOUT": float(env.get("ESGSCREEN_WEBHOOK_TIMEOUT", "10")),
        # First retry delay (seconds), doubled per failed attempt up to the cap, with jitter.
        "WEBHOOK_RETRY_BASE": float(env.get("ESGSCREEN_WEBHOOK_RETRY_BASE", "5")),
        "WEBHOOK_RETRY_CAP": float(env.get("ESGSCREEN_WEBHOOK_RETRY_CAP", "3600")),
        # A watch whose endpoint has failed this many seconds in a row is paused.
        "WEBHOOK_PAUSE_AFTER": float(env.get("ESGSCREEN_WEBHOOK_PAUSE_AFTER", "86400")),
        # Seconds a worker holds a claimed job or delivery; a killed worker's claim runs out
        # after this and another worker resumes it. Keep it above WEBHOOK_TIMEOUT.
        "WORKER_LEASE": float(env.get("ESGSCREEN_WORKER_LEASE", "60")),
        # Seconds an idle worker waits before looking for work again.
        "WORKER_POLL_INTERVAL": float(env.get("ESGSCREEN_WORKER_POLL_INTERVAL", "0.5")),
        # false: `esgscreen serve` does not start a monitoring worker beside gunicorn.
        "SERVE_WORKER": _flag(env.get("ESGSCREEN_SERVE_WORKER"), True),
    }
    return config
