"""Curation pages: propose a new entity, add evidence to a flag, close a flag, and the review
queue with each proposal's diff and its approve and reject buttons.

Every page needs a signed-in user with the right role; every form carries a CSRF token (see
``web.init_app``). The views call the same ``curation`` functions as the API: a change made
here is checked, reviewed, published and audited exactly like one sent to the API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from esgscreen.core import bounds
from esgscreen.core.model import (
    CONFIDENCES,
    ENTITY_KINDS,
    FLAG_STATUSES,
    IDENTIFIER_TYPES,
    SEVERITIES,
    Entity,
    Flag,
    Watchlist,
)
from esgscreen.core.roles import role_allows
from esgscreen.extensions import services
from esgscreen.service import curation
from esgscreen.store import proposals, repository
from esgscreen.store.audit import Actor
from esgscreen.watchlist.schema import entity_to_dict
from esgscreen.web import present
from esgscreen.web.auth import current_user, login_required
from esgscreen.web.forms import FormErrors, Route, place

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


def _submit(summary: str, changes: list[dict[str, Any]],
            routes: Sequence[Route]) -> int | FormErrors:
    """Submit a proposal: its id, or every problem placed beside the field it is about."""
    try:
        found = curation.submit(services().store, summary, changes, _actor())
    except curation.CurationError as error:
        problems = error.problems or [
            curation.FieldProblem(None, key, message)
            for key, messages in error.errors.items() for message in messages
        ] or [curation.FieldProblem(None, "", error.message)]
        return place(problems, [*routes, *COMMON_ROUTES])
    flash(f"Proposal {found.id} is waiting for a second person's review.", "info")
    return found.id


def _evidence_from_form(required: bool = True) -> dict[str, str] | None:
    """The evidence fields as an evidence item; None when they are all empty and optional."""
    evidence = {"url": _field("evidence_url"), "publisher": _field("evidence_publisher")}
    for key in ("authority", "date", "title"):
        if _field(f"evidence_{key}"):
            evidence[key] = _field(f"evidence_{key}")
    if not required and not any(evidence.values()):
        return None
    return evidence


def _evidence_routes(prefix: str) -> list[Route]:
    return [
        Route(rf"{prefix}\.url", "evidence_url", "The address (URL)"),
        Route(rf"{prefix}\.publisher", "evidence_publisher", "The publisher"),
        Route(rf"{prefix}\.authority", "evidence_authority", "The authority of the source"),
        Route(rf"{prefix}\.date", "evidence_date", "The publication date"),
        Route(rf"{prefix}\.title", "evidence_title", "The title"),
        Route(prefix, "evidence_url", "Evidence"),
    ]


COMMON_ROUTES = [Route("summary", "summary", "A summary", change=None)]


def _flag_label(flag: Flag, titles: dict[str, str]) -> str:
    title = titles.get(flag.code, flag.code.replace("_", " "))
    return (f"{title}: since {flag.since or 'an unknown date'} "
            f"({present.SEVERITY_WORDS.get(flag.severity, flag.severity).lower()} severity, "
            f"{flag.status})")


def _flag_choices(entity: Entity, titles: dict[str, str],
                  ongoing_only: bool = False) -> list[tuple[str, str]]:
    """(value, label) for each of an entity's flags; the value names it by code and since, the
    label by its title in words."""
    return [
        (f"{flag.code}|{flag.since or ''}", _flag_label(flag, titles))
        for flag in entity.flags
        if not ongoing_only or flag.status == "ongoing"
    ]


def _titles(watchlist: Watchlist) -> dict[str, str]:
    return {code: flag.title for code, flag in watchlist.taxonomy.items()}


def _chosen_flag() -> tuple[str, str | None]:
    code, _, since = request.form.get("flag", request.args.get("flag", "")).partition("|")
    return code, since or None


def _form_page(template: str, errors: FormErrors | None, order: Sequence[str],
               prefill: dict[str, str] | None = None, **context: Any) -> ResponseReturnValue:
    """A form, with its errors beside their fields and focus on the first (422), or fresh
    (with ``prefill``) when nothing was sent."""
    errors = errors or FormErrors()
    status = 422 if errors else 200
    form = request.form if request.method == "POST" else (prefill or {})
    return render_template(template, form=form, errors=errors,
                           first_error=errors.first(order), **context), status


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
    effects = None
    if found.status == "pending" and not isinstance(diff, str):
        try:
            effects = curation.consequences(services().monitor, proposal_id)
        except curation.CurationError:
            effects = None  # the diff above already says why it no longer applies
    return render_template(
        "curation/proposal.html", proposal=found, diff=diff, own=own, effects=effects,
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


ENTITY_ROUTES = [
    Route(r"entity\.id", "id", "The id"),
    Route(r"entity\.name", "name", "The full name"),
    Route(r"entity\.kind", "kind", "The kind"),
    Route(r"entity\.country", "country", "The country"),
    Route(r"entity\.description", "description", "The description"),
    Route(r"entity\.aliases(?:\.(?P<line>\d+))?", "aliases", "The name"),
    Route(r"entity\.identifiers\.\d+\.source", "identifier_source", "The address"),
    Route(r"entity\.identifiers\.\d+\.confidence", "identifier_confidence", "The confidence"),
    Route(r"entity\.identifiers(?:\.(?P<line>\d+))?", "identifiers", "The identifier"),
    Route(r"entity\.flags\.0\.code", "flag_code", "The flag"),
    Route(r"entity\.flags\.0\.severity", "flag_severity", "The severity"),
    Route(r"entity\.flags\.0\.status", "flag_status", "The status"),
    Route(r"entity\.flags\.0\.since", "flag_since", "The date"),
    Route(r"entity\.flags\.0\.summary", "flag_summary", "The flag's summary"),
    *_evidence_routes(r"entity\.flags\.0\.evidence(?:\.0)?"),
    Route(r"entity\.flags", "flag_code", "The flag"),
    Route(r"entity", "id", "The entity"),
    Route(r"", "id", "The entity"),
]
ENTITY_ORDER = ("summary", "id", "name", "kind", "country", "description", "aliases",
                "identifiers", "identifier_confidence", "identifier_source", "flag_code",
                "flag_severity", "flag_status", "flag_since", "flag_summary", "evidence_url",
                "evidence_publisher", "evidence_authority", "evidence_date", "evidence_title")


@bp.route("/propose/entity", methods=["GET", "POST"])
@login_required(role="curator")
def propose_entity() -> ResponseReturnValue:
    watchlist = _watchlist()
    errors = None
    if request.method == "POST":
        change = _new_entity_change()
        entity_id = change["entity"]["id"]
        if entity_id in watchlist.entities:
            errors = FormErrors()
            errors.add("id", f"There is already an entity {entity_id!r} "
                             f"({watchlist.entities[entity_id].name}); choose another id.")
        else:
            created = _submit(_field("summary") or f"Add {change['entity']['name']}", [change],
                              ENTITY_ROUTES)
            if not isinstance(created, FormErrors):
                return redirect(url_for("curation.proposal", proposal_id=created)), 303
            errors = created
    return _form_page(
        "curation/propose_entity.html", errors, ENTITY_ORDER,
        kinds=_pairs(ENTITY_KINDS), identifier_types=IDENTIFIER_TYPES,
        severities=_words(SEVERITIES, present.SEVERITY_WORDS),
        statuses=_words(FLAG_STATUSES, {s: s.capitalize() for s in FLAG_STATUSES}),
        codes=[(c.code, c.title) for c in watchlist.taxonomy.values() if not c.derived],
    )


def _pairs(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(value, value.replace("_", " ").capitalize()) for value in values]


def _words(values: tuple[str, ...], words: dict[str, str]) -> list[tuple[str, str]]:
    return [(value, words.get(value, value)) for value in values]


FLAG_REF_ROUTES = [Route(r"(?:code|since)?", "flag", "The flag")]
EVIDENCE_ROUTES = [*_evidence_routes(r"evidence"), *FLAG_REF_ROUTES]
EVIDENCE_ORDER = ("flag", "evidence_url", "evidence_publisher", "evidence_authority",
                  "evidence_date", "evidence_title", "summary")


@bp.route("/entities/<entity_id>/evidence", methods=["GET", "POST"])
@login_required(role="curator")
def add_evidence(entity_id: str) -> ResponseReturnValue:
    watchlist = _watchlist()
    entity = _entity(watchlist, entity_id)
    titles = _titles(watchlist)
    errors = None
    if request.method == "POST":
        code, since = _chosen_flag()
        created = _submit(
            _field("summary") or f"New evidence for {entity.name}: "
                                 f"{titles.get(code, code.replace('_', ' '))}",
            [{"op": "add_evidence", "entity_id": entity.id, "code": code, "since": since,
              "evidence": _evidence_from_form()}],
            EVIDENCE_ROUTES,
        )
        if not isinstance(created, FormErrors):
            return redirect(url_for("curation.proposal", proposal_id=created)), 303
        errors = created
    return _form_page("curation/add_evidence.html", errors, EVIDENCE_ORDER, entity=entity,
                      flags=_flag_choices(entity, titles))


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
    watchlist = _watchlist()
    entity = _entity(watchlist, entity_id)
    errors = None
    if request.method == "POST":
        code, since = _chosen_flag()
        reason = _field("summary")
        if not reason:
            errors = FormErrors()
            errors.add("summary", "Say why the flag is concluded (e.g. the listing was lifted, "
                                  "with a source).")
        else:
            created = _submit(reason, [{"op": "close_flag", "entity_id": entity.id,
                                        "code": code, "since": since}], FLAG_REF_ROUTES)
            if not isinstance(created, FormErrors):
                return redirect(url_for("curation.proposal", proposal_id=created)), 303
            errors = created
    return _form_page("curation/close_flag.html", errors, ("flag", "summary"), entity=entity,
                      flags=_flag_choices(entity, _titles(watchlist), ongoing_only=True))


UPDATE_FLAG_ROUTES = [
    Route(r"flag\.severity", "severity", "The severity"),
    Route(r"flag\.status", "status", "The status"),
    Route(r"flag\.since", "since", "The date"),
    Route(r"flag\.summary", "flag_summary", "The flag's summary"),
    Route(r"flags\.\d+\.severity", "severity", "The severity"),
    Route(r"flags\.\d+\.status", "status", "The status"),
    Route(r"flags\.\d+\.since", "since", "The date"),
    Route(r"flags\.\d+\.summary", "flag_summary", "The flag's summary"),
    Route(r"flags?(?:\.\d+)?", "flag", "The flag"),
    *FLAG_REF_ROUTES,
]


@bp.route("/entities/<entity_id>/flag", methods=["GET", "POST"])
@login_required(role="curator")
def update_flag(entity_id: str) -> ResponseReturnValue:
    """Change a flag's severity, status, date or summary; its evidence stays as it is."""
    watchlist = _watchlist()
    entity = _entity(watchlist, entity_id)
    titles = _titles(watchlist)
    code, since = _chosen_flag()
    current = next((f for f in entity.flags if f.code == code and f.since == since), None)
    if current is None:
        current = entity.flags[0] if entity.flags else None
    errors = None
    if request.method == "POST" and current is not None:
        flag = next(f for f in entity_to_dict(entity)["flags"]
                    if f["code"] == current.code and f.get("since") == current.since)
        flag = {**flag, "severity": _field("severity"), "status": _field("status"),
                "summary": _field("flag_summary")}
        flag.pop("since", None)
        if _field("since"):
            flag["since"] = _field("since")
        created = _submit(
            _field("summary") or f"Update {entity.name}: {titles.get(current.code, current.code)}",
            [{"op": "update_flag", "entity_id": entity.id, "code": current.code,
              "since": current.since, "flag": flag}],
            UPDATE_FLAG_ROUTES,
        )
        if not isinstance(created, FormErrors):
            return redirect(url_for("curation.proposal", proposal_id=created)), 303
        errors = created
    prefill = {}
    if current is not None:
        prefill = {"flag": f"{current.code}|{current.since or ''}",
                   "severity": current.severity, "status": current.status,
                   "since": current.since or "", "flag_summary": current.summary}
    return _form_page("curation/update_flag.html", errors,
                      ("flag", "severity", "status", "since", "flag_summary", "summary"),
                      prefill=prefill, entity=entity, flags=_flag_choices(entity, titles),
                      current=current, severities=_words(SEVERITIES, present.SEVERITY_WORDS),
                      statuses=_words(FLAG_STATUSES,
                                      {s: s.capitalize() for s in FLAG_STATUSES}))


IDENTIFIER_ROUTES = [
    Route(r"identifier\.type", "type", "The type"),
    Route(r"identifier\.value", "value", "The value"),
    Route(r"identifier\.exchange", "exchange", "The exchange"),
    Route(r"identifier\.confidence", "confidence", "The confidence"),
    Route(r"identifier\.source", "source", "The address"),
    Route(r"identifier\.note", "note", "The note"),
    Route(r"identifiers\.\d+\.exchange", "exchange", "The exchange"),
    Route(r"identifiers(?:\.\d+)?", "value", "The identifier"),
    Route(r"identifier|", "value", "The identifier"),
]
IDENTIFIER_ORDER = ("type", "value", "exchange", "confidence", "source", "note", "summary")


@bp.route("/entities/<entity_id>/identifier", methods=["GET", "POST"])
@login_required(role="curator")
def add_identifier(entity_id: str) -> ResponseReturnValue:
    entity = _entity(_watchlist(), entity_id)
    errors = None
    if request.method == "POST":
        identifier = {"type": _field("type").lower(), "value": _field("value"),
                      "confidence": _field("confidence") or "medium"}
        for key in ("exchange", "source", "note"):
            if _field(key):
                identifier[key] = _field(key).upper() if key == "exchange" else _field(key)
        created = _submit(
            _field("summary") or f"Add {identifier['type'].upper()} {identifier['value']} "
                                 f"to {entity.name}",
            [{"op": "add_identifier", "entity_id": entity.id, "identifier": identifier}],
            IDENTIFIER_ROUTES,
        )
        if not isinstance(created, FormErrors):
            return redirect(url_for("curation.proposal", proposal_id=created)), 303
        errors = created
    return _form_page("curation/add_identifier.html", errors, IDENTIFIER_ORDER, entity=entity,
                      types=[(t, IDENTIFIER_WORDS.get(t, t)) for t in IDENTIFIER_TYPES],
                      confidences=_words(CONFIDENCES, {c: c.capitalize() for c in CONFIDENCES}))


IDENTIFIER_WORDS = {
    "isin": "ISIN", "lei": "LEI", "cik": "CIK (SEC)", "cusip": "CUSIP", "figi": "FIGI",
    "ticker": "Ticker (with its exchange)", "domain": "Web domain",
}
RELATION_WORDS = {
    "owned_by": "is owned (in whole or part) by",
    "subsidiary_of": "is a subsidiary of",
    "formerly_known_as": "was formerly",
    "merged_into": "merged into",
    "brand_of": "is a brand of",
}
RELATION_ROUTES = [
    Route(r"relation\.type", "type", "The relation"),
    Route(r"relation\.target", "target", "The other party"),
    Route(r"relation\.share", "share", "The stake"),
    Route(r"relation\.share_text", "share_text", "The stake in words"),
    Route(r"relation\.since", "since", "The start date"),
    Route(r"relation\.until", "until", "The end date"),
    Route(r"relation\.note", "note", "The note"),
    *_evidence_routes(r"relation\.evidence(?:\.0)?"),
    Route(r"relations\.\d+\.target", "target", "The other party"),
    Route(r"relations\.\d+\.share", "share", "The stake"),
    Route(r"relations(?:\.\d+)?", "target", "The relation"),
    Route(r"relation|", "target", "The relation"),
]
RELATION_ORDER = ("type", "target", "share", "share_text", "since", "until", "note",
                  "evidence_url", "evidence_publisher", "evidence_authority", "evidence_date",
                  "evidence_title", "summary")


@bp.route("/entities/<entity_id>/relation", methods=["GET", "POST"])
@login_required(role="curator")
def add_relation(entity_id: str) -> ResponseReturnValue:
    watchlist = _watchlist()
    entity = _entity(watchlist, entity_id)
    errors = None
    if request.method == "POST":
        relation: dict[str, Any] = {"type": _field("type"), "target": _field("target")}
        share = _field("share").rstrip("%").strip().replace(",", ".")
        if share:
            try:
                relation["share"] = float(share)
            except ValueError:
                relation["share"] = _field("share")  # the schema says what is wrong with it
        for key in ("share_text", "since", "until", "note"):
            if _field(key):
                relation[key] = _field(key)
        evidence = _evidence_from_form(required=False)
        if evidence is not None:
            relation["evidence"] = [evidence]
        other = watchlist.entities.get(relation["target"])
        created = _submit(
            _field("summary") or f"{entity.name} "
                                 f"{RELATION_WORDS.get(relation['type'], relation['type'])} "
                                 f"{other.name if other else relation['target']}",
            [{"op": "add_relation", "entity_id": entity.id, "relation": relation}],
            RELATION_ROUTES,
        )
        if not isinstance(created, FormErrors):
            return redirect(url_for("curation.proposal", proposal_id=created)), 303
        errors = created
    others = sorted(((e.id, f"{e.name} ({e.id})") for e in watchlist.entities.values()
                     if e.id != entity.id), key=lambda pair: pair[1].casefold())
    return _form_page("curation/add_relation.html", errors, RELATION_ORDER, entity=entity,
                      types=list(RELATION_WORDS.items()), others=others)
