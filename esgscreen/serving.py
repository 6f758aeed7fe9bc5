"""gunicorn settings shared by ``gunicorn.conf.py`` and ``esgscreen serve``: request limits
that leave the app's own checks to answer first, and gunicorn's own refusals as
``application/problem+json`` like every other error of the service.

gunicorn refuses some requests before the app sees them: a request line longer than
``limit_request_line`` (414), too many or too large header fields (431), a malformed request
line or an invalid byte in the path (400). Its largest request line is 8190 bytes, which
holds any one screening parameter at its longest (500 characters, each percent-encoded as
up to 9 bytes) beside the path, so an overlong parameter still reaches the app and gets a
422 naming it; only requests far beyond every documented limit meet gunicorn's refusal.
"""

from __future__ import annotations

import json
from typing import Any

from gunicorn import util

LIMITS: dict[str, int] = {
    "limit_request_line": 8190,  # gunicorn's maximum
    "limit_request_fields": 100,
    "limit_request_field_size": 8190,
}


def write_problem(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's error writer, answering application/problem+json instead of HTML."""
    body = json.dumps({
        "type": "about:blank",
        "title": reason,
        "status": status_int,
        "detail": (f"{reason}: the request was refused before the application read it "
                   "(request line, header fields or their size)."),
    }).encode("utf-8")
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin-1") + body)


def post_worker_init(worker: Any) -> None:
    """gunicorn hook: each worker writes its refusals with ``write_problem``.

    gunicorn's workers call ``gunicorn.util.write_error`` for every request they refuse;
    replacing it is the one place to change that answer's body.
    """
    util.write_error = write_problem


def apply(settings: Any) -> None:
    """Set the limits and the hook on a gunicorn ``Config`` (``esgscreen serve``)."""
    for name, value in LIMITS.items():
        settings.set(name, value)
    settings.set("post_worker_init", post_worker_init)
