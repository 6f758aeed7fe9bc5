"""People who sign in to the web pages, with a role and a hashed password."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from esgscreen.core import bounds
from esgscreen.core.roles import ROLES
from esgscreen.store import audit
from esgscreen.store.models import User

USERNAME = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._@-]{{1,{bounds.USERNAME - 1}}}$")
MIN_PASSWORD = 10
# Checked against when the user does not exist, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("not a real password")


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    username: str
    role: str
    created_at: datetime
    disabled_at: datetime | None
    session_generation: int = 0


def _info(row: User) -> UserInfo:
    return UserInfo(row.id, row.username, row.role, row.created_at, row.disabled_at,
                    row.session_generation or 0)


def create_user(
    session: Session, username: str, password: str, role: str, actor: audit.Actor
) -> UserInfo:
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; roles are: {', '.join(ROLES)}.")
    if not USERNAME.fullmatch(username):
        raise ValueError("A username is 2 to 80 letters, digits, dots, dashes, @ or underscores.")
    _check_password(password)
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ValueError(f"There is already a user {username!r}.")
    row = User(username=username, password_hash=generate_password_hash(password), role=role,
               created_at=datetime.now(UTC), session_generation=0)
    session.add(row)
    session.flush()
    audit.record(session, actor, "user.create", f"user:{username}", {"role": role})
    return _info(row)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"A password needs at least {MIN_PASSWORD} characters.")
    if len(password) > bounds.PASSWORD:
        raise ValueError(f"A password has at most {bounds.PASSWORD} characters.")


def _by_name(session: Session, username: str) -> User:
    row = session.scalar(select(User).where(User.username == username))
    if row is None:
        raise LookupError(f"There is no user {username!r}.")
    return row


def end_sessions(session: Session, user_id: int) -> None:
    """End every session the user has: each cookie carries the old generation."""
    row = session.get(User, user_id, with_for_update=True)
    if row is not None:
        row.session_generation = (row.session_generation or 0) + 1


def set_password(session: Session, username: str, password: str, actor: audit.Actor
                 ) -> UserInfo:
    """A new password; every session of the user ends."""
    _check_password(password)
    row = _by_name(session, username)
    row.password_hash = generate_password_hash(password)
    end_sessions(session, row.id)
    audit.record(session, actor, "user.set_password", f"user:{username}", {})
    return _info(row)


def authenticate(session: Session, username: str, password: str) -> UserInfo | None:
    if len(password) > bounds.PASSWORD or not USERNAME.match(username):
        check_password_hash(_DUMMY_HASH, password[:bounds.PASSWORD])
        return None
    row = session.scalar(select(User).where(User.username == username))
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if row.disabled_at is not None or not check_password_hash(row.password_hash, password):
        return None
    return _info(row)


def get_user(session: Session, user_id: int) -> UserInfo | None:
    row = session.get(User, user_id)
    return _info(row) if row is not None and row.disabled_at is None else None


def list_users(session: Session) -> list[UserInfo]:
    return [_info(r) for r in session.scalars(select(User).order_by(User.id))]


def disable_user(session: Session, username: str, actor: audit.Actor) -> UserInfo:
    row = _by_name(session, username)
    if row.disabled_at is None:
        row.disabled_at = datetime.now(UTC)
        end_sessions(session, row.id)
        audit.record(session, actor, "user.disable", f"user:{username}", {})
    return _info(row)
