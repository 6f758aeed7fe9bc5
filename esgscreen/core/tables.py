"""The matching tables generated from published data, read once from `esgscreen/core/data/`.

The files are versioned in the repository and rebuilt only by `tools/matching_data.py`, which
records in each one its source, the package it came in, that package's version and the file's
SHA-256. Reading them is the only thing the core reads, once, at import; they are package data,
like the code.

- `legal_forms.json`: the ISO 20275 Entity Legal Forms code list (active forms with an
  abbreviation), as name tokens.
- `common_words.json`: how many companies of a real register (SEC registrants, index members)
  hold each word in their name, and the English words of Zipf frequency 3.0 or more.
- `places.json`: countries, first-level subdivisions and large cities, with their ISO codes.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["common_words", "legal_forms", "places"]


def _read(name: str) -> dict[str, Any]:
    text = resources.files("esgscreen.core").joinpath("data", name).read_text(encoding="utf-8")
    return json.loads(text)


@cache
def legal_forms() -> dict[str, Any]:
    """The ELF table: ``version``, provenance and ``forms`` (elf, country, abbreviations with
    their tokens and whether they were written with dots, names as token lists)."""
    return _read("legal_forms.json")


@cache
def common_words() -> dict[str, Any]:
    """``register_counts`` (word -> companies, from 2), ``english_zipf`` and provenance."""
    return _read("common_words.json")


@cache
def places() -> dict[str, Any]:
    """``places``: place name as space-separated tokens -> ISO 3166-1 alpha-2 codes."""
    return _read("places.json")
