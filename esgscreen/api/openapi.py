"""The OpenAPI document completed for client generators: an ``operationId`` on every operation,
the bearer scheme, and the error responses each operation can give, as
``application/problem+json`` (``api.problems`` documents the rest of the errors and the
``X-Pagination`` header).
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec, BasePlugin

# (method, path under the service's prefix) -> operationId. A generated client names its
# functions after these, so they stay stable; an operation missing here gets one made from
# its path (a test keeps them unique and camelCase).
OPERATION_IDS: dict[tuple[str, str], str] = {
    ("get", "/api/v1/screen"): "screen",
    ("post", "/api/v1/screen"): "screenPortfolio",
    ("get", "/api/v1/entities"): "searchEntities",
    ("get", "/api/v1/entities/{entity_id}"): "getEntity",
    ("get", "/api/v1/flags"): "listFlags",
    ("get", "/api/v1/watchlist"): "getWatchlist",
    ("get", "/api/v1/watchlist/versions"): "listVersions",
    ("get", "/api/v1/changes"): "listChanges",
    ("get", "/api/v1/taxonomy"): "getTaxonomy",
    ("get", "/api/v1/policies"): "listPolicies",
    ("get", "/api/v1/methodology"): "getMethodology",
    ("get", "/api/v1/exports/{version}.{format}"): "exportWatchlist",
    ("get", "/api/v1/proposals"): "listProposals",
    ("post", "/api/v1/proposals"): "createProposal",
    ("get", "/api/v1/proposals/{proposal_id}"): "getProposal",
    ("post", "/api/v1/proposals/{proposal_id}/approve"): "approveProposal",
    ("post", "/api/v1/proposals/{proposal_id}/reject"): "rejectProposal",
    ("post", "/api/v1/proposals/{proposal_id}/withdraw"): "withdrawProposal",
    ("get", "/api/v1/audit"): "listAuditEvents",
    ("get", "/api/v1/audit.csv"): "exportAuditLog",
    ("post", "/yente/match/{dataset}"): "yenteMatch",
    ("get", "/yente/search/{dataset}"): "yenteSearch",
    ("get", "/yente/entities/{entity_id}"): "yenteEntity",
    ("get", "/yente/catalog"): "yenteCatalog",
}

# Operations that change a proposal's state: deciding twice, or on moved data, is a conflict.
CONFLICTS = {"approveProposal", "rejectProposal", "withdrawProposal", "createProposal"}
TOO_LARGE = {"screenPortfolio"}
BEARER = "bearerAuth"
PROBLEM_JSON = "application/problem+json"

ERROR_RESPONSES: dict[str, tuple[str, str]] = {
    # status: (component name, description)
    "401": ("Unauthorized", "No API key, or one that is unknown or revoked (unless the "
            "service allows public reading)"),
    "403": ("Forbidden", "The key's role may not do this"),
    "404": ("NotFound", "No such entity, proposal, version or dataset"),
    "409": ("Conflict", "Decided already, or what the proposal touches changed since"),
    "413": ("PayloadTooLarge", "More items than the service's batch limit, or a body too large"),
    "422": ("UnprocessableContent", "Invalid input: the problem's `errors` names each field"),
    "429": ("TooManyRequests", "Over the rate limit; retry after `Retry-After` seconds"),
    "503": ("ServiceUnavailable", "No watchlist version loaded yet"),
}


def operation_id(method: str, path: str) -> str:
    known = OPERATION_IDS.get((method, path))
    if known:
        return known
    words = [w for w in re.split(r"[^A-Za-z0-9]+", path) if w and w not in {"api", "v1"}]
    return method + "".join(w[:1].upper() + w[1:] for w in words)


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _ensure_components(document: APISpec) -> None:
    components = document.components
    if BEARER not in components.security_schemes:
        components.security_scheme(BEARER, {
            "type": "http", "scheme": "bearer",
            "description": "An API key made with `esgscreen keys create`, sent as "
                           "`Authorization: Bearer <key>`.",
        })
    for status, (name, description) in ERROR_RESPONSES.items():
        response: dict[str, Any] = {"description": description, "content": _problem_content()}
        if status == "429":
            response["headers"] = {"Retry-After": {
                "description": "Seconds to wait before the next request",
                "schema": {"type": "integer"}}}
        if status == "401":
            response["headers"] = {"WWW-Authenticate": {
                "description": "The scheme to authenticate with: Bearer",
                "schema": {"type": "string"}}}
        components.responses[name] = response


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def complete_operations(path: str, operations: dict[str, Any]) -> None:
    """One path's operations completed: operationId, security, the error responses."""
    for method, operation in operations.items():
        if method not in {"get", "post", "put", "patch", "delete"}:
            continue
        op_id = operation_id(method, path)
        operation["operationId"] = op_id
        operation["security"] = [{BEARER: []}]
        responses = operation.setdefault("responses", {})
        for status, response in list(responses.items()):
            status = str(status)
            if status == "default" or not status.startswith(("4", "5")):
                continue
            if isinstance(response, dict) and "content" in response:
                response["content"] = _problem_content()
            elif status in ERROR_RESPONSES:
                responses[status] = _ref(ERROR_RESPONSES[status][0])
        present = {str(status) for status in responses}
        wanted = ["401", "403", "429"]
        if "{" in path:
            wanted.append("404")
        if any(isinstance(p, dict) and p.get("in") == "query"
               for p in operation.get("parameters", [])) or "requestBody" in operation:
            wanted.append("422")
        if op_id in CONFLICTS:
            wanted.append("409")
        if op_id in TOO_LARGE:
            wanted.append("413")
        for status in wanted:
            if status not in present:
                responses[status] = _ref(ERROR_RESPONSES[status][0])


class OperationsPlugin(BasePlugin):
    """An apispec plugin completing each operation as flask-smorest documents it."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def operation_helper(self, path: str | None = None, operations: dict | None = None,
                         **kwargs: Any) -> None:
        if path is None or operations is None:
            return
        relative = path[len(self.prefix):] if self.prefix and path.startswith(self.prefix) \
            else path
        complete_operations(relative, operations)


def complete_components(document: APISpec) -> None:
    """The shared parts, once the API's blueprints are documented."""
    _ensure_components(document)
