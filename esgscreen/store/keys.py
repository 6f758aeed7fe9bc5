"""API keys: created with a role, stored hashed, revoked but never deleted."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from esgscreen.core.roles import ROLES
from esgscreen.store import audit
from esgscreen.store.models import ApiKey

KEY_PREFIX = "esk_"


@dataclass(frozen=True, slots=True)
class KeyInfo:
    id: int
    name: str
    role: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


def hash_key(secret: str) -> str:
    # Keys are 256 random bits, so a plain SHA-256 cannot be brute-forced.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _info(row: ApiKey) -> KeyInfo:
    return KeyInfo(row.id, row.name, row.role, row.prefix, row.created_at, row.revoked_at)


def create_key(session: Session, name: str, role: str, actor: audit.Actor) -> tuple[KeyInfo, str]:
    """A new key: returns its record and the secret, which is never stored."""
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; roles are: {', '.join(ROLES)}.")
    if not name.strip():
        raise ValueError("A key needs a name that says who uses it.")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name.strip(),
        role=role,
        prefix=secret[: len(KEY_PREFIX) + 6],
        key_hash=hash_key(secret),
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "key.create", f"key:{row.id}", {"name": row.name, "role": role})
    return _info(row), secret


def list_keys(session: Session) -> list[KeyInfo]:
    return [_info(r) for r in session.scalars(select(ApiKey).order_by(ApiKey.id))]


def revoke_key(session: Session, key_id: int, actor: audit.Actor) -> KeyInfo:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise LookupError(f"There is no key {key_id}.")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        audit.record(session, actor, "key.revoke", f"key:{row.id}", {"name": row.name})
    return _info(row)


def find_key(session: Session, secret: str) -> KeyInfo | None:
    """The live key with this secret, or None (unknown or revoked)."""
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(secret)))
    if row is None or row.revoked_at is not None:
        return None
    return _info(row)
