"""What every request passes before a view: proxy headers from trusted hops only, and text
without control characters.

NUL and the other C0 control characters have no place in any parameter or form field of this
service; PostgreSQL refuses NUL in text, so letting one through would fail on one backend and
be stored on the other. They are refused here, naming the field, before any view or database
sees them. JSON bodies are checked by their schemas (a batch item by itself, so one bad item
does not fail the batch).
"""

from __future__ import annotations

import re

from flask import Flask, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import UnprocessableEntity
from werkzeug.middleware.proxy_fix import ProxyFix

from esgscreen.core import bounds
from esgscreen.extensions import in_service, services_of

# The sign-in form checks its own fields, so a refused attempt is still audited.
OWN_CHECKS = {"auth.login"}
# A percent-encoded C0 control or DEL: only then are the decoded arguments looked at.
_ENCODED_CONTROL = re.compile(rb"%(?:[01][0-9A-Fa-f]|7[Ff])")


class UnsafeText(UnprocessableEntity):
    def __init__(self, field: str, character: str) -> None:
        message = f"{field} {bounds.describe_control(character)}."
        super().__init__(description=message)
        # What the API's problem handler reads (see api.problems).
        self.data = {"message": message, "errors": {field: [message]}}


def _check(values: MultiDict[str, str]) -> None:
    for key, value in values.items(multi=True):
        for text in (key, value):
            bad = bounds.control_character(text)
            if bad is not None:
                raise UnsafeText(bounds.escape_controls(key), bad)


def refuse_control_characters() -> None:
    if not in_service():
        return
    if _ENCODED_CONTROL.search(request.query_string):
        _check(request.args)
    if (request.method != "GET" and request.endpoint not in OWN_CHECKS
            and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")):
        _check(request.form)


def init_app(app: Flask) -> None:
    """The service's checks, on its own requests only (a host app keeps its own)."""
    app.before_request(refuse_control_characters)


def trust_proxies(app: Flask) -> None:
    """X-Forwarded-For/-Proto/-Host/-Port as set by the trusted proxies in front of the
    standalone service (a host app mounting the service sets up its own)."""
    hops = services_of(app).settings.trusted_proxies
    if hops > 0:
        # X-Forwarded-For/-Proto/-Host/-Port as set by `hops` proxies in front of the service.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    app.before_request(refuse_control_characters)
