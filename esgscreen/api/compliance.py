"""Compliance records: the screening log, dispositions of reviewed candidates, and metrics."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time
from typing import Any

from flask import Blueprint as FlaskBlueprint
from flask import Response, g
from flask.views import MethodView
from flask_smorest import Page
from flask_smorest.pagination import PaginationParameters
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import func, select

from esgscreen.api.access import require
from esgscreen.api.blueprint import Blueprint
from esgscreen.api.problems import abort
from esgscreen.api.schemas import ProblemSchema
from esgscreen.api.watches import owner
from esgscreen.core import bounds
from esgscreen.core.query import QUERY_FIELDS
from esgscreen.extensions import services
from esgscreen.service import dispositions, metrics, monitoring
from esgscreen.service.dispositions import DECISIONS, DispositionInfo, identity
from esgscreen.service.screenlog import (
    ScreeningFilter,
    count_screenings,
    get_screening,
    list_screenings,
)
from esgscreen.store.audit import Actor
from esgscreen.store.models import Proposal, Screening

blp = Blueprint("compliance", __name__, url_prefix="/api/v1",
                description="The screening log and dispositions of reviewed candidates")
metrics_blp = FlaskBlueprint("metrics", __name__)

LOG_STATUSES = ("match", "possible_match", "no_match", "error")
# A record's id in a path: beyond it, a 404 rather than the database's overflow.
RECORD_ID = f"int(min=1, max={bounds.MAX_ID})"


class Moment(fields.Field):
    """An ISO 8601 date (its start, UTC) or date and time (UTC when no offset is given)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        text = str(value).strip()
        try:
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), time(), UTC)
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"Not an ISO 8601 date or time: {text!r}.") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class ScreeningArgs(Schema):
    class Meta:
        unknown = RAISE  # a misspelt filter must not silently list everything

    since = Moment(metadata={"description": "From this ISO 8601 date or time on"})
    until = Moment(metadata={"description": "Before this ISO 8601 date or time"})
    status = fields.String(validate=validate.OneOf(LOG_STATUSES))
    entity_id = fields.String(validate=validate.Length(min=1, max=120))
    caller = fields.String(validate=validate.Length(min=1, max=200),
                           metadata={"description": "key:3, user:7, anonymous, or part of a "
                                     "caller's name"})


class ScreeningItemSchema(Schema):
    ref = fields.String()
    status = fields.String()
    rating = fields.String(allow_none=True)
    action = fields.String(allow_none=True)
    entity_id = fields.String(allow_none=True)


class ScreeningSchema(Schema):
    id = fields.Integer()
    at = fields.String()
    endpoint = fields.String()
    caller = fields.String()
    caller_identity = fields.String()
    remote_addr = fields.String(allow_none=True)
    query = fields.Dict(allow_none=True)
    status = fields.String()
    rating = fields.String(allow_none=True)
    action = fields.String(allow_none=True)
    entity_id = fields.String(allow_none=True)
    watchlist_version = fields.Integer()
    policy = fields.String()
    items = fields.Integer(allow_none=True)
    counts = fields.Dict(allow_none=True)
    rows = fields.List(fields.Nested(ScreeningItemSchema), metadata={
        "description": "A batch's items that were not no_match"})


class DispositionRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    entity_id = fields.String(required=True, validate=validate.Length(min=1, max=120))
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    query = fields.Dict(
        keys=fields.String(validate=validate.OneOf(QUERY_FIELDS)),
        values=fields.String(allow_none=True, validate=validate.Length(max=500)),
        metadata={"description": "What it applies to: the screening parameters (q, name, "
                  "isin, ...), compared as the matcher understands them"})
    ref = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "Or a client ref within the watch `watch_id`: the decision applies to "
                       "that holding only, while its query stays the same"})
    watch_id = fields.Integer(validate=validate.Range(min=1, max=bounds.MAX_ID), metadata={
        "description": "The watch holding `ref` (one of the caller's)"})


class DispositionSchema(Schema):
    id = fields.Integer()
    entity_id = fields.String()
    decision = fields.String()
    note = fields.String()
    query = fields.Dict(allow_none=True)
    query_key = fields.String(allow_none=True)
    ref = fields.String(allow_none=True)
    watch_id = fields.Integer(allow_none=True)
    watchlist_version = fields.Integer()
    by = fields.String()
    at = fields.String()
    revoked_at = fields.String(allow_none=True)
    revoked_by = fields.String(allow_none=True)
    revoke_reason = fields.String(allow_none=True)


class DispositionListArgs(Schema):
    class Meta:
        unknown = RAISE

    entity_id = fields.String(validate=validate.Length(min=1, max=120))
    active = fields.Boolean()


class RevokeSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(validate=validate.Length(max=2000))


def screening_view(row: Screening) -> dict[str, Any]:
    return {
        "id": row.id, "at": row.at.isoformat(), "endpoint": row.endpoint, "caller": row.caller,
        "caller_identity": row.caller_identity, "remote_addr": row.remote_addr,
        "query": row.query, "status": row.status, "rating": row.rating, "action": row.action,
        "entity_id": row.entity_id, "watchlist_version": row.watchlist_version,
        "policy": row.policy, "items": row.items, "counts": row.counts,
        "rows": [{"ref": r.ref, "status": r.status, "rating": r.rating, "action": r.action,
                  "entity_id": r.entity_id} for r in row.rows],
    }


def disposition_view(found: DispositionInfo) -> dict[str, Any]:
    return {
        "id": found.id, "entity_id": found.entity_id, "decision": found.decision,
        "note": found.note, "query": found.query, "query_key": found.query_key,
        "ref": found.ref, "watch_id": found.watch_id,
        "watchlist_version": found.watchlist_version, "by": found.by,
        "at": found.at.isoformat(),
        "revoked_at": found.revoked_at.isoformat() if found.revoked_at else None,
        "revoked_by": found.revoked_by, "revoke_reason": found.revoke_reason,
    }


def _keyed_screener(refusal: str) -> Actor:
    """A screener (or above) with a key or account: anonymous public reading is refused."""
    actor = require("screener")
    if actor.kind == "anonymous":
        abort(401, message=refusal, headers={"WWW-Authenticate": 'Bearer realm="esgscreen"'})
    return actor


def _reader_filter(args: dict) -> ScreeningFilter:
    """Admins read every record; any other key only its own."""
    actor = _keyed_screener("The screening log needs an API key: send "
                            "'Authorization: Bearer <key>'.")
    own = None if g.role == "admin" else identity(actor)
    return ScreeningFilter(since=args.get("since"), until=args.get("until"),
                           status=args.get("status"), entity_id=args.get("entity_id"),
                           caller=args.get("caller"), caller_identity=own)


@blp.route("/screenings")
class Screenings(MethodView):
    @blp.arguments(ScreeningArgs(), location="query", unknown=RAISE)
    @blp.response(200, ScreeningSchema(many=True))
    @blp.alt_response(422, schema=ProblemSchema, description="A bad date or an unknown filter")
    @blp.paginate(page_size=100, max_page_size=1000)
    def get(self, args: dict, pagination_parameters: PaginationParameters) -> list[dict]:
        """The screening log, newest first: who screened what, when, against which version.

        An admin key sees every record; any other key its own. A worker writes its records
        every few seconds, so the newest may take that long to appear.
        """
        where = _reader_filter(args)
        store = services().store
        pagination_parameters.item_count = count_screenings(store, where)
        rows = list_screenings(store, where, limit=pagination_parameters.page_size,
                               offset=pagination_parameters.first_item)
        return [screening_view(r) for r in rows]


@blp.route("/screenings.csv")
class ScreeningsExport(MethodView):
    @blp.arguments(ScreeningArgs(), location="query", unknown=RAISE)
    @blp.response(200, {"type": "string"}, content_type="text/csv")
    @blp.alt_response(422, schema=ProblemSchema, description="A bad date or an unknown filter")
    def get(self, args: dict) -> Response:
        """The (filtered) screening log as CSV; a batch's items follow it, one a line."""
        where = _reader_filter(args)
        columns = [c for c in ScreeningSchema().fields if c != "rows"] + ["item_ref"]
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        for row in list_screenings(services().store, where, limit=None):
            view = screening_view(row)
            items = view.pop("rows")
            writer.writerow({**view, "query": json.dumps(view["query"]) if view["query"] else "",
                             "counts": json.dumps(view["counts"]) if view["counts"] else ""})
            for item in items:
                writer.writerow({"id": view["id"], "at": view["at"], "endpoint": "batch-item",
                                 "caller": view["caller"],
                                 "caller_identity": view["caller_identity"],
                                 "status": item["status"], "rating": item["rating"],
                                 "action": item["action"], "entity_id": item["entity_id"],
                                 "watchlist_version": view["watchlist_version"],
                                 "policy": view["policy"], "item_ref": item["ref"]})
        return Response(out.getvalue(), mimetype="text/csv", headers={
            "Content-Disposition": "attachment; filename=esgscreen-screenings.csv"})


@blp.route(f"/screenings/<{RECORD_ID}:screening_id>")
class ScreeningRecord(MethodView):
    @blp.response(200, ScreeningSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    def get(self, screening_id: int) -> dict:
        """One screening record (a printed screening record cites its id)."""
        where = _reader_filter({})
        row = get_screening(services().store, screening_id)
        if row is None or (where.caller_identity and row.caller_identity != where.caller_identity):
            abort(404, message=f"There is no screening record {screening_id} you may read.")
        return screening_view(row)


def _disposition_changed() -> None:
    services().dispositions.invalidate()


@blp.route("/dispositions")
class Dispositions(MethodView):
    @blp.arguments(DispositionListArgs(), location="query", unknown=RAISE)
    @blp.response(200, DispositionSchema(many=True))
    @blp.paginate(Page, page_size=100, max_page_size=1000)
    def get(self, args: dict) -> list[dict]:
        """Dispositions, newest first (filter by `entity_id`, `active`)."""
        require("screener")
        return [disposition_view(d) for d in dispositions.list_dispositions(
            services().store, entity_id=args.get("entity_id"), active=args.get("active"))]

    @blp.arguments(DispositionRequestSchema())
    @blp.response(201, DispositionSchema)
    @blp.alt_response(422, schema=ProblemSchema,
                      description="An unknown entity, or one that is not a candidate")
    def post(self, body: dict) -> dict:
        """Record a decision on a candidate: `false_positive` takes it out of later answers'
        status (listed under `suppressed`), `confirmed` is carried along. Either lapses when
        the entity gains a name, identifier or flag."""
        actor = _keyed_screener("Recording a disposition needs an API key.")
        if "ref" in body or "watch_id" in body:
            for given, needed in (("ref", "watch_id"), ("watch_id", "ref")):
                if needed not in body:
                    abort(422, message=f"{given} needs {needed}: a disposition on a holding "
                                       "names the watch and the holding's ref.",
                          errors={needed: ["Missing data for required field."]})
            if body.get("query"):
                abort(422, message="Give either a query or a watch's holding, not both.",
                      errors={"query": ["not with watch_id and ref"]})
            found = monitoring.record_disposition(
                services().monitor, body["watch_id"], body["ref"], owner(),
                entity_id=body["entity_id"], decision=body["decision"], note=body["note"])
        else:
            found = dispositions.record(
                services().store, services().snapshots.require(None), actor,
                entity_id=body["entity_id"], decision=body["decision"], note=body["note"],
                query=body.get("query"))
        _disposition_changed()
        return disposition_view(found)


def _revoke(disposition_id: int, reason: str | None) -> dict:
    actor = _keyed_screener("Revoking a disposition needs an API key.")
    found = dispositions.revoke(services().store, disposition_id, actor, reason)
    monitoring.disposition_revoked(services().monitor, found)
    _disposition_changed()
    return disposition_view(found)


@blp.route(f"/dispositions/<{RECORD_ID}:disposition_id>")
class DispositionRecord(MethodView):
    @blp.response(200, DispositionSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    def get(self, disposition_id: int) -> dict:
        """One disposition."""
        require("screener")
        found = dispositions.get_disposition(services().store, disposition_id)
        if found is None:
            abort(404, message=f"There is no disposition {disposition_id}.")
        return disposition_view(found)

    @blp.response(200, DispositionSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="Revoked already")
    def delete(self, disposition_id: int) -> dict:
        """Revoke a disposition (it stays listed, with who revoked it and when)."""
        return _revoke(disposition_id, None)


@blp.route(f"/dispositions/<{RECORD_ID}:disposition_id>/revoke")
class RevokeDisposition(MethodView):
    @blp.arguments(RevokeSchema())
    @blp.response(200, DispositionSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    @blp.alt_response(409, schema=ProblemSchema, description="Revoked already")
    def post(self, body: dict, disposition_id: int) -> dict:
        """Revoke a disposition, with a reason."""
        return _revoke(disposition_id, body.get("reason"))


# metrics --------------------------------------------------------------------------------------


def _proposal_counts() -> list[tuple[str, float]]:
    with services().store.read() as session:
        counts = dict(session.execute(
            select(Proposal.status, func.count(Proposal.id)).group_by(Proposal.status)).all())
    from esgscreen.store.proposals import STATUSES

    return [(status, float(counts.get(status, 0))) for status in STATUSES]


@metrics_blp.get("/metrics")
def metrics_view() -> Response:
    """Prometheus metrics; an admin key unless METRICS_PUBLIC."""
    if not services().settings.metrics_public:
        require("admin")
    services().screenlog.flush()  # this worker's latest counts
    body, content_type = metrics.exposition([metrics.StateCounts(
        "esgscreen_proposals", "Curation proposals by state", "state", _proposal_counts)])
    return Response(body, content_type=content_type)
