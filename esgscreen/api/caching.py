"""ETags tied to the watchlist version and the day review-due flags were judged on: an answer
only changes when one of them does."""

from __future__ import annotations

import zlib

from flask import Response, after_this_request, request


def version_etag(state: str) -> str:
    """This URL's tag in this snapshot state, ``Snapshot.state`` (the path is part of what a
    cache keys on)."""
    return f"v{state}-{zlib.crc32(request.query_string):08x}"


def not_modified(tag: str) -> Response | None:
    """A 304 when the client already holds the answer tagged `tag`."""
    if "HTTP_IF_NONE_MATCH" in request.environ and request.if_none_match.contains_weak(tag):
        response = Response(status=304)
        response.set_etag(tag)
        return response
    return None


def tag_answer(tag: str) -> None:
    """Put `tag` on the answer this view is about to return."""

    @after_this_request
    def _tag(response: Response) -> Response:
        if response.status_code == 200:
            response.set_etag(tag)
        return response
