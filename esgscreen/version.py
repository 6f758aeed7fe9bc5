"""The version of esgscreen (read by setup.cfg, the API document and the pages)."""

__version__ = "0.1.0"
