"""Python client for the esgscreen screening service."""

from esgscreen_client.client import Client
from esgscreen_client.errors import ESGScreenError
from esgscreen_client.models import (
    BatchRow,
    Changes,
    EntityRecord,
    EntitySummary,
    Flag,
    Match,
    PortfolioResult,
    ScreenResult,
)

__version__ = "0.1.0"
__all__ = [
    "BatchRow",
    "Changes",
    "Client",
    "ESGScreenError",
    "EntityRecord",
    "EntitySummary",
    "Flag",
    "Match",
    "PortfolioResult",
    "ScreenResult",
    "__version__",
]
