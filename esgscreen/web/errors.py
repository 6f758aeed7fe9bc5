"""HTML error pages for the web blueprints (the API keeps answering problem+json)."""

from __future__ import annotations

import logging

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

TITLES = {
    400: "The request could not be read",
    403: "You may not see this page",
    404: "Not found",
    405: "Not allowed",
    413: "Too large",
    429: "Too many attempts",
}


def error_page(code: int, title: str, message: str) -> ResponseReturnValue:
    return render_template("errors/error.html", code=code, title=title, message=message), code


def attach(blueprint: Blueprint) -> None:
    """Errors raised inside ``blueprint``'s pages answer with an HTML page."""
    blueprint.register_error_handler(CSRFError, _csrf_error)
    blueprint.register_error_handler(HTTPException, _http_error)
    blueprint.register_error_handler(Exception, _unexpected)


def _csrf_error(error: CSRFError) -> ResponseReturnValue:
    return error_page(400, "This form has expired",
                      "The form was not sent from this site, or it was open too long "
                      f"({error.description}). Go back, reload the page and send it again.")


def _http_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    if code >= 500:
        return _unexpected(error)
    message = error.description or ""
    if code == 429:
        message = "Too many attempts from your address; wait a minute and try again."
    return error_page(code, TITLES.get(code, "Something went wrong"), message)


def _unexpected(error: Exception) -> ResponseReturnValue:
    if isinstance(error, HTTPException) and (error.code or 500) < 500:
        return _http_error(error)
    log.exception("unhandled error in a page", extra={"path": request.path})
    return error_page(500, "Something went wrong on our side", InternalServerError.description)
