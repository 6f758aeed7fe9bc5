"""esgscreen: screen companies against a curated watchlist of surveillance vendors.

``from esgscreen import ESGScreen`` is the Flask extension (see ``esgscreen.plugin``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from esgscreen.version import __version__

__all__ = ["ESGScreen", "__version__"]

if TYPE_CHECKING:
    from esgscreen.plugin import ESGScreen


def __getattr__(name: str) -> Any:
    # Imported on first use: `import esgscreen` alone (the version, the core) needs no Flask.
    if name == "ESGScreen":
        from esgscreen.plugin import ESGScreen

        return ESGScreen
    raise AttributeError(f"module 'esgscreen' has no attribute {name!r}")
