"""yente-compatible endpoints under ``/yente``: point a client of the OpenSanctions matching
API (yente) at ``<service>/yente`` and it screens against this watchlist unchanged."""

from __future__ import annotations

import time
from typing import Any

from flask import Response, g, json, request
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import EXCLUDE, Schema, fields, validate

from esgscreen.api.access import require_read
from esgscreen.api.blueprint import Blueprint
from esgscreen.api.common import snapshot_as_of
from esgscreen.api.problems import problem
from esgscreen.extensions import services
from esgscreen.service import yente

blp = Blueprint("yente", __name__, url_prefix="/yente",
                description="yente-compatible matching (the OpenSanctions API's shapes)")


def _bad_example(error: yente.BadExample) -> Response:
    return problem(error.status, error.message,
                   errors={error.field: [error.message]} if error.field else None)


def _unknown_dataset(error: yente.UnknownDataset) -> Response:
    return problem(404, str(error), errors={"dataset": [str(error)]})


blp.register_error_handler(yente.BadExample, _bad_example)
blp.register_error_handler(yente.UnknownDataset, _unknown_dataset)


class EntityExampleSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.String(allow_none=True)
    schema = fields.String(required=True, metadata={"description": "An FtM schema: Company, "
                                                    "Organization, LegalEntity …"})
    properties = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True,
                             metadata={"description": "FtM properties: name, isinCode, "
                                       "leiCode, registrationNumber, website, country …"})


class MatchRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    queries = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True,
                          metadata={"description": "Examples by the client's own keys: "
                                    '{"q1": {"schema": "Company", "properties": {...}}}'})
    weights = fields.Dict(load_default=dict)
    config = fields.Dict(load_default=dict)


class MatchArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=5, validate=validate.Range(min=1, max=500))
    threshold = fields.Float(load_default=yente.MATCH_THRESHOLD,
                             validate=validate.Range(min=0, max=1))
    cutoff = fields.Float(load_default=yente.MATCH_CUTOFF, validate=validate.Range(min=0, max=1))
    algorithm = fields.String(validate=validate.Length(max=60),
                              metadata={"description": "Accepted and ignored: this service's "
                                        "own matching answers"})


class SearchArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default="", validate=validate.Length(max=500))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=0, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=9500))
    schema = fields.String(validate=validate.Length(max=60))
    countries = fields.String(validate=validate.Length(max=2),
                              metadata={"description": "An ISO 3166-1 alpha-2 code"})


class EntityArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    nested = fields.Boolean(load_default=True)


class TotalSchema(Schema):
    value = fields.Integer()
    relation = fields.String()


class EntityResponseSchema(Schema):
    id = fields.String()
    caption = fields.String()
    schema = fields.String()
    properties = fields.Dict(metadata={"description": "FtM properties; rating and flags in "
                                       "keywords, notes and topics"})
    datasets = fields.List(fields.String())
    referents = fields.List(fields.String())
    target = fields.Boolean()
    first_seen = fields.String(allow_none=True)
    last_seen = fields.String(allow_none=True)
    last_change = fields.String(allow_none=True)


class ScoredEntitySchema(EntityResponseSchema):
    score = fields.Float()
    match = fields.Boolean(metadata={"description": "score >= threshold"})
    features = fields.Dict(keys=fields.String(), values=fields.Float())
    explanations = fields.Dict()


class EntityMatchesSchema(Schema):
    status = fields.Integer()
    results = fields.List(fields.Nested(ScoredEntitySchema))
    total = fields.Nested(TotalSchema)
    query = fields.Dict()


class MatchResponseSchema(Schema):
    responses = fields.Dict(keys=fields.String(), values=fields.Nested(EntityMatchesSchema))
    limit = fields.Integer()


class SearchResponseSchema(Schema):
    limit = fields.Integer()
    offset = fields.Integer()
    total = fields.Nested(TotalSchema)
    results = fields.List(fields.Nested(EntityResponseSchema))
    facets = fields.Dict()


class CatalogSchema(Schema):
    datasets = fields.List(fields.Dict())
    current = fields.List(fields.String())
    outdated = fields.List(fields.String())
    index_stale = fields.Boolean()


def _json(value: Any) -> Response:
    return Response(json.dumps(value), mimetype="application/json")


@blp.route("/match/<string:dataset>")
class Match(MethodView):
    @blp.arguments(MatchArgs(), location="query")
    @blp.arguments(MatchRequestSchema(), location="json")
    @blp.response(200, MatchResponseSchema)
    @blp.alt_response(400, schema=MatchResponseSchema, description="A query that cannot be "
                      "read (an unknown schema), no queries, or too many")
    @blp.alt_response(404, schema=MatchResponseSchema, description="No such dataset")
    def post(self, args: dict, body: dict, dataset: str) -> Response:
        """Query by example, as yente's `/match`: each query a FollowTheMoney-shaped example."""
        started = time.perf_counter()
        yente.dataset_named(dataset)
        snapshot = snapshot_as_of(None)
        found = services()
        result = yente.match_batch(snapshot, body["queries"], limit=args["limit"],
                                   threshold=args["threshold"], cutoff=args["cutoff"],
                                   max_queries=found.settings.max_batch_items)
        # Each query is logged as a single screen (under the default policy, which decides
        # its action), timed at its share of the request.
        policy = found.policy(None)
        responses = result["responses"]
        share = (time.perf_counter() - started) / max(len(responses), 1)
        for key, response in responses.items():
            found.screenlog.screen("match", g.actor, request.remote_addr, snapshot.version,
                                   policy.id, time.perf_counter() - share,
                                   yente.match_summary(snapshot, key, response, policy))
        return _json(result)


@blp.route("/search/<string:dataset>")
class Search(MethodView):
    @blp.arguments(SearchArgs(), location="query")
    @blp.response(200, SearchResponseSchema)
    @blp.alt_response(404, schema=SearchResponseSchema, description="No such dataset")
    def get(self, args: dict, dataset: str) -> Response:
        """Search entities by text, as yente's `/search`."""
        yente.dataset_named(dataset)
        snapshot = snapshot_as_of(None)
        return _json(yente.search_entities(
            snapshot, args["q"], limit=args["limit"], offset=args["offset"],
            schema=args.get("schema"), countries=[args.get("countries") or ""]))


@blp.route("/entities/<string:entity_id>")
class Entity(MethodView):
    @blp.arguments(EntityArgs(), location="query")
    @blp.response(200, EntityResponseSchema)
    def get(self, args: dict, entity_id: str) -> Response:
        """One entity in FollowTheMoney form, with its ownerships, links and sanctions nested."""
        snapshot = snapshot_as_of(None)
        found = yente.entity_nested(snapshot, entity_id, args["nested"])
        if found is None:
            abort(404, message="No such entity!")
        return _json(found)


@blp.route("/catalog")
class Catalog(MethodView):
    @blp.response(200, CatalogSchema)
    def get(self) -> Response:
        """The datasets, as yente's `/catalog`: `esgscreen` and its alias `default`."""
        require_read()
        return _json(yente.catalog(services().snapshots.current()))
