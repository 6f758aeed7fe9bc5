"""The query: what a screening request asks, read from its parameters.

`parse_query` turns request parameters into a `Query` (raising InvalidIdentifier or InvalidQuery):
the identifiers it names (checked and canonical), the type free text `q` was read as, and the
name to screen, normalised (see `esgscreen.core.names`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from esgscreen.core import bounds
from esgscreen.core.errors import InvalidQuery
from esgscreen.core.identifiers import (
    interpret_free_text,
    normalise_exchange,
    normalise_identifier,
    parse_ticker,
)
from esgscreen.core.names import NormalisedName, normalise_name

__all__ = ["MAX_TEXT_LENGTH", "Query", "QueryIdentifier", "parse_query"]

MAX_TEXT_LENGTH = bounds.QUERY_TEXT

# The parameters a screening query may carry (free text, a name, identifiers, an exchange).
QUERY_FIELDS = ("q", "name", "isin", "lei", "cik", "cusip", "figi", "ticker", "exchange", "domain")
_IDENTIFIER_PARAMS = ("isin", "lei", "cik", "cusip", "figi", "domain")

QueryIdentifier = tuple[str, str, "str | None"]  # (type, canonical value, exchange or None)


@dataclass(slots=True)
class Query:
    """What was understood from the request. Made once per query and never changed after; not
    frozen because a frozen dataclass costs half a microsecond more to build (identifier queries
    take about three in all)."""

    name: str | None = None  # the name as given (from `name`, or `q` read as a name)
    normalised: NormalisedName | None = None
    identifiers: tuple[QueryIdentifier, ...] = ()
    detected: str | None = None  # for `q`: the identifier type it was read as, or "name"
    q: str | None = None
    fields: tuple[str, ...] = ()  # the parameter each identifier came from
    guessed: bool = False  # `q` was also screened as a name: what it was read as is a guess

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready echo: normalised identifiers, the type detected in `q`, the name."""
        name = self.normalised
        if name is None and len(self.identifiers) == 1:
            kind, value, exchange = self.identifiers[0]
            return {"q": self.q, "detected": self.detected, "name": None, "identifiers": [
                {"type": kind, "value": value, "exchange": exchange, "field": self.fields[0]}
            ]}
        return {
            "q": self.q,
            "detected": self.detected,
            "name": None if name is None else {
                "raw": name.raw,
                "normalised": name.text,
                "distinctive": list(name.distinctive),
                "generic": list(name.generic),
                "legal_forms": list(name.legal_forms),
                "decorations": list(name.decorations),
                "places": [{"place": place.text, "countries": list(place.countries)}
                           for place in name.places],
                "transliterated": name.transliterated,
            },
            "identifiers": [
                {"type": kind, "value": value, "exchange": exchange, "field": field_}
                for (kind, value, exchange), field_ in zip(self.identifiers, self.fields,
                                                           strict=True)
            ],
        }


def _text(value: Any, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    value = value.strip()
    if len(value) > MAX_TEXT_LENGTH:
        raise InvalidQuery(f"{key} is longer than {MAX_TEXT_LENGTH} characters", field=key)
    return value or None


def parse_query(params: Mapping[str, str | None]) -> Query:
    """Read the screening parameters (q, name, isin, lei, cik, cusip, figi, ticker, exchange,
    domain; empty values count as absent; others are ignored) into a Query.

    Raises InvalidIdentifier naming the parameter for a malformed identifier or exchange, and
    InvalidQuery when there is nothing to screen.
    """
    identifiers: list[QueryIdentifier] = []
    fields: list[str] = []
    name = q = ticker = None
    exchange = params.get("exchange")
    if exchange is not None:
        exchange = _text(exchange, "exchange")
    for key, raw in params.items():
        if raw is None:
            continue
        if key in _IDENTIFIER_PARAMS:
            value = _text(raw, key)
            if value is not None:
                identifiers.append((key, normalise_identifier(key, value, field=key), None))
                fields.append(key)
        elif key == "ticker":
            ticker = _text(raw, key)
            if ticker is not None:
                symbol, venue = parse_ticker(ticker, exchange)
                identifiers.append(("ticker", symbol, venue))
                fields.append("ticker")
        elif key == "name":
            name = _text(raw, key)
        elif key == "q":
            q = _text(raw, key)
    if exchange is not None and ticker is None:
        normalise_exchange(exchange)  # reject an unknown exchange even when no ticker uses it

    detected = None
    guessed = False
    if q is not None:
        readings = interpret_free_text(q)
        if readings and ticker is None and exchange is not None:
            readings = [_with_exchange(r, exchange) for r in readings]
            if q.isdigit() and len(q) < 4:  # a short Hong Kong code: 20, 700
                readings.insert(0, ("ticker", *parse_ticker(q, exchange, field="q")))
        detected = readings[0][0] if readings else "name"
        identifiers.extend(readings)
        fields.extend("q" for _ in readings)
        guessed = bool(readings) and _also_a_name(q, readings)
        if name is None and (guessed or not readings):
            name = q

    if name is None and not identifiers:
        raise InvalidQuery("nothing to screen: give q, name or an identifier", field="q")
    normalised = normalise_name(name) if name is not None else None
    return Query(name, normalised, tuple(identifiers), detected, q, tuple(fields), guessed)


def _with_exchange(reading: QueryIdentifier, exchange: str) -> QueryIdentifier:
    """A ticker read from `q` without its own exchange takes the `exchange` parameter."""
    kind, value, embedded = reading
    if kind != "ticker" or embedded is not None:
        return reading
    symbol, venue = parse_ticker(value, exchange, field="q")
    return ("ticker", symbol, venue)


def _also_a_name(q: str, readings: list[QueryIdentifier]) -> bool:
    """Whether free text should also be screened as a name: a bare word may be a ticker or a
    name (NSO, MSAB); a Bloomberg-style pair may be a name with a legal form (MSAB AB)."""
    if not readings:
        return True
    if any(kind != "ticker" for kind, _, _ in readings) or not any(c.isalpha() for c in q):
        return False
    return ":" not in q and not q.upper().endswith("EQUITY") and "." not in q

