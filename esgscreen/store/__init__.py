"""The database: SQLAlchemy models, Alembic migrations and the unit of work (``db.Store``).

``repository`` keeps the versioned watchlist; ``keys``, ``users``, ``audit`` and ``proposals``
the access and curation records; ``monitoring`` the watches, their events and the webhook
outbox. Everything is written through ``Store.write()`` and read through ``Store.read()``.
"""
