"""ETags tied to the watchlist version: an answer only changes when the version does."""

from __future__ import annotations

import hashlib

from flask import Response, after_this_request, request


def version_etag(version: int) -> str:
    query = request.query_string + b"|" + request.path.encode()
    digest = hashlib.blake2b(query, digest_size=8).hexdigest()
    return f"v{version}-{digest}"


def not_modified(version: int) -> Response | None:
    """A 304 when the client holds this version's answer; otherwise tag the coming answer."""
    tag = version_etag(version)
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
        response.set_etag(tag)
        return response

    @after_this_request
    def _tag(response: Response) -> Response:
        if response.status_code == 200:
            response.set_etag(tag)
        return response

    return None
