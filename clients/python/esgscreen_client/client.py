"""``Client``: screening, entities and changes over HTTP, with retries and ETag reuse."""

from __future__ import annotations

import email.utils
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

import requests

from esgscreen_client.errors import ESGScreenError
from esgscreen_client.models import (
    BatchRow,
    Changes,
    Delivery,
    EntityRecord,
    PortfolioResult,
    ScreenResult,
    Watch,
    WatchEvent,
)

SCREEN_PARAMS = ("q", "name", "isin", "lei", "cik", "cusip", "figi", "ticker", "exchange",
                 "domain", "policy", "as_of")
RETRIED_STATUSES = {429, 500, 502, 503, 504}
ETAG_CACHE_SIZE = 512
PAGE_SIZE = 1000
Progress = Callable[[int, int], None]


class _Unset:
    """Left out, as distinct from None (which removes a webhook or policy)."""


UNSET = _Unset()


class Client:
    """A client of one esgscreen server.

    ``base_url`` is where the service answers (``http://host:8000``, or the host app's prefix
    such as ``https://portfolio.example/esg`` when it is mounted in another app). Requests
    answered 429 or 5xx, or that could not connect, are retried up to ``retries`` times,
    waiting ``Retry-After`` when the server says, else ``backoff`` doubled each time.
    """

    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 30.0, *,
                 retries: int = 4, backoff: float = 0.5, max_wait: float = 60.0,
                 batch_size: int = 10_000, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.batch_size = batch_size
        self.session = session or requests.Session()
        self.session.headers.setdefault("Accept", "application/json")
        if api_key:
            self.session.headers["Authorization"] = f"Bearer {api_key}"
        self._etags: OrderedDict[str, tuple[str, Any]] = OrderedDict()

    # the API ---------------------------------------------------------------------------

    def screen(self, **identifiers: str | int | None) -> ScreenResult:
        """Screen one company: ``q`` (free text) or ``name``, ``isin``, ``lei``, ``cik``,
        ``cusip``, ``figi``, ``ticker`` (with ``exchange``), ``domain``; ``policy``, ``as_of``."""
        unknown = set(identifiers) - set(SCREEN_PARAMS)
        if unknown:
            raise TypeError(f"Unknown screening parameter(s): {', '.join(sorted(unknown))}; "
                            f"known: {', '.join(SCREEN_PARAMS)}.")
        params = {k: str(v) for k, v in identifiers.items() if v is not None}
        return ScreenResult.from_json(self._get("/api/v1/screen", params))

    def screen_portfolio(self, items: Iterable[Mapping[str, Any]], policy: str | None = None,
                         as_of: str | int | None = None, progress: Progress | None = None
                         ) -> PortfolioResult:
        """Screen a portfolio of any size: items are dicts with a ``ref``, identifiers and an
        optional ``weight``. It is sent in batches the server accepts (learning its limit from
        a 413), all answered from the watchlist version of the first, and joined in order."""
        holdings = [dict(item) for item in items]
        for index, item in enumerate(holdings):
            item.setdefault("ref", index)  # the server would number each batch from 0
        rows: list[BatchRow] = []
        summaries: list[dict[str, Any]] = []
        version: int | None = None
        policy_id = policy or "default"
        batches = 0
        done = 0
        pinned = str(as_of) if as_of is not None else None
        while done < len(holdings) or (not holdings and batches == 0):
            chunk = holdings[done:done + self.batch_size]
            body: dict[str, Any] = {"items": chunk}
            if policy:
                body["policy"] = policy
            if pinned:
                body["as_of"] = pinned
            try:
                answer = self._request("POST", "/api/v1/screen", json=body).json()
            except ESGScreenError as error:
                limit = error.problem.get("max_items")
                if error.status == 413 and isinstance(limit, int) and 0 < limit < len(chunk):
                    self.batch_size = limit
                    continue
                raise
            batches += 1
            version = answer["watchlist_version"]
            policy_id = answer.get("policy", policy_id)
            pinned = str(version)  # every batch from the same version
            rows.extend(BatchRow.from_json(row) for row in answer["results"])
            summaries.append(answer["summary"])
            done += len(chunk)
            if progress is not None:
                progress(done, len(holdings))
            if not holdings:
                break
        return PortfolioResult(watchlist_version=version or 0, policy=policy_id,
                               summary=_joined(summaries), results=tuple(rows),
                               batches=batches)

    def entity(self, entity_id: str, as_of: str | int | None = None) -> EntityRecord:
        params = {"as_of": str(as_of)} if as_of is not None else {}
        return EntityRecord.from_json(
            self._get(f"/api/v1/entities/{quote(entity_id, safe='')}", params))

    def changes(self, since: int) -> Changes:
        """What changed after version ``since``: the versions and the entities they touched."""
        return Changes.from_json(self._get("/api/v1/changes", {"since": str(since)}))

    def watchlist(self) -> dict[str, Any]:
        """The current version and its size."""
        return self._get("/api/v1/watchlist", {})

    def policies(self) -> dict[str, Any]:
        return self._get("/api/v1/policies", {})

    # watches (they belong to the API key that made them) ------------------------------

    def create_watch(self, name: str, items: Iterable[Mapping[str, Any]], *,
                     webhook: Mapping[str, Any] | None = None,
                     policy: str | None = None) -> Watch:
        """Watch a portfolio: items as in ``screen_portfolio``, each with a ``ref`` unique in
        the watch. Bad items are left out and listed in ``errors``."""
        body = _watch_body(name, items, webhook, policy)
        return Watch.from_json(self._request("POST", "/api/v1/watches", json=body).json())

    def watch(self, watch_id: int) -> Watch:
        return Watch.from_json(self._request("GET", _watch_path(watch_id)).json())

    def watches(self) -> tuple[Watch, ...]:
        """The key's watches (an admin key sees every watch)."""
        answer = self._request("GET", "/api/v1/watches").json()
        return tuple(Watch.from_json(w) for w in answer)

    def replace_watch(self, watch_id: int, name: str, items: Iterable[Mapping[str, Any]], *,
                      webhook: Mapping[str, Any] | None = None,
                      policy: str | None = None) -> Watch:
        """Replace the whole watch; holdings whose ref stays keep their events."""
        body = _watch_body(name, items, webhook, policy)
        return Watch.from_json(self._request("PUT", _watch_path(watch_id), json=body).json())

    def patch_watch(self, watch_id: int, *, name: str | None = None,
                    add: Iterable[Mapping[str, Any]] | None = None,
                    remove: Iterable[str] | None = None,
                    webhook: Mapping[str, Any] | None | _Unset = UNSET,
                    policy: str | None | _Unset = UNSET,
                    paused: bool | None = None) -> Watch:
        """Change part of a watch; ``webhook=None`` or ``policy=None`` removes it."""
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if add is not None:
            body["add"] = [dict(item) for item in add]
        if remove is not None:
            body["remove"] = list(remove)
        if not isinstance(webhook, _Unset):
            body["webhook"] = dict(webhook) if webhook is not None else None
        if not isinstance(policy, _Unset):
            body["policy"] = policy
        if paused is not None:
            body["paused"] = paused
        return Watch.from_json(self._request("PATCH", _watch_path(watch_id), json=body).json())

    def delete_watch(self, watch_id: int) -> None:
        self._request("DELETE", _watch_path(watch_id))

    def watch_events(self, watch_id: int, since: int = 0) -> tuple[WatchEvent, ...]:
        """Every event of versions after ``since``, oldest first (all pages)."""
        rows = self._pages(_watch_path(watch_id) + "/events", "events", {"since": str(since)})
        return tuple(WatchEvent.from_json(row) for row in rows)

    def watch_deliveries(self, watch_id: int) -> tuple[Delivery, ...]:
        """The webhook delivery log, oldest first (all pages)."""
        rows = self._pages(_watch_path(watch_id) + "/deliveries", "deliveries", {})
        return tuple(Delivery.from_json(row) for row in rows)

    # HTTP ------------------------------------------------------------------------------

    def _get(self, path: str, params: Mapping[str, str]) -> Any:
        key = path + "?" + "&".join(f"{k}={v}" for k, v in sorted(params.items()))
        cached = self._etags.get(key)
        headers = {"If-None-Match": cached[0]} if cached else {}
        response = self._request("GET", path, params=params, headers=headers)
        if response.status_code == 304 and cached:
            self._etags.move_to_end(key)
            return cached[1]
        body = response.json()
        tag = response.headers.get("ETag")
        if tag:
            self._etags[key] = (tag, body)
            self._etags.move_to_end(key)
            while len(self._etags) > ETAG_CACHE_SIZE:
                self._etags.popitem(last=False)
        return body

    def _pages(self, path: str, key: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        after: int | None = None
        while True:
            query = {**params, "limit": str(PAGE_SIZE)}
            if after is not None:
                query["after"] = str(after)
            answer = self._request("GET", path, params=query).json()
            rows.extend(answer[key])
            after = answer.get("next_after")
            if after is None:
                return rows

    def _request(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                 json: Any = None, headers: Mapping[str, str] | None = None
                 ) -> requests.Response:
        url = self.base_url + path
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self.session.request(method, url, params=params, json=json,
                                                headers=dict(headers or {}),
                                                timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as error:
                if last:
                    raise ESGScreenError(None, {"title": "No answer",
                                                "detail": f"{method} {url}: {error}"}) from error
                time.sleep(self._wait(attempt, None))
                continue
            if response.status_code in RETRIED_STATUSES and not last:
                time.sleep(self._wait(attempt, response.headers.get("Retry-After")))
                continue
            if response.status_code >= 400:
                raise ESGScreenError(response.status_code, _problem(response))
            return response
        raise AssertionError("unreachable")  # the loop returns or raises

    def _wait(self, attempt: int, retry_after: str | None) -> float:
        told = _retry_after_seconds(retry_after)
        wait = told if told is not None else self.backoff * (2 ** attempt)
        return max(0.0, min(wait, self.max_wait))


def _watch_path(watch_id: int) -> str:
    return f"/api/v1/watches/{int(watch_id)}"


def _watch_body(name: str, items: Iterable[Mapping[str, Any]],
                webhook: Mapping[str, Any] | None, policy: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "items": [dict(item) for item in items]}
    if webhook is not None:
        body["webhook"] = dict(webhook)
    if policy is not None:
        body["policy"] = policy
    return body


def _retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def _problem(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    return {"status": response.status_code, "title": response.reason,
            "detail": response.text[:500] or response.reason}


def _joined(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """The batches' summaries added up into one, as if the portfolio were one batch."""
    if not summaries:
        return {}
    total: dict[str, Any] = {"items": 0, "by_status": {}, "by_action": {},
                             "weight": {"total": 0.0, "by_rating": {}}}
    for summary in summaries:
        for key, count in summary.items():
            if isinstance(count, int) and not isinstance(count, bool):
                total[key] = total.get(key, 0) + count  # items, with_warnings …
        for part in ("by_status", "by_action"):
            for key, count in (summary.get(part) or {}).items():
                total[part][key] = total[part].get(key, 0) + count
        weight = summary.get("weight") or {}
        total["weight"]["total"] += weight.get("total", 0.0)
        for key, value in (weight.get("by_rating") or {}).items():
            total["weight"]["by_rating"][key] = total["weight"]["by_rating"].get(key, 0.0) + value
    return total
