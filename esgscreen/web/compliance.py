"""Compliance pages: the screening log for signed-in officers, and the disposition form the
lookup and portfolio pages post to."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue

from esgscreen.core import bounds
from esgscreen.core.errors import InvalidIdentifier, InvalidQuery
from esgscreen.core.query import QUERY_FIELDS
from esgscreen.extensions import services
from esgscreen.service import dispositions
from esgscreen.service.dispositions import DECISIONS, DispositionError
from esgscreen.service.screenlog import ScreeningFilter, get_screening, list_screenings
from esgscreen.web import errors
from esgscreen.web.auth import current_user, login_required, safe_next, web_actor
from esgscreen.web.lookup import PageError, resolve

bp = Blueprint("records", __name__)

PAGE_SIZE = 200
RECORD_ID = f"int(min=1, max={bounds.MAX_ID})"
STATUSES = ("match", "possible_match", "no_match", "error")


def _signed_in() -> Any:
    user = current_user()
    if user is None:
        abort(403, description="Sign in to see the screening log or record a decision.")
    return user


def _moment(name: str, problems: list[str]) -> datetime | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        problems.append(f"{name}: {text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time.")
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@bp.get("/screenings")
@login_required
def screenings() -> ResponseReturnValue:
    """The screening log: an admin sees every record, anyone else their own."""
    user = _signed_in()
    problems: list[str] = []
    since, until = _moment("since", problems), _moment("until", problems)
    status = request.args.get("status", "").strip() or None
    if status is not None and status not in STATUSES:
        problems.append(f"status: {status!r} is not one of {', '.join(STATUSES)}.")
        status = None
    filters = {k: request.args.get(k, "").strip()[:200] for k in
               ("since", "until", "status", "entity_id", "caller")}
    where = ScreeningFilter(
        since=since, until=until, status=status,
        entity_id=filters["entity_id"] or None, caller=filters["caller"] or None,
        caller_identity=None if user.role == "admin" else f"user:{user.id}")
    rows = [] if problems else list_screenings(services().store, where, limit=PAGE_SIZE)
    return render_template("compliance/screenings.html", rows=rows, filters=filters,
                           problems=problems, statuses=STATUSES, page_size=PAGE_SIZE,
                           everyone=user.role == "admin"), 422 if problems else 200


@bp.get(f"/screenings/<{RECORD_ID}:screening_id>")
@login_required
def screening(screening_id: int) -> ResponseReturnValue:
    user = _signed_in()
    row = get_screening(services().store, screening_id)
    if row is None or (user.role != "admin" and row.caller_identity != f"user:{user.id}"):
        abort(404, description=f"There is no screening record {screening_id} you may read.")
    return render_template("compliance/screening.html", row=row)


@bp.post("/dispositions")
@login_required
def record_disposition() -> ResponseReturnValue:
    """Record an analyst's decision on a candidate from the lookup or portfolio page."""
    _signed_in()
    back = safe_next(request.form.get("next"))
    form = request.form
    query = {k: form.get(f"query_{k}", "").strip() for k in QUERY_FIELDS}
    query = {k: v for k, v in query.items() if v}
    note = form.get("note", "").strip()
    decision = form.get("decision", "")
    if decision not in DECISIONS:
        flash("Choose a decision: false positive or confirmed.", "error")
        return redirect(back)
    if not note:
        flash("Say why in the note: a decision without a reason cannot be reviewed.", "error")
        return redirect(back)
    try:
        context = resolve(None)
        found = dispositions.record(
            services().store, context.snapshot, web_actor(),
            entity_id=form.get("entity_id", "").strip(), decision=decision, note=note[:2000],
            query=query)
    except (PageError, DispositionError, InvalidQuery, InvalidIdentifier) as error:
        flash(getattr(error, "message", None) or str(error), "error")
        return redirect(back)
    services().dispositions.invalidate()
    word = "a false positive" if decision == "false_positive" else "confirmed"
    flash(f"Recorded: {found.entity_id} is {word} for this query (disposition {found.id}).",
          "info")
    return redirect(back)


@bp.post(f"/dispositions/<{RECORD_ID}:disposition_id>/revoke")
@login_required
def revoke_disposition(disposition_id: int) -> ResponseReturnValue:
    _signed_in()
    back = safe_next(request.form.get("next"))
    try:
        dispositions.revoke(services().store, disposition_id, web_actor(),
                            request.form.get("reason", "").strip()[:2000] or None)
    except DispositionError as error:
        flash(error.message, "error")
        return redirect(back)
    services().dispositions.invalidate()
    flash(f"Disposition {disposition_id} revoked.", "info")
    return redirect(back)


errors.attach(bp)
