"""The pure core: identifiers, names, matching and risk rules.

Plain dataclasses in, plain dataclasses out; no Flask, SQLAlchemy or I/O beyond reading the
generated tables shipped in `data/` once, at import (`tables.py`).
"""
