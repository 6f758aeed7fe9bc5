"""The lookup pages: one search box, an entity's whole record, and a printable screening record.

Each view parses its parameters, calls the same functions as the API (``screening``,
``browse``, the snapshot cache and the policies), and renders. Bad input becomes a message on
the page, never an error page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from esgscreen.core import bounds
from esgscreen.core.errors import InvalidIdentifier, InvalidQuery
from esgscreen.core.policy import Policy
from esgscreen.extensions import services
from esgscreen.service.browse import (
    EntityFilter,
    entity_history,
    entity_item,
    entity_record,
    search,
)
from esgscreen.service.policies import UnknownPolicy
from esgscreen.service.screening import Snapshot, screen
from esgscreen.service.snapshots import AsOfError, NoWatchlistYet
from esgscreen.web import errors, present
from esgscreen.web.auth import current_user, login_required
from esgscreen.web.diagram import ownership_svg

bp = Blueprint("lookup", __name__)

# The same limits as the API's q (screening) and entity search (suggestions).
MAX_QUERY = bounds.QUERY_TEXT
MAX_SUGGEST = bounds.SEARCH_TEXT
SUGGESTIONS = 8


class PageError(Exception):
    """Input the page cannot answer; the message is shown on the page."""


@dataclass(frozen=True, slots=True)
class Context:
    snapshot: Snapshot
    policy: Policy


def resolve(as_of: str | None, policy_id: str | None = None) -> Context:
    """The snapshot and policy a page answers from, or a PageError saying what is wrong."""
    try:
        return Context(services().snapshots.require(as_of), services().policy(policy_id))
    except (AsOfError, UnknownPolicy) as error:
        raise PageError(str(error)) from None
    except NoWatchlistYet:
        raise PageError("No watchlist version has been loaded yet, so nothing can be screened. "
                        "An administrator loads one with 'esgscreen watchlist load'.") from None


def _args() -> tuple[str, str | None, str | None]:
    q = " ".join(request.args.get("q", "").split())
    policy_id = request.args.get("policy", "").strip() or None
    as_of = request.args.get("as_of", "").strip() or None
    return q, policy_id, as_of


def _screen(q: str, policy_id: str | None, as_of: str | None) -> tuple[Context, dict[str, Any]]:
    if len(q) > MAX_QUERY:
        raise PageError(f"The query is longer than {MAX_QUERY} characters; shorten it.")
    context = resolve(as_of, policy_id)
    try:
        result = screen(context.snapshot, {"q": q}, context.policy)
    except InvalidIdentifier as error:
        kind = "identifier" if error.field == "q" else error.field.upper()
        raise PageError(f"{error.value!r} is not a valid {kind}: {error.message}.") from None
    except InvalidQuery as error:
        raise PageError(error.message) from None
    return context, result


def _policies() -> list[Policy]:
    return list(services().policies.values())


def _flag_titles(snapshot: Snapshot) -> dict[str, str]:
    return {code: flag.title for code, flag in snapshot.watchlist.taxonomy.items()}


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    q, policy_id, as_of = _args()
    page: dict[str, Any] = {
        "q": q, "as_of": as_of, "policies": _policies(),
        "policy_id": policy_id or "default", "result": None, "error": None, "context": None,
    }
    if q:
        try:
            context, result = _screen(q, policy_id, as_of)
        except PageError as error:
            page["error"] = str(error)
        else:
            page.update(result=result, context=context, titles=_flag_titles(context.snapshot))
    else:
        try:
            page["context"] = resolve(as_of, policy_id)
        except PageError as error:
            page["error"] = str(error)
    status = 200 if page["error"] is None or not q else 422
    return render_template("lookup/index.html", **page), status


@bp.get("/suggest")
@login_required
def suggest() -> Response:
    """Autocomplete for the search box: the entities endpoint's search, for signed-in pages."""
    q = request.args.get("q", "").strip()[:MAX_SUGGEST]
    snapshot = services().snapshots.current()
    if len(q) < 2 or snapshot is None:
        return jsonify([])
    found = search(snapshot, EntityFilter(text=q))[:SUGGESTIONS]
    response = jsonify([entity_item(snapshot, e) for e in found])
    response.headers["Cache-Control"] = "private, max-age=30"
    return response


@bp.get("/entities/<string:entity_id>")
@login_required
def entity(entity_id: str) -> ResponseReturnValue:
    as_of = request.args.get("as_of", "").strip() or None
    try:
        context = resolve(as_of)
    except PageError as error:
        return render_template("errors/error.html", code=422, title="Cannot show this entity",
                               message=str(error)), 422
    snapshot = context.snapshot
    found = snapshot.watchlist.entities.get(entity_id)
    if found is None:
        abort(404, description=f"There is no entity {entity_id!r} in watchlist version "
                               f"{snapshot.version}.")
    versions = entity_history(services().store, entity_id, snapshot.version)
    record = entity_record(snapshot, found, [v.version for v in versions])
    titles = _flag_titles(snapshot)
    version_rows = [
        {"version": v.version, "date": v.created_at.date().isoformat(), "summary": v.summary,
         "changes": v.changes}
        for v in versions
    ]
    link_args = {"as_of": as_of} if as_of else {}
    svg = ownership_svg(record, href=lambda eid: url_for("lookup.entity", entity_id=eid,
                                                         **link_args))
    return render_template(
        "lookup/entity.html",
        record=record,
        entity=record["entity"],
        as_of=as_of,
        flag_groups=present.group_flags(record["flags"]),
        titles=titles,
        diagram=Markup(svg),  # noqa: S704 - every text in it is escaped by ownership_svg
        events=present.timeline(record, version_rows, titles),
        versions=version_rows,
        created_at=snapshot.watchlist.created_at,
    )


@bp.get("/record")
@login_required
def record() -> ResponseReturnValue:
    """A printable record of one check, with a link that reproduces it from the same version."""
    q, policy_id, as_of = _args()
    if not q:
        return render_template("errors/error.html", code=422, title="Nothing to record",
                               message="A screening record needs a query: search for a company "
                                       "first, then open its record."), 422
    try:
        context, result = _screen(q, policy_id, as_of)
    except PageError as error:
        return render_template("errors/error.html", code=422, title="Cannot make this record",
                               message=str(error)), 422
    user = current_user()
    reproduce = url_for("lookup.record", q=q, policy=context.policy.id,
                        as_of=context.snapshot.version, _external=True)
    lookup = url_for("lookup.index", q=q, policy=context.policy.id,
                     as_of=context.snapshot.version)
    return render_template(
        "lookup/record.html",
        q=q,
        result=result,
        context=context,
        titles=_flag_titles(context.snapshot),
        checked_at=datetime.now(UTC),
        checked_by=user.username if user else None,
        reproduce=reproduce,
        lookup=lookup,
        created_at=context.snapshot.watchlist.created_at,
    )


errors.attach(bp)
