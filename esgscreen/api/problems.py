"""Errors as ``application/problem+json`` (RFC 9457), for the API and for unknown paths."""

from __future__ import annotations

import http
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import flask
from apispec import APISpec, BasePlugin
from flask import Blueprint, Flask, Response, json, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException, InternalServerError

from esgscreen.api.schemas import ProblemSchema
from esgscreen.core.errors import InvalidIdentifier, InvalidQuery
from esgscreen.service.curation import CurationError
from esgscreen.service.dispositions import DispositionError
from esgscreen.service.monitoring import WatchError
from esgscreen.service.policies import UnknownPolicy
from esgscreen.service.snapshots import AsOfError, NoWatchlistYet

PROBLEM_TYPE_BASE = "https://esgscreen.org/problems/"
log = logging.getLogger(__name__)


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_: str | None = None,
    errors: Any = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + type_ if type_ else "about:blank",
        "title": title or _title(status),
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(
        json.dumps(body), status=status, mimetype="application/problem+json", headers=headers
    )
    return response


def abort(status: int, **data: Any) -> NoReturn:
    """End the request with a ``status`` problem; ``data`` may hold its ``message``, field
    ``errors`` and ``headers``. flask-smorest's ``abort``, typed as never returning."""
    try:
        flask.abort(status)
    except HTTPException as error:
        error.data = data  # type: ignore[attr-defined]
        raise


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


WEBARGS_LOCATIONS = {"query", "json", "form", "headers", "files", "path", "cookies"}


def _detail_for(error: HTTPException) -> tuple[str, Any]:
    data = getattr(error, "data", None) or {}
    message = data.get("message")
    # Our own aborts say "errors"; webargs (the argument schemas) says "messages".
    errors = data.get("errors") or data.get("messages")
    if isinstance(errors, dict) and errors and set(errors) <= WEBARGS_LOCATIONS:
        # webargs nests messages under the location: {"query": {"isin": [...]}}; a message
        # about the whole body (not JSON, not an object) is the body's.
        flat: dict[str, Any] = {}
        for location, messages in errors.items():
            if isinstance(messages, dict):
                flat.update({str(k): v for k, v in messages.items()})
            else:
                flat["body" if location in ("json", "form") else location] = messages
        errors = flat
    if errors:
        return message or _describe_errors(errors), errors
    return message or error.description or _title(error.code or 500), None


def _describe_errors(errors: Any) -> str:
    """One readable sentence out of marshmallow's nested messages."""
    parts: list[str] = []

    def walk(node: Any, path: list[str]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, [*path, str(key)])
        elif isinstance(node, list) and all(isinstance(v, str) for v in node):
            parts.append(f"{'.'.join(path) or 'body'}: {' '.join(node)}")
        else:
            parts.append(f"{'.'.join(path) or 'body'}: {node}")

    walk(errors, [])
    return "Invalid request: " + "; ".join(parts) if parts else "Invalid request."


def http_problem(error: HTTPException) -> Response:
    status = error.code or 500
    detail, errors = _detail_for(error)
    headers = dict((getattr(error, "data", None) or {}).get("headers") or {})
    valid_methods = getattr(error, "valid_methods", None)  # only MethodNotAllowed has them
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    if status == 413 and not (getattr(error, "data", None) or {}).get("message"):
        detail = "The request body is larger than this service accepts."
    # Extension members (RFC 9457 §3.2) a view adds, e.g. a batch limit clients can read.
    extensions = dict((getattr(error, "data", None) or {}).get("extensions") or {})
    return problem(status, detail, errors=errors, headers=headers, **extensions)


PROBLEM_MEDIA_TYPE = "application/problem+json"


def _is_problem(media: Any) -> bool:
    schema = media.get("schema") if isinstance(media, dict) else None
    return isinstance(schema, dict) and schema.get("$ref", "").endswith("/Problem")


class ProblemContentPlugin(BasePlugin):
    """Documents every error body as application/problem+json, as it is sent."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None,
                         **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            for response in operation.get("responses", {}).values():
                content = response.get("content") if isinstance(response, dict) else None
                if content and _is_problem(content.get("application/json")):
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")


def _invalid_identifier(error: InvalidIdentifier) -> Response:
    return problem(422, f"Invalid {error.field}: {error.message}",
                   errors={error.field: [error.message]})


def _invalid_query(error: InvalidQuery) -> Response:
    return problem(422, error.message, errors={error.field or "q": [error.message]})


def _unknown_as_of(error: AsOfError) -> Response:
    return problem(422, str(error), errors={"as_of": [str(error)]})


def _unknown_policy(error: UnknownPolicy) -> Response:
    return problem(422, str(error), errors={"policy": [str(error)]})


def _no_watchlist_yet(error: NoWatchlistYet) -> Response:
    return problem(503, str(error))


def _curation_refused(error: CurationError | WatchError) -> Response:
    return problem(error.status, error.message, errors=error.errors or None)


def _disposition_refused(error: DispositionError) -> Response:
    return problem(error.status, error.message,
                   errors={error.field: [error.message]} if error.field else None)


# The service's and the core's own errors, each with the one answer it gets from the API.
DOMAIN_ERRORS: dict[type[Exception], Any] = {
    InvalidIdentifier: _invalid_identifier,
    InvalidQuery: _invalid_query,
    AsOfError: _unknown_as_of,
    UnknownPolicy: _unknown_policy,
    NoWatchlistYet: _no_watchlist_yet,
    CurationError: _curation_refused,
    DispositionError: _disposition_refused,
    WatchError: _curation_refused,
}


def _too_deep(error: RecursionError) -> Response:
    return problem(400, "The request body is nested too deeply to read.")


def _unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return http_problem(error)
    log.exception("unhandled error", extra={"path": request.path})
    return problem(500, InternalServerError.description)


def register_domain_errors(blueprint: Blueprint) -> None:
    """Answer every error raised in `blueprint`'s views as a problem (the pages answer their
    own): the domain errors, HTTP errors and anything unexpected. Scoped to the blueprint, so
    a host app mounting the service keeps its own handlers."""
    for error_type, handler in DOMAIN_ERRORS.items():
        blueprint.register_error_handler(error_type, handler)
    blueprint.register_error_handler(HTTPException, http_problem)
    blueprint.register_error_handler(RecursionError, _too_deep)
    blueprint.register_error_handler(Exception, _unexpected)


class ProblemApi(Api):
    """flask-smorest's Api with problem+json errors, documented as such.

    A blueprint's views are written into the OpenAPI document when the document is first read,
    not when the blueprint is registered: turning every schema into OpenAPI took most of the
    time an app took to start (0.3 s of 0.4 s), which every worker, CLI call and test paid
    whether or not anyone asked for the document."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Flask, *, extra_plugins: Sequence[BasePlugin] = (),
                 completed_by: Callable[[APISpec], None] | None = None, **kwargs: Any) -> None:
        self._spec: Any = None
        self._undocumented: list[tuple[Any, str, Any]] = []
        self._complete = True
        self._completed_by = completed_by  # adds what the document shares, once it is whole
        self._documenting = threading.Lock()
        super().__init__(app, spec_kwargs={
            "extra_plugins": [ProblemContentPlugin(), *extra_plugins]}, **kwargs)

    @property
    def spec(self) -> Any:
        """The OpenAPI document (an ``apispec.APISpec``), every registered blueprint in it."""
        document: Any = self._spec
        if not self._complete:
            with self._documenting:
                if not self._complete:
                    for blp, name, parameters in self._undocumented:
                        blp.register_views_in_doc(self, self._app, document, name=name,
                                                  parameters=parameters)
                        document.tag({"name": name, "description": blp.description})
                    self._undocumented.clear()
                    if self._completed_by is not None:
                        self._completed_by(document)
                    self._complete = True
        return document

    @spec.setter
    def spec(self, document: Any) -> None:
        self._spec = document

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """As flask-smorest's, with the views documented when the document is first read."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))
        self._complete = False

    def _register_error_handlers(self) -> None:
        """flask-smorest would answer every HTTP error of the whole app; a host keeps its own
        (the service's blueprints answer theirs, see ``register_domain_errors``)."""

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_pagination_header(self) -> None:
        # flask-smorest sends the metadata as JSON text in the header: a string, not an object.
        self.spec.components.header("PAGINATION", {
            "description": "Pagination metadata as JSON text: total, total_pages, first_page, "
                           "last_page, page, previous_page, next_page.",
            "schema": {"type": "string"},
        }, lazy=True)

    def handle_http_exception(self, error: HTTPException) -> Response:
        return http_problem(error)


def register_error_handlers(app: Flask) -> None:
    """Problems for the whole app: the standalone service (unknown paths too)."""
    app.register_error_handler(HTTPException, http_problem)
    app.register_error_handler(RecursionError, _too_deep)
    app.register_error_handler(Exception, _unexpected)
