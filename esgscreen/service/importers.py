"""Bulk input: a CSV or FollowTheMoney JSON-lines file of entities turned into change operations.

Imports never write: they become one pending proposal for a reviewer. A new entity becomes an
``upsert_entity``; an entity already on the watchlist keeps everything it has and gains the
aliases and identifiers the file adds.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from esgscreen.core.errors import InvalidIdentifier
from esgscreen.core.identifiers import normalise_identifier, parse_ticker
from esgscreen.core.model import Alias, Entity, Identifier, Watchlist
from esgscreen.watchlist.schema import entity_to_dict

CSV_IDENTIFIERS = ("isin", "lei", "cik", "cusip", "figi", "domain", "registry")
# FollowTheMoney property -> our identifier type
FTM_IDENTIFIERS = {
    "isinCode": "isin", "leiCode": "lei", "cikCode": "cik", "website": "domain",
    "registrationNumber": "registry", "figiCode": "figi", "ticker": "ticker",
}
FTM_SCHEMATA = {"Company", "Organization", "LegalEntity", "PublicBody"}


class UnreadableImport(ValueError):
    """A file that cannot be imported, with the line it failed on."""


def slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:100] or "entity"


def _identifier(type_: str, raw: str, line: int, source: str | None,
                exchange: str | None = None) -> Identifier:
    try:
        if type_ == "ticker":
            symbol, mic = parse_ticker(raw, exchange)
            return Identifier("ticker", symbol, mic, "medium", source)
        return Identifier(type_, normalise_identifier(type_, raw), None, "medium", source)
    except InvalidIdentifier as error:
        raise UnreadableImport(f"line {line}: {type_} {raw!r}: {error.message}") from None


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or "name" not in [f.strip().lower() for f in reader.fieldnames]:
        raise UnreadableImport("the CSV needs a header row with at least a 'name' column")
    for line, row in enumerate(reader, start=2):
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if not clean.get("name"):
            raise UnreadableImport(f"line {line}: name is empty")
        identifiers = [
            _identifier(t, clean[t], line, clean.get("source") or None)
            for t in CSV_IDENTIFIERS if clean.get(t)
        ]
        if clean.get("ticker"):
            identifiers.append(_identifier("ticker", clean["ticker"], line,
                                           clean.get("source") or None,
                                           clean.get("exchange") or None))
        yield line, {
            "id": clean.get("id") or slug(clean["name"]),
            "name": clean["name"],
            "kind": clean.get("kind") or "vendor",
            "country": (clean.get("country") or "").upper() or None,
            "aliases": [a.strip() for a in clean.get("aliases", "").split(";") if a.strip()],
            "identifiers": identifiers,
        }


def _ftm_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as error:
            raise UnreadableImport(f"line {line}: not JSON: {error.msg}") from None
        if not isinstance(record, dict) or record.get("schema") not in FTM_SCHEMATA:
            continue
        props: Mapping[str, list[str]] = record.get("properties") or {}
        names = [n for n in props.get("name", []) if isinstance(n, str) and n.strip()]
        if not names:
            raise UnreadableImport(f"line {line}: the entity has no name")
        source = next(iter(props.get("sourceUrl", [])), None)
        identifiers = [
            _identifier(ours, value, line, source)
            for prop, ours in FTM_IDENTIFIERS.items() if ours != "ticker"
            for value in props.get(prop, [])
        ]
        countries = props.get("jurisdiction", []) or props.get("country", [])
        yield line, {
            "id": slug(str(record.get("id") or names[0])),
            "name": names[0],
            "kind": "vendor",
            "country": countries[0].upper() if countries and len(countries[0]) == 2 else None,
            "aliases": [*names[1:], *props.get("alias", []), *props.get("previousName", [])],
            "identifiers": identifiers,
        }


def changes_from_file(path: Path, watchlist: Watchlist) -> list[dict[str, Any]]:
    """The change operations a file of entities stands for, against `watchlist`."""
    text = path.read_text(encoding="utf-8")
    rows = _ftm_rows(text) if path.suffix.lower() in {".json", ".jsonl", ".ftm"} else (
        _csv_rows(text)
    )
    changes: list[dict[str, Any]] = []
    for _, row in rows:
        existing = watchlist.entities.get(row["id"])
        aliases = tuple(Alias(a) for a in dict.fromkeys(row["aliases"]))
        if existing is None:
            entity = Entity(id=row["id"], name=row["name"], kind=row["kind"],
                            country=row["country"], aliases=aliases,
                            identifiers=tuple(row["identifiers"]))
        else:
            known = {a.name for a in existing.aliases} | {existing.name}
            have = {(i.type, i.value, i.exchange) for i in existing.identifiers}
            entity = replace(
                existing,
                aliases=(*existing.aliases, *(a for a in aliases if a.name not in known)),
                identifiers=(*existing.identifiers, *(
                    i for i in row["identifiers"] if (i.type, i.value, i.exchange) not in have)),
            )
            if entity == existing:
                continue
        changes.append({"op": "upsert_entity", "entity": entity_to_dict(entity)})
    if not changes:
        raise UnreadableImport("the file adds nothing the watchlist does not already hold")
    return changes
