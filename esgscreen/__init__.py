"""esgscreen: screen companies against a curated watchlist of surveillance vendors."""

__version__ = "0.1.0"
