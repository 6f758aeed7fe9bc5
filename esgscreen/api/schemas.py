"""Request and response shapes of the HTTP API (marshmallow; also the OpenAPI document)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from esgscreen.core import bounds
from esgscreen.core.model import AUTHORITIES, CONFIDENCES, FLAG_STATUSES, RATINGS, SEVERITIES

STATUSES = ("match", "possible_match", "no_match")
ACTIONS = ("exclude", "restrict", "review", "clear")
PROBLEM = "application/problem+json"
# A watchlist version number, or an ISO 8601 date or time (its shape; parse_as_of decides).
AS_OF_PATTERN = r"^\s*(?:0*[1-9][0-9]{0,9}|[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9:.,+\-Z]*)?)\s*$"


class Text(fields.String):
    """Text of at most ``limit`` characters without control characters (see core.bounds)."""

    def __init__(self, limit: int, *, min_length: int | None = None, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(min=min_length, max=limit), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        bad = bounds.control_character(text)
        if bad is not None:
            raise ValidationError(bounds.describe_control(bad) + ".")
        return text


def as_of_field() -> Text:
    return Text(bounds.AS_OF, metadata={
        "pattern": AS_OF_PATTERN,
        "description": f"A watchlist version number (1 to {bounds.MAX_ID}) or an ISO 8601 "
                       "date or time."})


class ScreenQueryArgs(Schema):
    class Meta:
        unknown = EXCLUDE  # clients often add their own tracking parameters

    q = Text(
        bounds.QUERY_TEXT,
        metadata={"description": "Free text: a name, ticker, ISIN, LEI, CIK, CUSIP, FIGI or URL."},
    )
    name = Text(bounds.QUERY_TEXT)
    isin = Text(bounds.IDENTIFIER)
    lei = Text(bounds.IDENTIFIER)
    cik = Text(bounds.IDENTIFIER)
    cusip = Text(bounds.IDENTIFIER)
    figi = Text(bounds.IDENTIFIER)
    ticker = Text(bounds.IDENTIFIER)
    exchange = Text(
        bounds.EXCHANGE,
        metadata={"description": "MIC (e.g. XNAS) or a common exchange code, for `ticker`."},
    )
    domain = Text(bounds.QUERY_TEXT)
    policy = Text(bounds.POLICY_ID)
    as_of = as_of_field()


def _max_lengths(schema: type[Schema]) -> dict[str, int]:
    limits = {}
    for name, field in schema._declared_fields.items():
        for validator in field.validators:
            if isinstance(validator, validate.Length) and validator.max is not None:
                limits[name] = validator.max
    return limits


SCREEN_ARG_LIMITS = _max_lengths(ScreenQueryArgs)


def screen_args(args: Mapping[str, str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The screening parameters of a query string, checked against ``ScreenQueryArgs``.

    The same rules as loading the schema, at a fraction of the cost on the hot path.
    Returns the parameters and the errors by field.
    """
    kept: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, value in args.items():
        limit = SCREEN_ARG_LIMITS.get(name)
        if limit is None:
            continue  # EXCLUDE, as the schema does
        if len(value) > limit:
            errors[name] = [f"Longer than maximum length {limit}."]
        else:
            kept[name] = value
    return kept, errors


class EvidenceSchema(Schema):
    url = fields.String(required=True)
    publisher = fields.String(required=True)
    authority = fields.String(
        allow_none=True,
        validate=validate.OneOf(AUTHORITIES),
        metadata={"description": "primary (government, court, regulator, company filing, the "
                  "researchers' own report), established (newsroom, NGO) or low (blog, repost, "
                  "summary, aggregator)."},
    )
    date = fields.String(allow_none=True)
    title = fields.String(allow_none=True)


class FlagSchema(Schema):
    code = fields.String(required=True)
    severity = fields.String(validate=validate.OneOf(SEVERITIES))
    status = fields.String(validate=validate.OneOf(FLAG_STATUSES))
    since = fields.String(allow_none=True)
    summary = fields.String()
    evidence = fields.List(fields.Nested(EvidenceSchema))
    weakly_sourced = fields.Boolean(metadata={
        "description": "Every source is of low authority: the flag counts one severity step "
        "lower in the rating (for a derived flag: a link of its path rests only on such "
        "sources)."})
    latest_evidence = fields.String(allow_none=True, metadata={
        "description": "Date of the newest dated evidence (YYYY, YYYY-MM or YYYY-MM-DD)."})
    review_due = fields.Boolean(metadata={
        "description": "An ongoing flag whose newest evidence is older than the review age "
        "(ESGSCREEN_REVIEW_DUE_YEARS, default 3), or undated."})


class RevisionSchema(Schema):
    version = fields.Integer()
    date = fields.String(metadata={"description": "ISO 8601 date the version was published."})


class IdentifierSchema(Schema):
    type = fields.String(required=True)
    value = fields.String(required=True)
    exchange = fields.String()
    confidence = fields.String(validate=validate.OneOf(CONFIDENCES))
    source = fields.String()
    note = fields.String()


class EntitySummarySchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    aliases = fields.List(fields.String())
    kind = fields.String()
    country = fields.String(allow_none=True)
    identifiers = fields.List(fields.Nested(IdentifierSchema))
    last_reviewed = fields.Nested(RevisionSchema, allow_none=True, metadata={
        "description": "The watchlist version in which the entity last changed, and its date."})


class MatchSchema(Schema):
    entity = fields.Nested(EntitySummarySchema)
    score = fields.Float(metadata={"description": "0..1"})
    matched_on = fields.List(fields.String())
    explanation = fields.String()
    rating = fields.String(validate=validate.OneOf(RATINGS))
    flags = fields.List(fields.Nested(FlagSchema))
    exposure = fields.List(fields.Dict())


class ScreenResultSchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    action = fields.String(validate=validate.OneOf(ACTIONS))
    rating = fields.String(allow_none=True, validate=validate.OneOf(RATINGS))
    watchlist_version = fields.Integer()
    matches = fields.List(fields.Nested(MatchSchema))
    policy = fields.Dict(metadata={"description": "{id, reasons}: the policy and why"})
    query = fields.Dict(metadata={"description": "The query as understood."})


class BatchRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    items = fields.List(
        fields.Raw(),
        required=True,
        metadata={
            "description": "Holdings: each an object with a `ref`, any of q, name, isin, lei, "
            "cik, cusip, figi, ticker, exchange, domain, and an optional numeric `weight`."
        },
    )
    policy = Text(bounds.POLICY_ID)
    as_of = as_of_field()


class BatchMatchSchema(Schema):
    entity = fields.Dict()
    score = fields.Float()
    matched_on = fields.List(fields.String())
    explanation = fields.String()
    rating = fields.String()
    flags = fields.List(fields.Dict())


class BatchRowSchema(Schema):
    ref = fields.Raw()
    status = fields.String(validate=validate.OneOf((*STATUSES, "error")))
    action = fields.String(validate=validate.OneOf(ACTIONS))
    rating = fields.String(allow_none=True)
    weight = fields.Float(allow_none=True)
    match = fields.Nested(BatchMatchSchema)
    reasons = fields.List(fields.String())
    error = fields.Dict(metadata={"description": "{field, message}: why it was not screened"})
    warnings = fields.List(fields.Dict(), metadata={
        "description": "[{field, message}]: fields left out; the item was screened by the rest"})


class BatchResultSchema(Schema):
    watchlist_version = fields.Integer()
    policy = fields.String()
    summary = fields.Dict()
    results = fields.List(fields.Nested(BatchRowSchema))


class WatchlistInfoSchema(Schema):
    version = fields.Integer()
    entities = fields.Integer()
    flags = fields.Integer()
    updated_at = fields.String()


class FlagCodeSchema(Schema):
    code = fields.String()
    title = fields.String()
    definition = fields.String()
    default_severity = fields.String(validate=validate.OneOf(SEVERITIES))
    standards = fields.List(fields.String())
    derived = fields.Boolean()


class RatingRuleSchema(Schema):
    rating = fields.String(validate=validate.OneOf(RATINGS))
    when_any = fields.List(fields.Dict())
    otherwise = fields.Boolean()


class TaxonomySchema(Schema):
    flags = fields.List(fields.Nested(FlagCodeSchema))
    rating_rules = fields.List(fields.Nested(RatingRuleSchema))


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(metadata={"description": "Messages by field"})
    max_items = fields.Integer(metadata={"description": "413 on a batch: the most items one "
                                         "request may hold"})
