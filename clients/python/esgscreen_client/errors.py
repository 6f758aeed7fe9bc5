"""The one exception the client raises."""

from __future__ import annotations

from typing import Any


class ESGScreenError(Exception):
    """An answer that is not a success, with the server's problem+json body.

    ``status`` is the HTTP status (None when the server could not be reached); ``problem`` is
    the whole body (``type``, ``title``, ``status``, ``detail``, ``errors`` …).
    """

    def __init__(self, status: int | None, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        super().__init__(f"{status or 'no answer'}: {self.detail}")

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail") or self.problem.get("title") or "error")

    @property
    def title(self) -> str | None:
        return self.problem.get("title")

    @property
    def errors(self) -> dict[str, Any]:
        """Messages by field, e.g. ``{"isin": ["bad check digit"]}``."""
        return dict(self.problem.get("errors") or {})
