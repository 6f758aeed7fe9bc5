"""Screening: one subject by GET, a portfolio by POST."""

from __future__ import annotations

import json
import time

from flask import Response, g, request
from flask.views import MethodView

from esgscreen.api.blueprint import Blueprint
from esgscreen.api.caching import not_modified, version_etag
from esgscreen.api.common import policy_named, snapshot_as_of
from esgscreen.api.problems import abort
from esgscreen.api.schemas import (
    BatchRequestSchema,
    BatchResultSchema,
    ProblemSchema,
    ScreenQueryArgs,
    ScreenResultSchema,
    screen_args,
)
from esgscreen.extensions import services
from esgscreen.service.screening import screen_batch, screen_parts

blp = Blueprint("screen", __name__, url_prefix="/api/v1", description="Screen companies")


def _json_doc(description: str, schema: type) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


@blp.route("/screen")
class Screen(MethodView):
    # Documented with one plain `doc` (no wrappers): this is the hot path.
    @blp.doc(
        parameters=[{"in": "query", "schema": ScreenQueryArgs}],
        responses={
            "200": _json_doc("The verdict", ScreenResultSchema),
            "304": {"description": "Not modified: the client's ETag is still current"},
            "422": _json_doc("An invalid identifier or query", ProblemSchema),
            "503": _json_doc("No watchlist loaded yet", ProblemSchema),
        },
    )
    def get(self) -> Response:
        """Screen one company by name or identifier.

        Give free text in `q` (a name, ticker, ISIN, LEI, CIK, CUSIP, FIGI or URL: the service
        recognises which), or any of the typed parameters.
        """
        started = time.perf_counter()
        args, errors = screen_args(request.args)
        if errors:
            abort(422, errors=errors)
        snapshot = snapshot_as_of(args.get("as_of"))
        policy = policy_named(args.get("policy"))
        found = services()
        book = found.dispositions
        generation = book.generation
        tag = version_etag(snapshot.state, generation)
        result, summary = found.answers.get(
            snapshot.state, generation, request.query_string,
            lambda: screen_parts(snapshot, args, policy, book=book))
        # Logged as well when the client's copy is still current: it was screened again.
        found.screenlog.screen("screen", g.actor, request.remote_addr, snapshot.version,
                               policy.id, started, summary)
        cached = not_modified(tag)
        if cached is not None:
            return cached
        # Already JSON: skip re-serialising through the schema on this hot path.
        response = Response(result, mimetype="application/json")
        response.set_etag(tag)
        return response

    @blp.arguments(BatchRequestSchema(), location="json")
    @blp.response(200, BatchResultSchema)
    @blp.alt_response(413, schema=ProblemSchema, description="More items than the limit")
    @blp.alt_response(422, schema=ProblemSchema, description="The body is not a batch")
    def post(self, body: dict) -> Response:
        """Screen a portfolio: each item has a `ref`, any identifiers and an optional `weight`.

        A bad item gets an `error` in its own row and never fails the batch. The summary counts
        results by status and action and adds up the weight held in each rating.
        """
        started = time.perf_counter()
        limit = services().settings.max_batch_items
        if len(body["items"]) > limit:
            abort(413, message=f"A batch holds at most {limit} items; this one has "
                               f"{len(body['items'])}. Split it into several requests.",
                  extensions={"max_items": limit})
        snapshot = snapshot_as_of(body.get("as_of"))
        policy = policy_named(body.get("policy"))
        result = screen_batch(snapshot, body["items"], policy, services().dispositions)
        services().screenlog.batch("batch", g.actor, request.remote_addr, snapshot.version,
                                   policy.id, started, result)
        return Response(json.dumps(result, ensure_ascii=False, separators=(",", ":")),
                        mimetype="application/json")
