"""Python client for the esgscreen screening service."""

from esgscreen_client.client import Client
from esgscreen_client.errors import ESGScreenError
from esgscreen_client.models import (
    BatchRow,
    Changes,
    Delivery,
    EntityRecord,
    EntitySummary,
    Flag,
    ItemError,
    Match,
    PortfolioResult,
    ScreenResult,
    Verdict,
    Watch,
    WatchEvent,
)

__version__ = "0.1.0"
__all__ = [
    "BatchRow",
    "Changes",
    "Client",
    "Delivery",
    "ESGScreenError",
    "EntityRecord",
    "EntitySummary",
    "Flag",
    "ItemError",
    "Match",
    "PortfolioResult",
    "ScreenResult",
    "Verdict",
    "Watch",
    "WatchEvent",
    "__version__",
]
