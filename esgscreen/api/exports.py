"""Exports of any published version: JSON records, CSV rows, FollowTheMoney lines."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields

from esgscreen.api.access import require_read
from esgscreen.api.blueprint import Blueprint
from esgscreen.api.caching import not_modified
from esgscreen.api.entities import EntityRecordSchema
from esgscreen.api.problems import abort
from esgscreen.api.schemas import ProblemSchema
from esgscreen.extensions import services
from esgscreen.service.exports import MEDIA_TYPES, export


class ExportDocumentSchema(Schema):
    watchlist_version = fields.Integer()
    created_at = fields.String(allow_none=True)
    entities = fields.List(fields.Nested(EntityRecordSchema),
                           metadata={"description": "Each entity's record, as getEntity gives it"})


blp = Blueprint("exports", __name__, url_prefix="/api/v1",
                description="The watchlist in formats other tools load")


@blp.route("/exports/<int:version>.<any(json, csv, ftm):format>")
class Export(MethodView):
    @blp.doc(
        responses={
            "200": {"description": "The export, as a file", "content": {
                "application/json": {"schema": ExportDocumentSchema},
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string", "description":
                                         "FollowTheMoney entities, one JSON object a line"}},
            }},
            "304": {"description": "Not modified: a version never changes"},
            "404": {"description": "No such version",
                    "content": {"application/json": {"schema": ProblemSchema}}},
        },
    )
    def get(self, version: int, format: str) -> Response:
        """One published watchlist version as JSON, CSV or FollowTheMoney JSON lines."""
        require_read()
        snapshot = services().snapshots.at(version)
        if snapshot is None:
            abort(404, message=f"There is no watchlist version {version}.")
        tag = f"v{snapshot.version}-{format}"
        cached = not_modified(tag)
        if cached is not None:
            return cached
        response = Response(export(snapshot, services().store, format),
                            mimetype=MEDIA_TYPES[format])
        response.headers["Content-Disposition"] = (
            f"attachment; filename=esgscreen-v{snapshot.version}.{format}"
            + (".jsonl" if format == "ftm" else ""))
        response.set_etag(tag)
        return response
