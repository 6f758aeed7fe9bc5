"""Portfolio screening: upload a holdings CSV, read the results table, download them as CSV.

Nothing is stored on the server. The results page carries the uploaded holdings, compressed,
in the download form together with the watchlist version it was screened against, so the
download recomputes exactly the table on the page (``screen_batch`` takes well under a
second for 10,000 holdings).
"""

from __future__ import annotations

import base64
import binascii
import time
import zlib
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from esgscreen.core.query import QUERY_FIELDS
from esgscreen.extensions import services
from esgscreen.service import monitoring
from esgscreen.service.screening import screen_batch
from esgscreen.store.audit import Actor
from esgscreen.web import errors, present
from esgscreen.web.auth import current_user, login_required, web_actor
from esgscreen.web.holdings import (
    COLUMNS,
    Holdings,
    HoldingsError,
    decode,
    parse_holdings,
    results_csv,
    subject,
)
from esgscreen.web.lookup import Context, PageError, owner_identity, resolve

bp = Blueprint("portfolio", __name__, url_prefix="/portfolio")


def pack(text: str) -> str:
    """Holdings text as a compact form value."""
    return base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")


def unpack(value: str, limit: int) -> str:
    """The holdings text back from ``pack``; at most ``limit`` bytes of it."""
    try:
        data = base64.urlsafe_b64decode(value.encode("ascii"))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(data, limit)
        if inflater.unconsumed_tail or not inflater.eof:
            raise PageError("The holdings sent back are incomplete or too large; upload the "
                            "file again.")
        return raw.decode("utf-8")
    except (binascii.Error, zlib.error, UnicodeError, ValueError) as error:
        if isinstance(error, PageError):
            raise
        raise PageError("The holdings sent back could not be read; upload the file again.") \
            from None


def _upload_page(error: str | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "portfolio/upload.html",
        error=error,
        columns=COLUMNS,
        policies=list(current_app.extensions["esgscreen"].policies.values()),
        max_mb=services().settings.max_content_length / (1024 * 1024),
        max_rows=services().settings.max_batch_items,
    ), status


def _screen(text: str, policy_id: str | None, as_of: str | None,
            log: bool = False) -> tuple[Holdings, Context, dict[str, Any]]:
    started = time.perf_counter()
    holdings = parse_holdings(text, max_rows=services().settings.max_batch_items)
    context = resolve(as_of, policy_id)
    result = screen_batch(context.snapshot, holdings.items, context.policy,
                          services().dispositions)
    if log:
        services().screenlog.batch("portfolio", web_actor(), request.remote_addr,
                                   context.snapshot.version, context.policy.id, started, result)
    return holdings, context, result


@bp.get("/")
@login_required
def upload() -> ResponseReturnValue:
    return _upload_page()


@bp.post("/")
@login_required
def results() -> ResponseReturnValue:
    file = request.files.get("holdings")
    if file is None or not file.filename:
        return _upload_page("Choose a CSV or .xlsx file of holdings to upload.", 400)
    data = file.read(services().settings.max_content_length + 1)
    policy_id = request.form.get("policy", "").strip() or None
    try:
        text = decode(data, file.filename)
        holdings, context, result = _screen(text, policy_id, None, log=True)
    except (HoldingsError, PageError) as error:
        return _upload_page(f"{file.filename}: {error}", 422)
    rows = [
        {"item": item, "row": row, "subject": subject(item),
         "query": {k: item.get(k) for k in QUERY_FIELDS if isinstance(item.get(k), str)}}
        for item, row in zip(holdings.items, result["results"], strict=True)
    ]
    return render_template(
        "portfolio/results.html",
        filename=file.filename,
        holdings=holdings,
        rows=rows,
        result=result,
        summary=result["summary"],
        weights=present.weight_shares(result["summary"]),
        total_weight=present.round_weight(result["summary"]["weight"]["total"]),
        cards=present.summary_cards(result["results"]),
        summary_warnings=sum(1 for row in result["results"] if row.get("warnings")),
        context=context,
        packed=pack(text),
        screened_at=datetime.now(UTC).replace(microsecond=0),
        policies=list(current_app.extensions["esgscreen"].policies.values()),
    )


@bp.post("/download")
@login_required
def download() -> ResponseReturnValue:
    policy_id = request.form.get("policy", "").strip() or None
    as_of = request.form.get("as_of", "").strip() or None
    filename = request.form.get("filename", "holdings.csv")
    try:
        text = unpack(request.form.get("holdings", ""), services().settings.max_content_length)
        holdings, _, result = _screen(text, policy_id, as_of)
    except (HoldingsError, PageError) as error:
        return _upload_page(str(error), 422)
    body = results_csv(holdings.items, result, present.VERDICTS,
                       _screened_at(request.form.get("screened_at", "")))
    stem = "".join(c for c in filename.rsplit(".", 1)[0] if c.isalnum() or c in "-_")[:60]
    name = f"{stem or 'holdings'}-screened-v{result['watchlist_version']}-{result['policy']}.csv"
    return Response(
        "\ufeff" + body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"',
                 "Cache-Control": "no-store"},
    )


def _screened_at(value: str) -> datetime:
    """The results page's screening time sent back with the download (same version, same
    answers); now when it is missing or unreadable."""
    try:
        when = datetime.fromisoformat(value.strip()[:40])
    except ValueError:
        return datetime.now(UTC).replace(microsecond=0)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@bp.post("/watch")
@login_required
def watch() -> ResponseReturnValue:
    """Keep watching the uploaded holdings: each new version re-screens them, and the lookup
    and entity pages show which of them a company affects."""
    user = current_user()
    assert user is not None
    name = request.form.get("name", "").strip()[:200] or request.form.get("filename", "")[:200]
    policy_id = request.form.get("policy", "").strip() or None
    try:
        settings = services().settings
        text = unpack(request.form.get("holdings", ""), settings.max_content_length)
        holdings = parse_holdings(text, max_rows=settings.max_watch_items)
        actor = Actor("user", user.username, user.id, request.remote_addr)
        created = monitoring.create_watch(
            services().monitor, {"name": name, "items": holdings.items, "policy": policy_id},
            monitoring.Owner(owner_identity() or "", actor, admin=False))
    except (HoldingsError, PageError) as error:
        return _upload_page(str(error), 422)
    except monitoring.WatchError as error:
        return _upload_page(error.message, error.status)
    flash(f"Watching {created['items']} holdings as '{created['name']}': each new watchlist "
          "version re-screens them, and company pages show which of them a company affects.",
          "info")
    return redirect(url_for("portfolio.upload")), 303


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    limit = services().settings.max_content_length / (1024 * 1024)
    return _upload_page(f"The file is larger than this service accepts ({limit:g} MB). Split the "
                 "holdings into smaller files.", 413)


errors.attach(bp)
