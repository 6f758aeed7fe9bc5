"""The watchlist file format as marshmallow schemas, and its mapping to the core values.

`EntityFileSchema` is one `entities/<id>.yaml` file, `TaxonomyFileSchema` is `taxonomy.yaml`
(see watchlist/README.md). `entity_from_dict` / `entity_to_dict` are the only place where the
file shape and `esgscreen.core.model` meet; the store and the curation API reuse them.
Messages are written for curators: they say what is wrong and how to fix it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from esgscreen.core import bounds
from esgscreen.core.model import (
    ALIAS_KINDS,
    AUTHORITIES,
    CONFIDENCES,
    ENTITY_KINDS,
    ENTITY_STATUSES,
    FLAG_STATUSES,
    IDENTIFIER_TYPES,
    RELATION_TYPES,
    SEVERITIES,
    Alias,
    Entity,
    Evidence,
    Flag,
    FlagCode,
    Identifier,
    Relation,
)

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
FLAG_CODE = r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$"
PARTIAL_DATE = r"^[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?$"
COUNTRY = r"^[A-Z]{2}$"
MIC = r"^[A-Z0-9]{4}$"
LANGUAGE_TAG = r"^[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$"

# Control characters (except the line break), Unicode line/paragraph separators and the BOM:
# PyYAML does not write all of them back faithfully.
_INVISIBLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")

_FIELD_MESSAGES = {
    "required": "is required",
    "null": "is empty: give a value or leave the field out",
}


def _not_text(value: object) -> str:
    if isinstance(value, bool):
        return "is read as true/false, not as text: put the value in quotes"
    if isinstance(value, int | float):
        return "is read as a number, not as text: put the value in quotes exactly as written"
    if isinstance(value, list):
        return "must be a single text value, not a list"
    if isinstance(value, dict):
        return "must be a single text value, not a mapping"
    return "must be text"


class Text(fields.String):
    """A non-empty string of at most `max_length` characters (see core.bounds) without
    surrounding whitespace; numbers and booleans are refused."""

    default_error_messages = _FIELD_MESSAGES

    def __init__(self, *, max_length: int = bounds.SHORT_TEXT, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.insert(0, validate.Length(
            min=1, max=max_length, error="must be at most {max} characters long"))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError(_not_text(value))
        if not value.strip():
            raise ValidationError("must not be empty: give a value or leave the field out")
        if invisible := _INVISIBLE.search(value):
            raise ValidationError(
                f"contains the control character U+{ord(invisible.group()):04X}: remove it "
                "(use plain spaces and line breaks)"
            )
        if value != value.strip():
            raise ValidationError(
                "starts or ends with whitespace: remove it (a folded '>' block keeps its final "
                "line break: write '>-' instead)"
            )
        return value


class WebAddress(Text, fields.Url):
    default_error_messages = {
        **_FIELD_MESSAGES,
        "invalid": "must be a full web address starting with https:// or http://",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", bounds.URL)
        super().__init__(relative=False, schemes={"http", "https"}, require_tld=True, **kwargs)


def _real_date(value: str) -> None:
    if not re.fullmatch(PARTIAL_DATE, value):
        return  # the pattern validator reports the format
    parts = [int(part) for part in value.split("-")]
    parts += [1] * (3 - len(parts))
    try:
        dt.date(*parts)
    except ValueError as error:
        raise ValidationError(f"'{value}' is not a real date ({error})") from None


class PartialDate(Text):
    """ISO 8601 date at year, month or day precision, kept as a string."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            validate=[
                validate.Regexp(
                    PARTIAL_DATE,
                    error="must be a date written 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'; got '{input}'",
                ),
                _real_date,
            ],
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValidationError(f"is read as a number: write the date in quotes, '{value}'")
        return super()._deserialize(value, attr, data, **kwargs)


class Percent(fields.Float):
    default_error_messages = {
        **_FIELD_MESSAGES,
        "invalid": "must be a number (a percentage from 0 to 100) written without quotes",
        "special": "must be a number from 0 to 100",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            validate=validate.Range(
                min=0, max=100, error="must be a percentage from 0 to 100; got {input}"
            ),
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class YesNo(fields.Boolean):
    default_error_messages = {**_FIELD_MESSAGES, "invalid": "must be true or false"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Items(fields.List):
    default_error_messages = {
        **_FIELD_MESSAGES,
        "invalid": "must be a list: one '- item' line per entry, or [a, b]",
    }


def _choice(choices: Iterable[str], **kwargs: Any) -> Text:
    return Text(
        validate=validate.OneOf(tuple(choices), error="must be one of {choices}; got '{input}'"),
        **kwargs,
    )


def _pattern(regex: str, error: str, **kwargs: Any) -> Text:
    return Text(validate=validate.Regexp(regex, error=error), **kwargs)


def _slug(**kwargs: Any) -> Text:
    return _pattern(
        SLUG,
        "must be an entity id: lower-case letters, digits and single hyphens, "
        "e.g. 'nso-group'; got '{input}'",
        **kwargs,
    )


def _describe(text: str) -> dict[str, str]:
    return {"description": text}


class FileSchema(Schema):
    """Base of the file schemas: unknown fields are errors, messages speak to curators."""

    class Meta:
        unknown = RAISE

    error_messages = {
        "type": "must be a mapping of fields ('key: value' lines)",
        "unknown": "unknown field",
    }


class EvidenceSchema(FileSchema):
    url = WebAddress(required=True, metadata=_describe("Where the source can be read."))
    publisher = Text(required=True, metadata=_describe("Who published the source."))
    authority = _choice(
        AUTHORITIES,
        required=True,
        error_messages={
            "required": "is required: grade the source primary (a government, court, regulator, "
            "company filing or the researchers' own report), established (an established "
            "newsroom or NGO) or low (a blog, repost, summary, aggregator or AI-written wiki)"
        },
        metadata=_describe(
            "How much the source can carry: primary (a government, court, regulator, company "
            "filing or the researchers' own report), established (an established newsroom or "
            "NGO) or low (a blog, repost, summary, aggregator or AI-written wiki)."
        ),
    )
    date = PartialDate(metadata=_describe("Publication date of the source; omit if unknown."))
    title = Text(metadata=_describe("Title or short description of the source."))


class AliasSchema(FileSchema):
    name = Text(required=True, max_length=bounds.NAME)
    kind = _choice(ALIAS_KINDS, load_default="alias")
    lang = _pattern(
        LANGUAGE_TAG,
        "must be a BCP 47 language tag such as 'ja' or 'zh-Hans'; got '{input}'",
        metadata=_describe("BCP 47 tag of a name in another language or script."),
    )


class IdentifierSchema(FileSchema):
    type = _choice(IDENTIFIER_TYPES, required=True)
    value = Text(
        required=True,
        metadata=_describe(
            "Canonical form: upper case without spaces or dashes; domains in lower case "
            "without www.; a CIK without leading zeros."
        ),
    )
    exchange = _pattern(
        MIC,
        "must be the 4-character MIC of the listing, e.g. 'XNAS'; got '{input}'",
        metadata=_describe("Tickers only: MIC of the listing."),
    )
    confidence = _choice(
        CONFIDENCES,
        load_default="high",
        metadata=_describe("How sure the source makes us of the value."),
    )
    source = WebAddress(metadata=_describe("Where the value was read."))
    note = Text(max_length=bounds.PARAGRAPH)

    @validates_schema(skip_on_field_errors=False)
    def _exchange_only_on_tickers(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        kind = data.get("type")
        if kind == "ticker" and "exchange" not in data:
            raise ValidationError(
                "is required for a ticker: give the MIC of the listing, e.g. 'XNAS'",
                field_name="exchange",
            )
        if kind is not None and kind != "ticker" and data.get("exchange") is not None:
            raise ValidationError(
                f"only tickers have an exchange: remove it from this {kind} identifier",
                field_name="exchange",
            )


def _before(later: str, earlier: str) -> bool:
    """Whether partial date `later` falls before `earlier` at their common precision."""
    precision = min(len(later), len(earlier))
    return later[:precision] < earlier[:precision]


class RelationSchema(FileSchema):
    type = _choice(RELATION_TYPES, required=True)
    target = _slug(required=True, metadata=_describe("The other entity's id."))
    share = Percent(metadata=_describe("Percent, only when a figure was reported."))
    share_text = Text(metadata=_describe("A reported qualitative share, when no figure was."))
    since = PartialDate()
    until = PartialDate()
    note = Text(max_length=bounds.PARAGRAPH)
    evidence = Items(fields.Nested(EvidenceSchema))

    @validates_schema(skip_on_field_errors=False)
    def _until_after_since(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        since, until = data.get("since"), data.get("until")
        if since and until and _before(until, since):
            raise ValidationError(f"is before since ('{since}')", field_name="until")


class FlagSchema(FileSchema):
    code = _pattern(
        FLAG_CODE,
        "must be a flag code from taxonomy.yaml, e.g. 'targeted_spyware'; got '{input}'",
        required=True,
    )
    severity = _choice(SEVERITIES, required=True)
    status = _choice(FLAG_STATUSES, required=True)
    since = PartialDate()
    summary = Text(required=True, max_length=bounds.PARAGRAPH,
                   metadata=_describe("One or two sentences in our own words."))
    evidence = Items(
        fields.Nested(EvidenceSchema),
        required=True,
        validate=validate.Length(min=1, error="at least one evidence item is required"),
        error_messages={"required": "at least one evidence item is required"},
        metadata=_describe("No flag without evidence."),
    )


class EntityFileSchema(FileSchema):
    """One file `entities/<id>.yaml`."""

    id = _slug(required=True, metadata=_describe("Stable slug; equals the file name."))
    name = Text(required=True, max_length=bounds.NAME,
                metadata=_describe("The legal or best-known full name."))
    kind = _choice(ENTITY_KINDS, required=True)
    country = _pattern(
        COUNTRY,
        "must be an ISO 3166-1 alpha-2 code in capitals, e.g. 'IL'; got '{input}'",
        metadata=_describe("ISO 3166-1 alpha-2; omit when not known."),
    )
    status = _choice(ENTITY_STATUSES, load_default="active")
    description = Text(max_length=bounds.PARAGRAPH,
                       metadata=_describe("One paragraph, paraphrased, no quotations."))
    aliases = Items(fields.Nested(AliasSchema))
    products = Items(Text())
    identifiers = Items(fields.Nested(IdentifierSchema))
    relations = Items(fields.Nested(RelationSchema))
    flags = Items(fields.Nested(FlagSchema))


class FlagCodeSchema(FileSchema):
    code = _pattern(
        FLAG_CODE,
        "must be lower-case words joined by underscores, e.g. 'targeted_spyware'; got '{input}'",
        required=True,
    )
    title = Text(required=True)
    definition = Text(required=True, max_length=bounds.PARAGRAPH)
    default_severity = _choice(SEVERITIES, required=True)
    standards = Items(
        Text(),
        required=True,
        validate=validate.Length(
            min=1, error="name at least one standard the code relates to (UNGPs, OECD)"
        ),
    )
    derived = YesNo(
        load_default=False,
        metadata=_describe("True only for codes computed by the service, never curated."),
    )


class TaxonomyFileSchema(FileSchema):
    """The file `taxonomy.yaml`."""

    flags = Items(fields.Nested(FlagCodeSchema), required=True)


# --- dict <-> core values -------------------------------------------------------------------


def evidence_from_dicts(items: Iterable[Mapping[str, Any]]) -> tuple[Evidence, ...]:
    return tuple(
        Evidence(
            url=e["url"],
            publisher=e["publisher"],
            date=e.get("date"),
            title=e.get("title"),
            authority=e.get("authority"),
        )
        for e in items
    )


def identifier_from_dict(i: Mapping[str, Any]) -> Identifier:
    return Identifier(
        type=i["type"],
        value=i["value"],
        exchange=i.get("exchange"),
        confidence=i.get("confidence", "high"),
        source=i.get("source"),
        note=i.get("note"),
    )


def relation_from_dict(r: Mapping[str, Any]) -> Relation:
    return Relation(
        type=r["type"],
        target=r["target"],
        share=None if r.get("share") is None else float(r["share"]),
        share_text=r.get("share_text"),
        since=r.get("since"),
        until=r.get("until"),
        note=r.get("note"),
        evidence=evidence_from_dicts(r.get("evidence", ())),
    )


def flag_from_dict(f: Mapping[str, Any]) -> Flag:
    return Flag(
        code=f["code"],
        severity=f["severity"],
        status=f["status"],
        since=f.get("since"),
        summary=f["summary"],
        evidence=evidence_from_dicts(f["evidence"]),
    )


def entity_from_dict(data: Mapping[str, Any]) -> Entity:
    """Build an `Entity` from a dict validated by `EntityFileSchema` (or written by
    `entity_to_dict`)."""
    return Entity(
        id=data["id"],
        name=data["name"],
        kind=data["kind"],
        country=data.get("country"),
        status=data.get("status", "active"),
        description=data.get("description"),
        aliases=tuple(
            Alias(name=a["name"], kind=a.get("kind", "alias"), lang=a.get("lang"))
            for a in data.get("aliases", ())
        ),
        products=tuple(data.get("products", ())),
        identifiers=tuple(identifier_from_dict(i) for i in data.get("identifiers", ())),
        relations=tuple(relation_from_dict(r) for r in data.get("relations", ())),
        flags=tuple(flag_from_dict(f) for f in data.get("flags", ())),
    )


def _compact(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """A dict of the pairs, in order, without None values and empty lists."""
    return {key: value for key, value in pairs if value is not None and value != []}


def _evidence_dicts(items: Iterable[Evidence]) -> list[dict[str, Any]]:
    return [
        _compact(
            [
                ("url", e.url),
                ("publisher", e.publisher),
                ("authority", e.authority),
                ("date", e.date),
                ("title", e.title),
            ]
        )
        for e in items
    ]


def entity_to_dict(entity: Entity) -> dict[str, Any]:
    """The file shape of an entity: keys in README order, None and empty lists left out."""
    return _compact(
        [
            ("id", entity.id),
            ("name", entity.name),
            ("kind", entity.kind),
            ("country", entity.country),
            ("status", entity.status),
            ("description", entity.description),
            (
                "aliases",
                [
                    _compact([("name", a.name), ("kind", a.kind), ("lang", a.lang)])
                    for a in entity.aliases
                ],
            ),
            ("products", list(entity.products)),
            (
                "identifiers",
                [
                    _compact(
                        [
                            ("type", i.type),
                            ("value", i.value),
                            ("exchange", i.exchange),
                            ("confidence", i.confidence),
                            ("source", i.source),
                            ("note", i.note),
                        ]
                    )
                    for i in entity.identifiers
                ],
            ),
            (
                "relations",
                [
                    _compact(
                        [
                            ("type", r.type),
                            ("target", r.target),
                            ("share", None if r.share is None else float(r.share)),
                            ("share_text", r.share_text),
                            ("since", r.since),
                            ("until", r.until),
                            ("note", r.note),
                            ("evidence", _evidence_dicts(r.evidence)),
                        ]
                    )
                    for r in entity.relations
                ],
            ),
            (
                "flags",
                [
                    _compact(
                        [
                            ("code", f.code),
                            ("severity", f.severity),
                            ("status", f.status),
                            ("since", f.since),
                            ("summary", f.summary),
                            ("evidence", _evidence_dicts(f.evidence)),
                        ]
                    )
                    for f in entity.flags
                ],
            ),
        ]
    )


def load_entity(data: object) -> Entity:
    """Validate `data` (the shape of an entity file) and build the `Entity`.

    Raises marshmallow's `ValidationError`; `esgscreen.watchlist.validate.validation_problems`
    turns it into curator-readable problems.
    """
    return entity_from_dict(EntityFileSchema().load(data))  # type: ignore[arg-type]


def flag_code_from_dict(data: Mapping[str, Any]) -> FlagCode:
    return FlagCode(
        code=data["code"],
        title=data["title"],
        definition=data["definition"],
        default_severity=data["default_severity"],
        standards=tuple(data["standards"]),
        derived=bool(data.get("derived", False)),
    )


def flag_code_to_dict(code: FlagCode) -> dict[str, Any]:
    return {
        "code": code.code,
        "title": code.title,
        "definition": code.definition,
        "default_severity": code.default_severity,
        "standards": list(code.standards),
        "derived": code.derived,
    }


def taxonomy_from_dict(data: Mapping[str, Any]) -> list[FlagCode]:
    """The flag codes of a dict validated by `TaxonomyFileSchema`, in file order."""
    return [flag_code_from_dict(item) for item in data["flags"]]


def taxonomy_to_dict(codes: Iterable[FlagCode]) -> dict[str, Any]:
    return {"flags": [flag_code_to_dict(code) for code in codes]}
