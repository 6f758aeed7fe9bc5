"""The watchlist's state and history, its taxonomy, the policies and the methodology."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Page
from marshmallow import EXCLUDE, Schema, fields, validate

from esgscreen.api.blueprint import Blueprint
from esgscreen.api.common import snapshot_as_of
from esgscreen.api.schemas import (
    ProblemSchema,
    RatingRuleSchema,
    TaxonomySchema,
    WatchlistInfoSchema,
)
from esgscreen.core import bounds
from esgscreen.core.changes import fold_version_changes
from esgscreen.core.risk import SEVERITY_ORDER, exposure_rules, rating_rules, weak_source_rule
from esgscreen.extensions import services
from esgscreen.service.monitoring import outcome_page
from esgscreen.service.policies import DEFAULT_POLICY, policy_view
from esgscreen.service.screening import Snapshot
from esgscreen.store import repository

blp = Blueprint("watchlist", __name__, url_prefix="/api/v1", description="The watchlist")


def current_snapshot() -> Snapshot:
    return snapshot_as_of(None)


@blp.route("/watchlist")
class WatchlistInfo(MethodView):
    @blp.response(200, WatchlistInfoSchema)
    @blp.alt_response(503, schema=ProblemSchema)
    def get(self) -> dict:
        """The current watchlist version and its size."""
        snapshot = current_snapshot()
        return {
            "version": snapshot.version,
            "entities": len(snapshot.watchlist.entities),
            "flags": snapshot.watchlist.flag_count,
            "updated_at": snapshot.watchlist.created_at,
        }


@blp.route("/taxonomy")
class Taxonomy(MethodView):
    @blp.response(200, TaxonomySchema)
    @blp.alt_response(503, schema=ProblemSchema)
    def get(self) -> dict:
        """The flag codes, their definitions and standards, and the rating rules."""
        snapshot = current_snapshot()
        return {
            "flags": [
                {
                    "code": c.code,
                    "title": c.title,
                    "definition": c.definition,
                    "default_severity": c.default_severity,
                    "standards": list(c.standards),
                    "derived": c.derived,
                }
                for c in snapshot.watchlist.taxonomy.values()
            ],
            "rating_rules": rating_rules(),
        }


class VersionSchema(Schema):
    version = fields.Integer()
    created_at = fields.String()
    summary = fields.String()
    author = fields.String()
    changes = fields.Dict()


class ChangesArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    since = fields.Integer(required=True, validate=validate.Range(min=0, max=bounds.MAX_ID),
                           metadata={"description": "The last version the client has seen."})
    after = fields.Integer(validate=validate.Range(min=0, max=bounds.MAX_ID), metadata={
        "description": "Continue the outcome changes after this id (the previous `next_after`)."})
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000), metadata={
        "description": "Most outcome changes in one answer."})


class OutcomeChangeSchema(Schema):
    id = fields.Integer(metadata={"description": "Stable: page with `after`"})
    version = fields.Integer()
    entity_id = fields.String()
    name = fields.String()
    change = fields.String(validate=validate.OneOf(("added", "removed", "changed")))
    kind = fields.String(validate=validate.OneOf(("direct", "derived")), metadata={
        "description": "direct: the entity's own record changed; derived: it moved through "
        "ownership, a SPAC merger or a brand"})
    rating_before = fields.String(allow_none=True)
    rating_after = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True, metadata={"description": "{rating, flags, exposure}"})
    after = fields.Dict(allow_none=True)
    via = fields.String(allow_none=True, metadata={
        "description": "For a derived change: the entity whose change reached this one"})
    path = fields.List(fields.Dict(), metadata={
        "description": "For a derived change: the steps from this entity to `via`"})
    reason = fields.String()


class ChangesSchema(Schema):
    since = fields.Integer()
    watchlist_version = fields.Integer()
    versions = fields.List(fields.Nested(VersionSchema))
    entities = fields.Dict(metadata={"description": "ids added, changed and removed since"})
    outcomes = fields.List(fields.Nested(OutcomeChangeSchema), metadata={
        "description": "Per version, every entity whose computed outcome (rating, flags, "
        "derived exposure) changed, direct or derived; oldest first"})
    next_after = fields.Integer(allow_none=True, metadata={
        "description": "More outcome changes follow: pass this as `after`"})


def _version_view(info: repository.VersionInfo) -> dict:
    return {
        "version": info.version,
        "created_at": info.created_at.isoformat(),
        "summary": info.summary,
        "author": info.author,
        "changes": info.changes,
    }


@blp.route("/watchlist/versions")
class Versions(MethodView):
    @blp.response(200, VersionSchema(many=True))
    @blp.paginate(Page, page_size=50, max_page_size=500)
    def get(self) -> list[dict]:
        """Every published watchlist version, newest first."""
        current_snapshot()
        with services().store.read() as session:
            return [_version_view(v) for v in repository.list_versions(session, limit=100_000)]


@blp.route("/changes")
class Changes(MethodView):
    @blp.arguments(ChangesArgs(), location="query")
    @blp.response(200, ChangesSchema)
    @blp.alt_response(422, schema=ProblemSchema)
    def get(self, args: dict) -> dict:
        """What changed after version `since`: the versions, the entities they touched, and
        every entity whose computed outcome changed (directly or through ownership)."""
        snapshot = current_snapshot()
        with services().store.read() as session:
            versions = [
                v for v in repository.list_versions(session, limit=100_000)
                if v.version > args["since"]
            ]
        outcomes, next_after = outcome_page(services().monitor, args["since"],
                                            args.get("after"), args["limit"])
        return {
            "since": args["since"],
            "watchlist_version": snapshot.version,
            "versions": [_version_view(v) for v in versions],
            "entities": fold_version_changes(
                v.changes for v in sorted(versions, key=lambda v: v.version)),
            "outcomes": outcomes,
            "next_after": next_after,
        }


class PolicySchema(Schema):
    id = fields.String()
    title = fields.String()
    description = fields.String()
    rating_actions = fields.Dict()
    possible_match = fields.String()
    code_rules = fields.List(fields.Dict())
    exposure_rules = fields.List(fields.Dict())


class PoliciesSchema(Schema):
    default = fields.String()
    policies = fields.List(fields.Nested(PolicySchema))


@blp.route("/policies")
class Policies(MethodView):
    @blp.response(200, PoliciesSchema)
    def get(self) -> dict:
        """The policies a request can name with `policy=`."""
        current_snapshot()
        return {
            "default": DEFAULT_POLICY,
            "policies": [policy_view(p) for p in services().policies.values()],
        }


class MethodologySchema(Schema):
    rating_rules = fields.List(fields.Nested(RatingRuleSchema))
    severities = fields.List(fields.String())
    ownership_exposure = fields.Dict()
    weak_sources = fields.Dict(metadata={
        "description": "The evidence grades, and how flags resting only on low-authority "
        "sources count"})
    review_due = fields.Dict(metadata={
        "description": "When an ongoing flag is due a curator's review"})


@blp.route("/methodology")
class Methodology(MethodView):
    @blp.response(200, MethodologySchema)
    def get(self) -> dict:
        """How ratings and ownership exposure are derived from flags, how evidence grades count
        and when a flag is due a review."""
        snapshot = current_snapshot()
        return {
            "rating_rules": rating_rules(),
            "severities": list(SEVERITY_ORDER),
            "ownership_exposure": exposure_rules(),
            "weak_sources": weak_source_rule(),
            "review_due": {
                "years": snapshot.review_years,
                "rule": f"an ongoing flag whose newest evidence is older than "
                f"{snapshot.review_years} years (ESGSCREEN_REVIEW_DUE_YEARS) is review due: a "
                "curator adds fresh evidence or concludes it through a proposal",
                "partial_dates": "a date given as a year or a month stands for its last day",
                "undated": "undated evidence does not count; an ongoing flag with no dated "
                "evidence is review due",
                "derived_flags": "never review due: they follow the owned entity's own flags",
                "queue": "GET /api/v1/flags?review_due=true",
            },
        }
