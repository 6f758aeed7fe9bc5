"""Curation pages: propose a new entity, add evidence to a flag, close a flag, and the review
queue with each proposal's diff and its approve and reject buttons.

Every page needs a signed-in user with the right role; every form carries a CSRF token (see
``web.init_app``). The views call the same ``curation`` functions as the API: a change made
here is checked, reviewed, published and audited exactly like one sent to the API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from esgscreen.core import bounds
from esgscreen.core.model import (
    ENTITY_KINDS,
    FLAG_STATUSES,
    IDENTIFIER_TYPES,
    SEVERITIES,
    Entity,
    Watchlist,
)
from esgscreen.core.roles import role_allows
from esgscreen.extensions import services
from esgscreen.service import curation
from esgscreen.store import proposals, repository
from esgscreen.store.audit import Actor
from esgscreen.web.auth import current_user, login_required

bp = Blueprint("curation", __name__, url_prefix="/curation")

# Ids beyond the INTEGER column's range name no proposal: 404, never a database error.
PROPOSAL_ID = f"int(min=1, max={bounds.MAX_ID})"


def _actor() -> Actor:
    user = current_user()
    assert user is not None  # login_required ran first
    return Actor("user", user.username, user.id, request.remote_addr)


def _watchlist() -> Watchlist:
    with services().store.read() as session:
        watchlist = repository.load_watchlist(session)
    if watchlist is None:
        abort(503, description="No watchlist version has been published yet.")
    return watchlist


def _entity(watchlist: Watchlist, entity_id: str) -> Entity:
    entity = watchlist.entities.get(entity_id)
    if entity is None:
        abort(404, description=f"There is no entity {entity_id!r} on the watchlist.")
    return entity


def _field(name: str) -> str:
    return request.form.get(name, "").strip()


def _submit(summary: str, changes: list[dict[str, Any]]) -> int | None:
    """Submit a proposal; flash what is wrong and return None when it is refused."""
    try:
        found = curation.submit(services().store, summary, changes, _actor())
    except curation.CurationError as error:
        flash(error.message, "error")
        for key, messages in error.errors.items():
            for message in messages:
                flash(f"{key}: {message}", "error")
        return None
    flash(f"Proposal {found.id} is waiting for a second person's review.", "info")
    return found.id


def _evidence_from_form() -> dict[str, str]:
    evidence = {"url": _field("evidence_url"), "publisher": _field("evidence_publisher")}
    for key in ("authority", "date", "title"):
        if _field(f"evidence_{key}"):
            evidence[key] = _field(f"evidence_{key}")
    return evidence


def _flag_choices(entity: Entity) -> list[tuple[str, str]]:
    """(value, label) for each of an entity's flags; the value names it by code and since."""
    return [
        (f"{flag.code}|{flag.since or ''}",
         f"{flag.code} since {flag.since or 'unknown'} ({flag.severity}, {flag.status})")
        for flag in entity.flags
    ]


def _chosen_flag() -> tuple[str, str | None]:
    code, _, since = request.form.get("flag", "").partition("|")
    return code, since or None


# the queue and one proposal -------------------------------------------------------


@bp.get("/")
@login_required(role="curator")
def queue() -> ResponseReturnValue:
    status = request.args.get("status", "pending")
    if status not in (*proposals.STATUSES, "all"):
        status = "pending"
    with services().store.read() as session:
        found = proposals.list_proposals(session, None if status == "all" else status)
    return render_template("curation/queue.html", proposals=found, status=status,
                           statuses=("pending", "approved", "rejected", "withdrawn", "all"))


@bp.get(f"/proposals/<{PROPOSAL_ID}:proposal_id>")
@login_required(role="curator")
def proposal(proposal_id: int) -> ResponseReturnValue:
    try:
        found, diff = curation.get(services().store, proposal_id)
    except curation.NotFound:
        abort(404, description=f"There is no proposal {proposal_id}.")
    user = current_user()
    own = found.author_identity == proposals.identity(_actor())
    return render_template(
        "curation/proposal.html", proposal=found, diff=diff, own=own,
        may_review=user is not None and role_allows(user.role, "reviewer") and not own,
    )


def _decide(proposal_id: int, decide: Any, done: str) -> ResponseReturnValue:
    try:
        found = decide()
    except curation.CurationError as error:
        flash(error.message, "error")
        return redirect(url_for("curation.proposal", proposal_id=proposal_id)), 303
    services().snapshots.invalidate()
    flash(done.format(id=found.id, version=found.result_version), "info")
    return redirect(url_for("curation.proposal", proposal_id=proposal_id)), 303


@bp.post(f"/proposals/<{PROPOSAL_ID}:proposal_id>/approve")
@login_required(role="reviewer")
def approve(proposal_id: int) -> ResponseReturnValue:
    return _decide(proposal_id,
                   lambda: curation.approve(services().store, proposal_id, _actor()),
                   "Proposal {id} is approved and published as watchlist version {version}.")


@bp.post(f"/proposals/<{PROPOSAL_ID}:proposal_id>/reject")
@login_required(role="reviewer")
def reject(proposal_id: int) -> ResponseReturnValue:
    reason = _field("reason")
    return _decide(proposal_id,
                   lambda: curation.reject(services().store, proposal_id, reason, _actor()),
                   "Proposal {id} is rejected; the curator sees your reason.")


@bp.post(f"/proposals/<{PROPOSAL_ID}:proposal_id>/withdraw")
@login_required(role="curator")
def withdraw(proposal_id: int) -> ResponseReturnValue:
    return _decide(proposal_id,
                   lambda: curation.withdraw(services().store, proposal_id, _actor()),
                   "Proposal {id} is withdrawn.")


# proposing ------------------------------------------------------------------------


def _lines(name: str) -> list[str]:
    return [line.strip() for line in request.form.get(name, "")[:20_000].splitlines()
            if line.strip()]


def _new_entity_change() -> dict[str, Any]:
    entity: dict[str, Any] = {
        "id": _field("id"),
        "name": _field("name"),
        "kind": _field("kind"),
        "status": "active",
    }
    if _field("country"):
        entity["country"] = _field("country").upper()
    if _field("description"):
        entity["description"] = _field("description")
    aliases = _lines("aliases")
    if aliases:
        entity["aliases"] = [{"name": alias} for alias in aliases]
    identifiers = []
    for line in _lines("identifiers"):
        parts = line.split()
        identifier = {"type": parts[0].lower(), "value": parts[1] if len(parts) > 1 else "",
                      "confidence": _field("identifier_confidence") or "medium"}
        if len(parts) > 2:
            identifier["exchange"] = parts[2].upper()
        if _field("identifier_source"):
            identifier["source"] = _field("identifier_source")
        identifiers.append(identifier)
    if identifiers:
        entity["identifiers"] = identifiers
    if _field("flag_code"):
        flag = {"code": _field("flag_code"), "severity": _field("flag_severity"),
                "status": _field("flag_status"), "summary": _field("flag_summary"),
                "evidence": [_evidence_from_form()]}
        if _field("flag_since"):
            flag["since"] = _field("flag_since")
        entity["flags"] = [flag]
    return {"op": "upsert_entity", "entity": entity}


@bp.route("/propose/entity", methods=["GET", "POST"])
@login_required(role="curator")
def propose_entity() -> ResponseReturnValue:
    watchlist = _watchlist()
    if request.method == "POST":
        change = _new_entity_change()
        entity_id = change["entity"]["id"]
        if entity_id in watchlist.entities:
            flash(f"There is already an entity {entity_id!r}; choose another id.", "error")
        else:
            created = _submit(_field("summary") or f"Add {change['entity']['name']}", [change])
            if created is not None:
                return redirect(url_for("curation.proposal", proposal_id=created)), 303
    return render_template(
        "curation/propose_entity.html", form=request.form,
        kinds=_pairs(ENTITY_KINDS), identifier_types=IDENTIFIER_TYPES,
        severities=_pairs(SEVERITIES), statuses=_pairs(FLAG_STATUSES),
        codes=[(c.code, c.title) for c in watchlist.taxonomy.values() if not c.derived],
    ), 200 if request.method == "GET" else 422


def _pairs(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(value, value) for value in values]


@bp.route("/entities/<entity_id>/evidence", methods=["GET", "POST"])
@login_required(role="curator")
def add_evidence(entity_id: str) -> ResponseReturnValue:
    entity = _entity(_watchlist(), entity_id)
    if request.method == "POST":
        code, since = _chosen_flag()
        created = _submit(
            _field("summary") or f"New evidence for {entity.name}'s {code} flag",
            [{"op": "add_evidence", "entity_id": entity.id, "code": code, "since": since,
              "evidence": _evidence_from_form()}],
        )
        if created is not None:
            return redirect(url_for("curation.proposal", proposal_id=created)), 303
    return render_template("curation/add_evidence.html", entity=entity, form=request.form,
                           flags=_flag_choices(entity)), 200 if request.method == "GET" else 422


@bp.get("/review-due")
@login_required(role="curator")
def review_due() -> ResponseReturnValue:
    """Ongoing flags whose newest evidence is old (or undated): refresh or conclude each."""
    snapshot = services().snapshots.current()
    if snapshot is None:
        abort(503, description="No watchlist version has been published yet.")
    return render_template("curation/review_due.html", due=snapshot.review_due,
                           years=snapshot.review_years, version=snapshot.version,
                           titles={c.code: c.title for c in snapshot.watchlist.taxonomy.values()})


@bp.route("/entities/<entity_id>/close", methods=["GET", "POST"])
@login_required(role="curator")
def close_flag(entity_id: str) -> ResponseReturnValue:
    entity = _entity(_watchlist(), entity_id)
    open_flags = [(value, label) for value, label in _flag_choices(entity)
                  if label.endswith("ongoing)")]
    if request.method == "POST":
        code, since = _chosen_flag()
        reason = _field("summary")
        if not reason:
            flash("Say why the flag is concluded (e.g. the listing was lifted, with a source).",
                  "error")
        else:
            created = _submit(reason, [{"op": "close_flag", "entity_id": entity.id,
                                        "code": code, "since": since}])
            if created is not None:
                return redirect(url_for("curation.proposal", proposal_id=created)), 303
    return render_template("curation/close_flag.html", entity=entity, form=request.form,
                           flags=open_flags), 200 if request.method == "GET" else 422
