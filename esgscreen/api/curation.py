"""Curation: proposals, four-eyes review, and the audit log."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Page
from marshmallow import EXCLUDE, Schema, fields, validate

from esgscreen.api.access import require
from esgscreen.api.blueprint import Blueprint
from esgscreen.api.schemas import ProblemSchema, Text
from esgscreen.core import bounds
from esgscreen.extensions import services
from esgscreen.service import curation
from esgscreen.store import audit, proposals
from esgscreen.store.proposals import STATUSES, ProposalInfo

# Ids beyond the INTEGER column's range name no proposal: 404, never a database error.
PROPOSAL_ID = f"int(min=1, max={bounds.MAX_ID})"

blp = Blueprint("proposals", __name__, url_prefix="/api/v1",
                description="Propose, review and audit watchlist changes")


class ProposalRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    summary = Text(bounds.SUMMARY, min_length=1, required=True)
    changes = fields.List(
        fields.Raw(), required=True, validate=validate.Length(min=1, max=curation.MAX_CHANGES),
        metadata={"description": "Change operations: upsert_entity, retire_entity, "
                  "add_identifier, remove_identifier, add_relation, remove_relation, add_flag, "
                  "update_flag, close_flag, add_evidence."},
    )


class ProposalSchema(Schema):
    id = fields.Integer()
    summary = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES))
    changes = fields.List(fields.Dict())
    base_version = fields.Integer(allow_none=True)
    entities = fields.List(fields.String())
    author = fields.String()
    created_at = fields.String()
    decided_at = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    result_version = fields.Integer(allow_none=True)
    diff = fields.Raw(metadata={"description": "Per entity, a unified diff against the current "
                                "version; or why the proposal no longer applies"})


class ProposalListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(validate=validate.OneOf(STATUSES))


class RejectSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    reason = Text(bounds.REASON, min_length=1, required=True)


class AuditArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    action = Text(bounds.AUDIT_ACTION)
    subject = Text(bounds.AUDIT_SUBJECT)
    actor = Text(bounds.AUDIT_ACTOR)


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = fields.String()
    actor = fields.String()
    action = fields.String()
    subject = fields.String(allow_none=True)
    detail = fields.Dict()
    remote_addr = fields.String(allow_none=True)


def proposal_view(found: ProposalInfo, diff: Any = None) -> dict[str, Any]:
    view = {
        "id": found.id,
        "summary": found.summary,
        "status": found.status,
        "changes": found.changes,
        "base_version": found.base_version,
        "entities": sorted(found.base_hashes),
        "author": found.author,
        "created_at": found.created_at.isoformat(),
        "decided_at": found.decided_at.isoformat() if found.decided_at else None,
        "decided_by": found.decided_by,
        "reason": found.reason,
        "result_version": found.result_version,
    }
    if diff is not None:
        view["diff"] = diff
    return view


@blp.route("/proposals")
class Proposals(MethodView):
    @blp.arguments(ProposalListArgs(), location="query")
    @blp.response(200, ProposalSchema(many=True))
    @blp.paginate(Page, page_size=50, max_page_size=200)
    def get(self, args: dict) -> list[dict]:
        """The review queue (filter by `status`)."""
        require("curator")
        with services().store.read() as session:
            found = proposals.list_proposals(session, args.get("status"))
        return [proposal_view(p) for p in found]

    @blp.arguments(ProposalRequestSchema())
    @blp.response(201, ProposalSchema)
    @blp.alt_response(422, schema=ProblemSchema, description="Changes that fail validation")
    def post(self, body: dict) -> dict:
        """Propose changes; checked like `esgscreen watchlist validate`, then pending review."""
        actor = require("curator")
        found = curation.submit(services().store, body["summary"], body["changes"], actor)
        return proposal_view(found)


@blp.route(f"/proposals/<{PROPOSAL_ID}:proposal_id>")
class ProposalRecord(MethodView):
    @blp.response(200, ProposalSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    def get(self, proposal_id: int) -> dict:
        """One proposal with a readable diff against the current version."""
        require("curator")
        found, diff = curation.get(services().store, proposal_id)
        return proposal_view(found, diff)


def _decided(found: ProposalInfo) -> dict:
    services().snapshots.invalidate()
    return proposal_view(found)


@blp.route(f"/proposals/<{PROPOSAL_ID}:proposal_id>/approve")
class Approve(MethodView):
    @blp.response(200, ProposalSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="Your own proposal")
    @blp.alt_response(409, schema=ProblemSchema, description="Decided already, or data moved")
    def post(self, proposal_id: int) -> dict:
        """Approve: every change applies at once as a new watchlist version."""
        actor = require("reviewer")
        return _decided(curation.approve(services().store, proposal_id, actor))


@blp.route(f"/proposals/<{PROPOSAL_ID}:proposal_id>/reject")
class Reject(MethodView):
    @blp.arguments(RejectSchema())
    @blp.response(200, ProposalSchema)
    def post(self, body: dict, proposal_id: int) -> dict:
        """Reject, with a reason for the curator."""
        actor = require("reviewer")
        return proposal_view(curation.reject(services().store, proposal_id, body["reason"],
                                             actor))


@blp.route(f"/proposals/<{PROPOSAL_ID}:proposal_id>/withdraw")
class Withdraw(MethodView):
    @blp.response(200, ProposalSchema)
    def post(self, proposal_id: int) -> dict:
        """Withdraw your own pending proposal."""
        actor = require("curator")
        return proposal_view(curation.withdraw(services().store, proposal_id, actor))


def _event_view(event: Any) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "subject": event.subject,
        "detail": event.detail,
        "remote_addr": event.remote_addr,
    }


def _events(args: dict) -> list[dict[str, Any]]:
    require("admin")
    with services().store.read() as session:
        return [_event_view(e) for e in audit.list_events(
            session, action=args.get("action"), subject=args.get("subject"),
            actor=args.get("actor"), limit=1_000_000)]


@blp.route("/audit")
class Audit(MethodView):
    @blp.arguments(AuditArgs(), location="query")
    @blp.response(200, AuditEventSchema(many=True))
    @blp.paginate(Page, page_size=100, max_page_size=1000)
    def get(self, args: dict) -> list[dict]:
        """The audit log, newest first: who did what, when, with which key or account."""
        return _events(args)


@blp.route("/audit.csv")
class AuditExport(MethodView):
    @blp.arguments(AuditArgs(), location="query")
    @blp.response(200, {"type": "string"}, content_type="text/csv")
    def get(self, args: dict) -> Response:
        """The whole (filtered) audit log as CSV."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(AuditEventSchema().fields))
        writer.writeheader()
        for event in _events(args):
            writer.writerow({**event, "detail": json.dumps(event["detail"])})
        return Response(out.getvalue(), mimetype="text/csv", headers={
            "Content-Disposition": "attachment; filename=esgscreen-audit.csv"})
