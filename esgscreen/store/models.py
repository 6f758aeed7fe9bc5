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
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
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


class Screening(Base):
    """One screen as it was answered: who asked, what, against which version, and the outcome.

    Written in batches from each worker's buffer (see service/screenlog.py); a batch screen
    is one row with its counts, and its items that matched anything in ``screening_items``.
    """

    __tablename__ = "screenings"
    __table_args__ = (
        Index("ix_screenings_at", "at"),
        Index("ix_screenings_entity", "entity_id"),
        Index("ix_screenings_caller", "caller_identity", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    endpoint: Mapped[str] = mapped_column(String(20))  # screen, batch, lookup, record, portfolio
    caller: Mapped[str] = mapped_column(String(200))  # "key:3 nightly-batch", "user:alice"
    caller_identity: Mapped[str] = mapped_column(String(200))  # "key:3", "user:7", "anonymous"
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    query: Mapped[dict | None] = mapped_column(JSON)  # the query as understood
    status: Mapped[str] = mapped_column(String(20))  # a batch: its worst item status
    rating: Mapped[str | None] = mapped_column(String(10))
    action: Mapped[str | None] = mapped_column(String(10))
    entity_id: Mapped[str | None] = mapped_column(String(120))
    watchlist_version: Mapped[int] = mapped_column(Integer)
    policy: Mapped[str] = mapped_column(String(60))
    items: Mapped[int | None] = mapped_column(Integer)
    counts: Mapped[dict | None] = mapped_column(JSON)

    rows: Mapped[list[ScreeningItem]] = relationship(
        order_by="ScreeningItem.id", cascade="all, delete-orphan", passive_deletes=True
    )


class ScreeningItem(Base):
    """A batch item that was not ``no_match``."""

    __tablename__ = "screening_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    screening_id: Mapped[int] = mapped_column(
        ForeignKey("screenings.id", ondelete="CASCADE"), index=True
    )
    ref: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    rating: Mapped[str | None] = mapped_column(String(10))
    action: Mapped[str | None] = mapped_column(String(10))
    entity_id: Mapped[str | None] = mapped_column(String(120), index=True)


class Disposition(Base):
    """An analyst's decision on one candidate for one query: false positive or confirmed.

    ``query_key`` is the query as the matcher understands it (see service/dispositions.py);
    ``fingerprint`` the entity's names, identifiers and flags when it was decided, so a
    material change since lets it lapse.
    """

    __tablename__ = "dispositions"
    __table_args__ = (Index("ix_dispositions_query", "query_key", "entity_id"),
                      Index("ix_dispositions_watch", "watch_id", "ref"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(120), index=True)
    decision: Mapped[str] = mapped_column(String(20))  # false_positive, confirmed
    note: Mapped[str] = mapped_column(Text)
    query_key: Mapped[str | None] = mapped_column(String(1000))
    query: Mapped[dict | None] = mapped_column(JSON)
    # A client ref within a watch: the disposition applies to that holding only (while its
    # query as understood is ``query_key``), not to other screens of the same query.
    watch_id: Mapped[int | None] = mapped_column(Integer)
    ref: Mapped[str | None] = mapped_column(String(200))
    fingerprint: Mapped[dict] = mapped_column(JSON)
    watchlist_version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(200))
    created_identity: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    revoke_reason: Mapped[str | None] = mapped_column(Text)


# monitoring: outcome changes, watches, events and the webhook outbox ------------------


class OutcomeChange(Base):
    """An entity whose computed outcome (rating, flags, exposure) a version changed."""

    __tablename__ = "outcome_changes"
    __table_args__ = (UniqueConstraint("version", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(ForeignKey("watchlist_versions.id"), index=True)
    entity_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(Text)
    change: Mapped[str] = mapped_column(String(10))  # added, removed, changed
    direct: Mapped[bool] = mapped_column(Boolean)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    via: Mapped[str | None] = mapped_column(String(120))
    path: Mapped[list] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)


class MonitorJob(Base):
    """Work a published version leaves for the worker: its outcome changes, then the watches.

    Inserted in the publishing transaction; a worker claims it with a lease, so a killed
    worker's job is taken up again when the lease runs out.
    """

    __tablename__ = "monitor_jobs"
    __table_args__ = (Index("ix_monitor_jobs_state", "state", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(ForeignKey("watchlist_versions.id"), unique=True)
    state: Mapped[str] = mapped_column(String(10))  # pending, done
    outcomes_done: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Watch(Base):
    """A watched portfolio: its items are re-screened against every new version."""

    __tablename__ = "watches"
    __table_args__ = (Index("ix_watches_owner", "owner"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(200))  # identity: "key:3", "user:alice"
    owner_name: Mapped[str] = mapped_column(String(200))
    policy: Mapped[str | None] = mapped_column(String(100))
    webhook_url: Mapped[str | None] = mapped_column(Text)
    webhook_secret: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10))  # active, paused, deleted
    paused_reason: Mapped[str | None] = mapped_column(Text)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The version the items' stored outcomes were screened against.
    screened_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WatchItem(Base):
    """A holding of a watch, with its outcome at the watch's ``screened_version``."""

    __tablename__ = "watch_items"
    __table_args__ = (UniqueConstraint("watch_id", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watches.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(200))
    item: Mapped[dict] = mapped_column(JSON)
    weight: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20))
    rating: Mapped[str | None] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(10))
    entity_id: Mapped[str | None] = mapped_column(String(120), index=True)
    entity_name: Mapped[str | None] = mapped_column(Text)


class WatchEvent(Base):
    """A watched holding whose verdict a version changed."""

    __tablename__ = "watch_events"
    __table_args__ = (
        UniqueConstraint("watch_id", "version", "ref"),
        Index("ix_watch_events_watch", "watch_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watches.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict] = mapped_column(JSON)
    after: Mapped[dict] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookDelivery(Base):
    """The outbox: one signed POST per watch and version, kept until it is delivered."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("watch_id", "version"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watches.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)  # the webhook-id header
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10))  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeliveryAttempt(Base):
    """One try at sending a delivery: the log a client reads to see what happened."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    worker: Mapped[str] = mapped_column(String(200))
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float] = mapped_column(Float)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
