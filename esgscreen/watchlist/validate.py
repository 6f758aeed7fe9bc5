"""Checks of watchlist data, reported as problems a curator can act on.

A `Problem` names the file, the field (a dotted path such as `identifiers[0].value`) and what is
wrong. The schema checks one file (every evidence item graded, no relation ending before it
began); `validate_entities` adds the rules that span files: unique ids, relation targets (never an
entity retired from the watchlist), flag codes from the taxonomy, identifier checksums and
canonical form, one entity per identifier, and no listing shown as current on an entity that
merged or closed.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError, fields

from esgscreen.core.errors import InvalidIdentifier
from esgscreen.core.identifiers import normalise_exchange, normalise_identifier, parse_ticker
from esgscreen.core.index import is_historical
from esgscreen.core.model import Entity, FlagCode
from esgscreen.watchlist.schema import EntityFileSchema, entity_to_dict

_IDENTIFIER_LABELS = {
    "isin": "ISIN",
    "lei": "LEI",
    "cik": "CIK",
    "cusip": "CUSIP",
    "figi": "FIGI",
    "ticker": "ticker",
    "domain": "domain",
    "registry": "registry number",
}


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    field: str  # dotted path inside the file, "" for the file as a whole
    message: str

    def __str__(self) -> str:
        if self.field:
            return f"{self.file}: {self.field}: {self.message}"
        return f"{self.file}: {self.message}"


class WatchlistInvalid(Exception):
    """The watchlist files have problems; nothing was read."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(str(problem) for problem in self.problems)
        super().__init__(f"the watchlist has {len(self.problems)} problem(s):\n{lines}")


def validate_entities(
    entities: Mapping[str, Entity] | Iterable[Entity],
    taxonomy: Mapping[str, FlagCode] | None,
    *,
    retired: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Schema and cross-entity checks of entities that did not come from files (the store, a
    curation proposal). Problems name `entities/<id>.yaml`, the file the entity would be written
    to. With `taxonomy` None, flag codes are not checked. `retired` maps the ids of entities
    retired from the watchlist to when or how (e.g. "in version 7"), for relations to them."""
    pairs: Iterable[tuple[str | None, Entity]] = (
        entities.items() if isinstance(entities, Mapping) else ((None, e) for e in entities)
    )
    problems: list[Problem] = []
    entries: list[tuple[str, Entity]] = []
    for key, entity in pairs:
        file = f"entities/{entity.id}.yaml"
        if key is not None and key != entity.id:
            problems.append(
                Problem(file, "id", f"is '{entity.id}' but the entity is stored under '{key}'")
            )
        problems += _schema_problems(entity)
        entries.append((file, entity))
    return ordered(problems + cross_check(entries, taxonomy, retired=retired or {}))


@functools.lru_cache(maxsize=4096)
def _schema_problems(entity: Entity) -> tuple[Problem, ...]:
    """One entity's problems against the schema. Remembered (entities are immutable and the
    schema's checks depend on nothing else): a proposal re-validates the whole watchlist, of
    which it changed a few entities, and the schema took 2 ms an entity."""
    try:
        _ENTITY_SCHEMA.load(entity_to_dict(entity))
    except ValidationError as error:
        return tuple(validation_problems(error, _ENTITY_SCHEMA, f"entities/{entity.id}.yaml"))
    return ()


def validation_problems(error: ValidationError, schema: Schema, file: str) -> list[Problem]:
    """Turn a marshmallow error raised by `schema` into problems with dotted field paths."""
    problems: list[Problem] = []
    _walk_schema(error.messages, schema, file, "", problems)
    return problems


def cross_check(
    entries: Sequence[tuple[str, Entity]],
    taxonomy: Mapping[str, FlagCode] | None,
    *,
    unreadable_ids: Collection[str] = (),
    retired: Mapping[str, str] | None = None,
) -> list[Problem]:
    """The rules that span entities, for entities that each passed the schema.

    `entries` pairs each entity with the file it came from (or would be written to);
    relations to `unreadable_ids` (files with problems of their own) are not reported again;
    relations to `retired` ids are refused as such.
    """
    problems: list[Problem] = []
    first_file: dict[str, str] = {}
    for file, entity in entries:
        if entity.id in first_file:
            problems.append(
                Problem(
                    file,
                    "id",
                    f"'{entity.id}' is already the id of {first_file[entity.id]}: "
                    "every entity needs its own id",
                )
            )
        else:
            first_file[entity.id] = file
    identifiers: dict[tuple[str, str, str | None], tuple[str, str, int]] = {}
    for file, entity in entries:
        problems += _identifier_problems(file, entity, identifiers)
        problems += _listing_problems(file, entity)
        problems += _relation_problems(
            file, entity, first_file.keys() | set(unreadable_ids), retired or {}
        )
        if taxonomy is not None:
            problems += _flag_problems(file, entity, taxonomy)
    return problems


def ordered(problems: Iterable[Problem]) -> list[Problem]:
    """Problems grouped by file, in the order they were found within a file."""
    return sorted(problems, key=lambda problem: problem.file)


def _did_you_mean(value: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _identifier_problems(
    file: str, entity: Entity, seen: dict[tuple[str, str, str | None], tuple[str, str, int]]
) -> list[Problem]:
    problems: list[Problem] = []
    for index, identifier in enumerate(entity.identifiers):
        label = _IDENTIFIER_LABELS.get(identifier.type, identifier.type)
        exchange, exchange_problems = _canonical_exchange(file, index, identifier.exchange)
        problems += exchange_problems
        where = f"identifiers[{index}].value"
        try:
            if identifier.type == "ticker":
                canonical = parse_ticker(identifier.value, exchange, field=where)[0]
            else:
                canonical = normalise_identifier(identifier.type, identifier.value, field=where)
        except InvalidIdentifier as invalid:
            problems.append(
                Problem(file, where, f"{label} '{identifier.value}' is invalid: {invalid.message}")
            )
            canonical = identifier.value
        else:
            if canonical != identifier.value:
                problems.append(
                    Problem(
                        file,
                        where,
                        f"{label} '{identifier.value}' is not in canonical form: "
                        f"write '{canonical}'",
                    )
                )
        key = (identifier.type, canonical, exchange)
        if key in seen:
            other_file, other_id, other_index = seen[key]
            listing = f" on {exchange}" if exchange else ""
            place = (
                f"already listed as identifiers[{other_index}] of this entity"
                if other_id == entity.id and other_file == file
                else f"also on '{other_id}' ({other_file}, identifiers[{other_index}]): "
                "an identifier can belong to one entity only"
            )
            problems.append(
                Problem(file, f"identifiers[{index}]", f"{label} {canonical}{listing} is {place}")
            )
        else:
            seen[key] = (file, entity.id, index)
    return problems


def _canonical_exchange(
    file: str, index: int, exchange: str | None
) -> tuple[str | None, list[Problem]]:
    if exchange is None:
        return None, []
    where = f"identifiers[{index}].exchange"
    try:
        canonical = normalise_exchange(exchange, field=where)
    except InvalidIdentifier as invalid:
        return None, [Problem(file, where, f"'{exchange}' is not valid: {invalid.message}")]
    if canonical != exchange:
        return canonical, [
            Problem(file, where, f"'{exchange}' is not the canonical MIC: write '{canonical}'")
        ]
    return canonical, []


RETIRED_STATUSES = ("merged", "defunct")


def _listing_problems(file: str, entity: Entity) -> list[Problem]:
    """A merged or defunct company has no current listing: each ticker must say it is former
    (the matcher then treats it as historical, never as the entity's current symbol)."""
    if entity.status not in RETIRED_STATUSES:
        return []
    return [
        Problem(
            file,
            f"identifiers[{index}].note",
            f"ticker {identifier.value} is shown as a current listing, but the entity is "
            f"{entity.status}: say in the note that it is a former listing (e.g. 'Former "
            "listing, delisted 2021-08-30')",
        )
        for index, identifier in enumerate(entity.identifiers)
        if identifier.type == "ticker" and not is_historical(identifier)
    ]


def _relation_problems(
    file: str, entity: Entity, ids: Collection[str], retired: Mapping[str, str]
) -> list[Problem]:
    problems: list[Problem] = []
    for index, relation in enumerate(entity.relations):
        where = f"relations[{index}].target"
        if relation.target == entity.id:
            problems.append(
                Problem(file, where, "points to this entity itself: a relation links two entities")
            )
        elif relation.target not in ids and relation.target in retired:
            problems.append(
                Problem(
                    file,
                    where,
                    f"'{relation.target}' was retired from the watchlist "
                    f"{retired[relation.target]}: remove this relation (or point it to the "
                    "entity that carries on)",
                )
            )
        elif relation.target not in ids:
            problems.append(
                Problem(
                    file,
                    where,
                    f"no entity has the id '{relation.target}'"
                    f"{_did_you_mean(relation.target, ids)} "
                    f"(add entities/{relation.target}.yaml or correct the id)",
                )
            )
    return problems


def _flag_problems(file: str, entity: Entity, taxonomy: Mapping[str, FlagCode]) -> list[Problem]:
    problems: list[Problem] = []
    for index, flag in enumerate(entity.flags):
        where = f"flags[{index}].code"
        code = taxonomy.get(flag.code)
        if code is None:
            problems.append(
                Problem(
                    file,
                    where,
                    f"'{flag.code}' is not a code in taxonomy.yaml"
                    f"{_did_you_mean(flag.code, taxonomy)}",
                )
            )
        elif code.derived:
            problems.append(
                Problem(
                    file,
                    where,
                    f"'{flag.code}' is derived: the service computes it from ownership "
                    "relations, so it is never curated; remove this flag",
                )
            )
    return problems


def _walk_schema(messages: Any, schema: Schema, file: str, path: str, out: list[Problem]) -> None:
    if not isinstance(messages, Mapping):
        out += [Problem(file, path, str(message)) for message in _as_list(messages)]
        return
    for key, value in messages.items():
        if key == "_schema":
            _walk_schema(value, schema, file, path, out)
            continue
        where = f"{path}.{key}" if path else str(key)
        field = schema.fields.get(key) if isinstance(key, str) else None
        if field is None:
            allowed = list(schema.fields)
            out.append(
                Problem(
                    file,
                    where,
                    f"unknown field{_did_you_mean(str(key), allowed)} "
                    f"(allowed here: {', '.join(allowed)})",
                )
            )
        else:
            _walk_field(value, field, file, where, out)


def _walk_field(
    messages: Any, field: fields.Field, file: str, path: str, out: list[Problem]
) -> None:
    if not isinstance(messages, Mapping):
        out += [Problem(file, path, str(message)) for message in _as_list(messages)]
    elif isinstance(field, fields.List):
        for index, value in messages.items():
            _walk_field(value, field.inner, file, f"{path}[{index}]", out)
    elif isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
        _walk_schema(messages, field.schema, file, path, out)
    else:
        for key, value in messages.items():
            _walk_field(value, field, file, f"{path}.{key}", out)


def _as_list(messages: Any) -> list[Any]:
    return list(messages) if isinstance(messages, list | tuple) else [messages]


_ENTITY_SCHEMA = EntityFileSchema()
