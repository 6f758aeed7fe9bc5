"""Domain errors raised by the core. The web layer maps them to problem+json answers."""

from __future__ import annotations


class CoreError(Exception):
    """Base of every error the core raises on purpose."""


class InvalidIdentifier(CoreError):
    """An identifier that is malformed or fails its checksum. Never matched."""

    def __init__(self, field: str, value: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.message = message


class InvalidQuery(CoreError):
    """A query that cannot be screened: empty, too long, or contradictory."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
