"""Database tables.

The watchlist is stored as revisions: a row of ``entity_revisions`` holds one state of an
entity, valid from ``since_version`` up to (not including) ``until_version``; its names,
identifiers, products, relations and flags hang off it and never change. Publishing a version
closes the revisions it changes and adds new ones, so any past version can be rebuilt.
The taxonomy is versioned the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    pass


class WatchlistVersion(Base):
    __tablename__ = "watchlist_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    summary: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    # Changes in this version: entities added, changed and removed, taxonomy changed.
    changes: Mapped[dict] = mapped_column(JSON)


class EntityRevision(Base):
    __tablename__ = "entity_revisions"
    __table_args__ = (
        Index("ix_entity_revisions_entity", "entity_id", "since_version"),
        Index("ix_entity_revisions_open", "until_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(120))
    since_version: Mapped[int] = mapped_column(ForeignKey("watchlist_versions.id"))
    until_version: Mapped[int | None] = mapped_column(ForeignKey("watchlist_versions.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    country: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)

    aliases: Mapped[list[EntityAlias]] = relationship(
        order_by="EntityAlias.position", cascade="all, delete-orphan"
    )
    identifiers: Mapped[list[EntityIdentifier]] = relationship(
        order_by="EntityIdentifier.position", cascade="all, delete-orphan"
    )
    products: Mapped[list[EntityProduct]] = relationship(
        order_by="EntityProduct.position", cascade="all, delete-orphan"
    )
    relations: Mapped[list[EntityRelation]] = relationship(
        order_by="EntityRelation.position", cascade="all, delete-orphan"
    )
    flags: Mapped[list[EntityFlag]] = relationship(
        order_by="EntityFlag.position", cascade="all, delete-orphan"
    )


class EntityAlias(Base):
    __tablename__ = "entity_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("entity_revisions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    lang: Mapped[str | None] = mapped_column(String(35))


class EntityIdentifier(Base):
    __tablename__ = "entity_identifiers"
    __table_args__ = (Index("ix_entity_identifiers_value", "type", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("entity_revisions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(200))
    exchange: Mapped[str | None] = mapped_column(String(20))
    confidence: Mapped[str] = mapped_column(String(10))
    source: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class EntityProduct(Base):
    __tablename__ = "entity_products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("entity_revisions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)


class EntityRelation(Base):
    __tablename__ = "entity_relations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("entity_revisions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    target_entity_id: Mapped[str] = mapped_column(String(120), index=True)
    share: Mapped[float | None] = mapped_column(Float)
    share_text: Mapped[str | None] = mapped_column(Text)
    since: Mapped[str | None] = mapped_column(String(10))
    until: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)

    evidence: Mapped[list[Evidence]] = relationship(
        order_by="Evidence.position",
        cascade="all, delete-orphan",
        primaryjoin="EntityRelation.id == Evidence.relation_id",
    )


class EntityFlag(Base):
    __tablename__ = "entity_flags"
    __table_args__ = (Index("ix_entity_flags_code", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("entity_revisions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(60))
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    since: Mapped[str | None] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(Text)

    evidence: Mapped[list[Evidence]] = relationship(
        order_by="Evidence.position",
        cascade="all, delete-orphan",
        primaryjoin="EntityFlag.id == Evidence.flag_id",
    )


class Evidence(Base):
    """A cited source, for a flag or for a relation."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_id: Mapped[int | None] = mapped_column(
        ForeignKey("entity_flags.id", ondelete="CASCADE"), index=True
    )
    relation_id: Mapped[int | None] = mapped_column(
        ForeignKey("entity_relations.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text)
    publisher: Mapped[str] = mapped_column(Text)
    date: Mapped[str | None] = mapped_column(String(10))
    title: Mapped[str | None] = mapped_column(Text)
    authority: Mapped[str | None] = mapped_column(String(20))


class FlagCodeRevision(Base):
    __tablename__ = "flag_code_revisions"
    __table_args__ = (Index("ix_flag_code_revisions_code", "code", "since_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    since_version: Mapped[int] = mapped_column(ForeignKey("watchlist_versions.id"))
    until_version: Mapped[int | None] = mapped_column(ForeignKey("watchlist_versions.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    definition: Mapped[str] = mapped_column(Text)
    default_severity: Mapped[str] = mapped_column(String(10))
    standards: Mapped[list] = mapped_column(JSON)
    derived: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(Integer)


class ApiKey(Base):
    """An API key. Only its SHA-256 is kept; the key itself is shown once, at creation."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in listings to tell keys apart
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    """Who did what, when, through which key or user. Appended, never changed."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_subject", "subject"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))  # "key:3 nightly-batch", "user:alice", "cli"
    action: Mapped[str] = mapped_column(String(60))  # "key.create", "watchlist.publish", …
    subject: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict] = mapped_column(JSON)
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class User(Base):
    """A person signing in to the web pages. Passwords are kept only as werkzeug hashes."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Kept in each session cookie; moving it on (sign-out, new password, disabling) ends
    # every session the user has.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Proposal(Base):
    """A proposed change to the watchlist, waiting for a second person's review."""

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_status", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # pending, approved, rejected, withdrawn
    changes: Mapped[list] = mapped_column(JSON)
    # The version the proposal was written against, and the content hash each entity it
    # touches had then (None: did not exist), to refuse approval if they moved since.
    base_version: Mapped[int | None] = mapped_column(Integer)
    base_hashes: Mapped[dict] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(200))  # the actor, e.g. "key:3 alice"
    author_identity: Mapped[str] = mapped_column(String(200))  # "key:3", "user:alice"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    result_version: Mapped[int | None] = mapped_column(ForeignKey("watchlist_versions.id"))
