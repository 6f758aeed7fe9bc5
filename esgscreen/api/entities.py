"""Browsing entities: search with filters (also autocomplete) and one entity's record."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Page, abort
from marshmallow import EXCLUDE, Schema, fields, validate

from esgscreen.api.blueprint import Blueprint
from esgscreen.api.caching import not_modified, tag_answer, version_etag
from esgscreen.api.common import snapshot_as_of
from esgscreen.api.schemas import ProblemSchema, Text, as_of_field
from esgscreen.core import bounds
from esgscreen.core.model import ENTITY_KINDS, RATINGS
from esgscreen.extensions import services
from esgscreen.service.browse import (
    EntityFilter,
    entity_history,
    entity_item,
    entity_record,
    flag_items,
    search,
)

blp = Blueprint("entities", __name__, url_prefix="/api/v1", description="Browse the watchlist")


class EntitySearchArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    q = Text(bounds.SEARCH_TEXT,
             metadata={"description": "Text in a name, alias, identifier or product."})
    kind = fields.String(validate=validate.OneOf(ENTITY_KINDS))
    flag = Text(bounds.FLAG_CODE, metadata={"description": "A flag code from the taxonomy."})
    rating = fields.String(validate=validate.OneOf(RATINGS))
    country = Text(2, min_length=2)
    as_of = as_of_field()


class EntityRecordArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    as_of = as_of_field()


class EntityItemSchema(Schema):
    id = fields.String()
    name = fields.String()
    aliases = fields.List(fields.String())
    kind = fields.String()
    country = fields.String(allow_none=True)
    status = fields.String()
    rating = fields.String()
    flag_codes = fields.List(fields.String())
    products = fields.List(fields.String())


class EntityRecordSchema(Schema):
    entity = fields.Dict()
    rating = fields.String()
    flags = fields.List(fields.Dict())
    exposure = fields.List(fields.Dict())
    relations = fields.Dict()
    versions = fields.List(fields.Integer())
    history = fields.List(fields.Dict(), metadata={
        "description": "Each version that changed the entity: when, by whom, and why"})
    watchlist_version = fields.Integer()


class FlagListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    review_due = fields.Boolean(metadata={
        "description": "true: only ongoing flags whose newest evidence is older than the review "
        "age (or undated), the curators' queue, oldest first; false: only the others."})
    code = fields.String(validate=validate.Length(max=60),
                         metadata={"description": "A flag code from the taxonomy."})
    as_of = fields.String(validate=validate.Length(max=40))


class FlagEntitySchema(Schema):
    id = fields.String()
    name = fields.String()


class FlagItemSchema(Schema):
    entity = fields.Nested(FlagEntitySchema)
    code = fields.String()
    severity = fields.String()
    status = fields.String()
    since = fields.String(allow_none=True)
    latest_evidence = fields.String(allow_none=True, metadata={
        "description": "Date of the flag's newest dated evidence; null when none is dated."})
    review_due = fields.Boolean()


@blp.route("/flags")
class Flags(MethodView):
    @blp.arguments(FlagListArgs(), location="query")
    @blp.response(200, FlagItemSchema(many=True))
    @blp.alt_response(422, schema=ProblemSchema)
    @blp.paginate(Page, page_size=20, max_page_size=100)
    def get(self, args: dict) -> list[dict]:
        """The curated flags of every entity; `review_due=true` is the curators' review queue."""
        snapshot = snapshot_as_of(args.get("as_of"))
        return flag_items(snapshot, args.get("review_due"), args.get("code"))


@blp.route("/entities")
class Entities(MethodView):
    @blp.arguments(EntitySearchArgs(), location="query")
    @blp.response(200, EntityItemSchema(many=True))
    @blp.alt_response(422, schema=ProblemSchema)
    @blp.paginate(Page, page_size=20, max_page_size=100)
    def get(self, args: dict) -> list[dict]:
        """Search entities by text, kind, flag code, rating and country (also autocomplete)."""
        snapshot = snapshot_as_of(args.pop("as_of", None))
        found = search(snapshot, EntityFilter(text=args.get("q"), kind=args.get("kind"),
                                              flag=args.get("flag"), rating=args.get("rating"),
                                              country=args.get("country")))
        return [entity_item(snapshot, e) for e in found]


@blp.route("/entities/<string:entity_id>")
class EntityRecord(MethodView):
    @blp.arguments(EntityRecordArgs(), location="query")
    @blp.response(200, EntityRecordSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    def get(self, args: dict, entity_id: str) -> dict | Response:
        """One entity: identifiers, relations both ways, flags with evidence, its versions."""
        snapshot = snapshot_as_of(args.get("as_of"))
        entity = snapshot.watchlist.entities.get(entity_id)
        if entity is None:
            abort(404, message=f"There is no entity {entity_id!r} in watchlist version "
                               f"{snapshot.version}.")
        tag = version_etag(snapshot.state)
        cached = not_modified(tag)
        if cached is not None:
            return cached
        tag_answer(tag)
        history = entity_history(services().store, entity_id, snapshot.version)
        record = entity_record(snapshot, entity, [h.version for h in history])
        record["history"] = [
            {"version": h.version, "created_at": h.created_at.isoformat(), "author": h.author,
             "summary": h.summary}
            for h in history
        ]
        return record
