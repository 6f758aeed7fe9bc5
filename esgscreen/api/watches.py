"""Watched portfolios: register holdings, read the events of new versions, the webhook log."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import EXCLUDE, Schema, fields, validate

from esgscreen.api.access import require
from esgscreen.api.blueprint import Blueprint
from esgscreen.api.schemas import ProblemSchema
from esgscreen.core import bounds
from esgscreen.core.roles import role_allows
from esgscreen.extensions import services
from esgscreen.service import monitoring
from esgscreen.store.proposals import identity

WATCH_ID = f"int(min=1, max={bounds.MAX_ID})"

blp = Blueprint("watches", __name__, url_prefix="/api/v1",
                description="Watched portfolios, their events and webhooks")

ITEMS_DOC = ("Holdings, as in a batch screen: each an object with a `ref` (unique in the "
             "watch), any of q, name, isin, lei, cik, cusip, figi, ticker, exchange, domain, "
             "and an optional numeric `weight`.")
WEBHOOK_DOC = ("`{url, secret?}`: where each version's events are POSTed, signed per the "
               "Standard Webhooks specification. `secret` is `whsec_` + base64 (24-64 bytes); "
               "left out, the service makes one and shows it once in the answer.")


class WatchRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True, metadata={"description": "What the portfolio is."})
    items = fields.List(fields.Raw(), required=True, metadata={"description": ITEMS_DOC})
    webhook = fields.Raw(allow_none=True, metadata={"description": WEBHOOK_DOC})
    policy = fields.String(allow_none=True, validate=validate.Length(max=100))


class WatchPatchSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String()
    add = fields.List(fields.Raw(), metadata={
        "description": "Items to add; an item whose ref is held already replaces it."})
    remove = fields.List(fields.Raw(), metadata={"description": "Refs to remove."})
    webhook = fields.Raw(allow_none=True, metadata={"description": WEBHOOK_DOC + " null "
                                                    "removes it."})
    policy = fields.String(allow_none=True, validate=validate.Length(max=100))
    paused = fields.Boolean(metadata={"description": "false resumes a paused watch (its "
                                      "waiting deliveries go out at once); true pauses it."})


class ItemErrorSchema(Schema):
    ref = fields.Raw()
    index = fields.Integer()
    error = fields.Dict(metadata={"description": "{field, message}"})


class WatchSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    owner = fields.String()
    policy = fields.String(allow_none=True)
    state = fields.String(validate=validate.OneOf(("active", "paused")))
    paused_reason = fields.String(allow_none=True)
    webhook = fields.Dict(allow_none=True, metadata={
        "description": "{url}; on creation also {secret} when the service made it"})
    items = fields.Integer(metadata={"description": "How many holdings are watched"})
    screened_version = fields.Integer(metadata={
        "description": "The watchlist version the holdings' verdicts are from"})
    created_at = fields.String()
    updated_at = fields.String()
    errors = fields.List(fields.Nested(ItemErrorSchema), metadata={
        "description": "Items not kept, by ref, and why (only in answers to writes)"})


class WatchItemSchema(Schema):
    ref = fields.String()
    item = fields.Dict()
    weight = fields.Float(allow_none=True)
    status = fields.String()
    rating = fields.String(allow_none=True)
    action = fields.String()
    entity_id = fields.String(allow_none=True)
    entity_name = fields.String(allow_none=True)


class CursorArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    after = fields.Integer(validate=validate.Range(min=0, max=bounds.MAX_ID), metadata={
        "description": "Continue after this id (the previous page's `next_after`)."})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class EventArgs(CursorArgs):
    since = fields.Integer(load_default=0, validate=validate.Range(min=0, max=bounds.MAX_ID),
                           metadata={
        "description": "Only events of versions after this one."})


class VerdictSchema(Schema):
    status = fields.String()
    rating = fields.String(allow_none=True)
    action = fields.String()
    entity_id = fields.String(allow_none=True)
    entity_name = fields.String(allow_none=True)


class EventSchema(Schema):
    id = fields.Integer()
    watch_id = fields.Integer()
    ref = fields.String()
    version = fields.Integer()
    before = fields.Nested(VerdictSchema)
    after = fields.Nested(VerdictSchema)
    reason = fields.String()
    created_at = fields.String()


class EventPageSchema(Schema):
    events = fields.List(fields.Nested(EventSchema))
    next_after = fields.Integer(allow_none=True, metadata={
        "description": "Pass as `after` for the next page; null on the last"})


class DeliverySchema(Schema):
    id = fields.Integer()
    webhook_id = fields.String(metadata={"description": "The webhook-id header, the same "
                                         "on every retry"})
    version = fields.Integer()
    state = fields.String(validate=validate.OneOf(("pending", "delivered", "failed")))
    attempts = fields.Integer()
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.String(allow_none=True)
    created_at = fields.String()
    delivered_at = fields.String(allow_none=True)
    log = fields.List(fields.Dict(), metadata={
        "description": "Each attempt: {at, status_code, error, duration_ms, next_attempt_at}"})


class DeliveryPageSchema(Schema):
    deliveries = fields.List(fields.Nested(DeliverySchema))
    next_after = fields.Integer(allow_none=True)


def owner() -> monitoring.Owner:
    """The key asking; watches belong to the key that made them (admins see all)."""
    actor = require("screener")
    if actor.kind != "key":
        abort(401, message="Watches belong to an API key: send 'Authorization: Bearer <key>'.",
              headers={"WWW-Authenticate": 'Bearer realm="esgscreen"'})
    return monitoring.Owner(identity(actor), actor, admin=role_allows(g.role, "admin"))


def _monitor() -> monitoring.Monitor:
    return services().monitor


@blp.route("/watches")
class Watches(MethodView):
    @blp.response(200, WatchSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The caller's watches (an admin key sees every watch)."""
        return monitoring.list_watches(_monitor(), owner())

    @blp.arguments(WatchRequestSchema())
    @blp.response(201, WatchSchema)
    @blp.alt_response(413, schema=ProblemSchema, description="More items than the limit")
    @blp.alt_response(422, schema=ProblemSchema, description="A bad name, webhook or policy")
    def post(self, body: dict) -> dict[str, Any]:
        """Watch a portfolio: its holdings are re-screened against every new version.

        Bad items are left out and listed in `errors` by ref, as a batch screen does.
        """
        who = owner()
        return monitoring.create_watch(_monitor(), body, who)


@blp.route(f"/watches/<{WATCH_ID}:watch_id>")
class WatchRecord(MethodView):
    @blp.response(200, WatchSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    def get(self, watch_id: int) -> dict[str, Any]:
        """One watch."""
        return monitoring.get_watch(_monitor(), watch_id, owner())

    @blp.arguments(WatchRequestSchema())
    @blp.response(200, WatchSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    def put(self, body: dict, watch_id: int) -> dict[str, Any]:
        """Replace the watch: holdings whose ref stays keep their events; webhook and policy
        are as given (left out: none)."""
        who = owner()
        return monitoring.update_watch(_monitor(), watch_id, body, who, replace=True)

    @blp.arguments(WatchPatchSchema())
    @blp.response(200, WatchSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    def patch(self, body: dict, watch_id: int) -> dict[str, Any]:
        """Add or remove holdings, rename, change the webhook or policy, pause or resume."""
        who = owner()
        return monitoring.update_watch(_monitor(), watch_id, body, who, replace=False)

    @blp.response(204)
    @blp.alt_response(404, schema=ProblemSchema)
    def delete(self, watch_id: int) -> None:
        """Stop watching (its record stays in the audit trail)."""
        who = owner()
        monitoring.delete_watch(_monitor(), watch_id, who)


@blp.route(f"/watches/<{WATCH_ID}:watch_id>/items")
class WatchItems(MethodView):
    @blp.response(200, WatchItemSchema(many=True))
    @blp.alt_response(404, schema=ProblemSchema)
    def get(self, watch_id: int) -> list[dict[str, Any]]:
        """The holdings and their verdicts at the watch's `screened_version`."""
        return monitoring.watch_items(_monitor(), watch_id, owner())


@blp.route(f"/watches/<{WATCH_ID}:watch_id>/events")
class WatchEvents(MethodView):
    @blp.arguments(EventArgs(), location="query")
    @blp.response(200, EventPageSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    def get(self, args: dict, watch_id: int) -> dict[str, Any]:
        """Holdings whose verdict a version changed, oldest first, with before, after and why."""
        page, next_after = monitoring.events_page(
            _monitor(), watch_id, owner(), args["since"], args.get("after"), args["limit"])
        return {"events": page, "next_after": next_after}


@blp.route(f"/watches/<{WATCH_ID}:watch_id>/deliveries")
class WatchDeliveries(MethodView):
    @blp.arguments(CursorArgs(), location="query")
    @blp.response(200, DeliveryPageSchema)
    @blp.alt_response(404, schema=ProblemSchema)
    def get(self, args: dict, watch_id: int) -> dict[str, Any]:
        """The webhook delivery log: each delivery, its state and every attempt."""
        page, next_after = monitoring.deliveries_page(
            _monitor(), watch_id, owner(), args.get("after"), args["limit"])
        return {"deliveries": page, "next_after": next_after}
