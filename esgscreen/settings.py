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
        # Screening requests (API and pages) a key, a signed-in user or, without either, a
        # client address may make; "" turns limits off. Syntax of the limits package:
        # "6000 per minute;200 per second".
        "RATE_LIMIT": env.get("ESGSCREEN_RATE_LIMIT", "6000 per minute"),
        # Sign-in attempts per client address (needs RATE_LIMIT on).
        "LOGIN_RATE_LIMIT": env.get("ESGSCREEN_LOGIN_RATE_LIMIT", "20 per minute;200 per day"),
        # Where the counts live: memory:// is per worker; redis://host:6379 shares them.
        "RATE_LIMIT_STORAGE": env.get("ESGSCREEN_RATE_LIMIT_STORAGE", "memory://"),
        # Single-screen answers a worker keeps per watchlist version (0: none).
        "ANSWER_CACHE_SIZE": int(env.get("ESGSCREEN_ANSWER_CACHE_SIZE", "1000")),
        # Most items one POST /api/v1/screen may hold.
        "MAX_BATCH_ITEMS": int(env.get("ESGSCREEN_MAX_BATCH_ITEMS", "10000")),
        # How many proxies in front of the service set X-Forwarded-For/-Proto (0: none;
        # then those headers are ignored, as anyone could send them).
        "TRUSTED_PROXIES": int(env.get("ESGSCREEN_TRUSTED_PROXIES", "0") or 0),
        # Largest request body accepted, in bytes.
        "MAX_CONTENT_LENGTH": int(env.get("ESGSCREEN_MAX_CONTENT_LENGTH", str(16 * 1024 * 1024))),
    }
    return config
