"""Settings, read once: from ``ESGSCREEN_*`` environment variables, then the app's overrides.

``from_env()`` turns the environment into the Flask config keys the app starts from (tests and
hosts hand ``create_app`` a mapping on top); ``Settings.from_config`` reads those keys once into
the one object the service consults (``services().settings``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from esgscreen.core.freshness import DEFAULT_REVIEW_YEARS

PACKAGE_DIR = Path(__file__).resolve().parent
# The curated watchlist shipped with the source tree.
BUNDLED_WATCHLIST_DIR = PACKAGE_DIR.parent / "watchlist"

TRUE_WORDS = {"1", "true", "yes", "on"}


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_WORDS


@dataclass(frozen=True, slots=True)
class Settings:
    # SQLAlchemy URL; empty means a SQLite file in the Flask instance folder.
    database_url: str = ""
    # true lets anyone read and screen without an API key.
    public_read: bool = False
    secret_key: str = ""
    log_level: str = "INFO"
    watchlist_dir: str = str(BUNDLED_WATCHLIST_DIR)
    # The policies file; empty means policies.yaml in the watchlist directory.
    policies_file: str = ""
    # How often (seconds) a worker asks the database whether a new version was published.
    version_check_interval: float = 1.0
    # Screening requests (API and pages) a key, a signed-in user or, without either, a
    # client address may make; "" turns limits off. Syntax of the limits package:
    # "6000 per minute;200 per second".
    rate_limit: str = "6000 per minute"
    # Where the counts live: memory:// is per worker; redis://host:6379 shares them.
    rate_limit_storage: str = "memory://"
    # Sign-in attempts per client address ("" turns it off; so does rate_limit "").
    login_rate_limit: str = "20 per minute;200 per day"
    # How many proxies in front set X-Forwarded-For/-Proto (0: none; then those headers are
    # ignored, as anyone could send them).
    trusted_proxies: int = 0
    # Single-screen answers a worker keeps (0: none).
    answer_cache_size: int = 1000
    # Most items one POST /api/v1/screen (or one portfolio upload) may hold.
    max_batch_items: int = 10000
    # Largest request body accepted, in bytes.
    max_content_length: int = 16 * 1024 * 1024
    # Take each new snapshot out of the garbage collector's scans (see snapshots._settle).
    settle_snapshots: bool = True
    # Record every screen in the screening log (buffered per worker, written in batches).
    screening_log: bool = True
    # Days the screening log keeps a record ('esgscreen screenings purge' drops older ones).
    screening_log_days: int = 400
    # Seconds between a worker's writes of its buffered screening records: a worker killed
    # outright loses at most this much of the log.
    screening_log_flush_seconds: float = 2.0
    # Buffered records that trigger a write before the interval is up.
    screening_log_flush_size: int = 2000
    # true serves /metrics without an admin key (e.g. to a scraper on a private network).
    metrics_public: bool = False
    # Most items one watched portfolio may hold.
    max_watch_items: int = 100_000
    # true lets webhooks go to loopback and private addresses (tests, closed networks).
    webhook_allow_private: bool = False
    # Seconds to wait for a webhook receiver's answer.
    webhook_timeout: float = 10.0
    # First retry delay (seconds), doubled per failed attempt up to the cap, with jitter.
    webhook_retry_base: float = 5.0
    webhook_retry_cap: float = 3600.0
    # A watch whose endpoint has failed this many seconds in a row is paused.
    webhook_pause_after: float = 86_400.0
    # Seconds a worker holds a claimed job or delivery; a killed worker's claim runs out after
    # this and another worker resumes it. Keep it above webhook_timeout.
    worker_lease: float = 60.0
    # Seconds an idle worker waits before looking for work again.
    worker_poll_interval: float = 0.5
    # false: `esgscreen serve` does not start a monitoring worker beside gunicorn.
    serve_worker: bool = True
    # An ongoing flag whose newest evidence is older than this many years is review due.
    review_due_years: int = DEFAULT_REVIEW_YEARS

    def __post_init__(self) -> None:
        if self.review_due_years < 1:
            raise ValueError(
                f"ESGSCREEN_REVIEW_DUE_YEARS must be at least 1 year, not {self.review_due_years}"
            )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """The settings in a Flask config (upper-case keys); absent keys keep their default."""
        values: dict[str, Any] = {}
        for spec in fields(cls):
            key = spec.name.upper()
            if key in config and config[key] is not None:
                values[spec.name] = _PARSERS[spec.type](config[key])
        return cls(**values)


_PARSERS: dict[Any, Callable[[Any], Any]] = {
    "str": str, "bool": _flag, "int": int, "float": float,
}


def default_database_url(instance_path: str | Path) -> str:
    return f"sqlite:///{Path(instance_path) / 'esgscreen.sqlite3'}"


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``ESGSCREEN_*`` variables that are set, as Flask config keys (``ESGSCREEN_RATE_LIMIT``
    becomes ``RATE_LIMIT``), with every setting's default for the rest."""
    env = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for spec in fields(Settings):
        key = spec.name.upper()
        value = env.get(f"ESGSCREEN_{key}")
        if value is None or (value.strip() == "" and spec.type != "str"):
            config[key] = spec.default
        else:
            config[key] = _PARSERS[spec.type](value)
    return config
