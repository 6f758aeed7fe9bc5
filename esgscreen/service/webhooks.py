"""Webhook endpoints and deliveries: URL checks, Standard Webhooks signatures, retry timing.

A delivery is signed per the Standard Webhooks specification (``webhook-id``,
``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>``)
with the ``standardwebhooks`` library, so receivers verify it with the same library.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import random
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from standardwebhooks.webhooks import Webhook

from esgscreen.version import __version__

SECRET_PREFIX = "whsec_"
RETRY_STATUSES = {408, 425, 429}
USER_AGENT = f"esgscreen-webhooks/{__version__}"


class WebhookRefused(ValueError):
    """A webhook URL or secret the service will not use; the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def check_secret(secret: str) -> str:
    body = secret.removeprefix(SECRET_PREFIX)
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not secret.startswith(SECRET_PREFIX) or not 24 <= len(raw) <= 64:
        raise WebhookRefused(
            "webhook.secret",
            "secret must be 'whsec_' followed by 24 to 64 bytes in base64 (Standard Webhooks); "
            "leave it out and the service makes one.",
        )
    return secret


def _refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_url(url: str, allow_private: bool, *, resolve: bool = True) -> str:
    """The URL if it may receive webhooks: http(s), a host, and (unless ``allow_private``)
    only public addresses; raises WebhookRefused otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise WebhookRefused("webhook.url", f"url is not a valid URL: {error}.") from None
    if parts.scheme not in ("http", "https"):
        raise WebhookRefused("webhook.url", "url must start with http:// or https://.")
    if not parts.hostname:
        raise WebhookRefused("webhook.url", "url must name a host.")
    if parts.username or parts.password:
        raise WebhookRefused("webhook.url", "url must not carry a user name or password.")
    if allow_private or not resolve:
        return url
    try:
        infos = socket.getaddrinfo(parts.hostname, port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise WebhookRefused("webhook.url", f"the host {parts.hostname} cannot be resolved."
                             ) from None
    if any(_refused_address(str(info[4][0])) for info in infos):
        raise WebhookRefused(
            "webhook.url",
            f"{parts.hostname} is a loopback, private or reserved address; webhooks go to "
            "public endpoints only.",
        )
    return url


def signed_headers(secret: str, message_id: str, body: str, now: datetime) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


@dataclass(frozen=True, slots=True)
class Attempt:
    delivered: bool
    retry: bool  # a failure worth trying again
    status_code: int | None
    error: str | None
    retry_after: float | None  # seconds the receiver asked for
    duration_ms: float


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A ``Retry-After`` header: seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def send(url: str, secret: str, message_id: str, body: str, *, timeout: float,
         allow_private: bool, now: datetime) -> Attempt:
    """POST one signed delivery and say how it went (never raises for network trouble)."""
    started = datetime.now(UTC)

    def took() -> float:
        return (datetime.now(UTC) - started).total_seconds() * 1000

    try:
        check_url(url, allow_private)
    except WebhookRefused as refused:
        return Attempt(False, True, None, refused.message, None, took())
    try:
        response = requests.post(url, data=body.encode("utf-8"),
                                 headers=signed_headers(secret, message_id, body, now),
                                 timeout=timeout, allow_redirects=False)
    except requests.RequestException as error:
        return Attempt(False, True, None, f"{type(error).__name__}: {error}"[:500], None, took())
    status = response.status_code
    response.close()
    if 200 <= status < 300:
        return Attempt(True, False, status, None, None, took())
    retry = status >= 500 or status in RETRY_STATUSES
    wait = retry_after_seconds(response.headers.get("Retry-After"), now) if retry else None
    return Attempt(False, retry, status, f"HTTP {status}", wait, took())


def next_attempt(now: datetime, attempts: int, retry_after: float | None, base: float,
                 cap: float) -> datetime:
    """When to try again: what ``Retry-After`` asked (up to ``cap``), else exponential
    backoff from ``base`` seconds with jitter (half fixed, half random), up to ``cap``."""
    if retry_after is not None:
        return now + timedelta(seconds=min(retry_after, cap))
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return now + timedelta(seconds=delay / 2 + random.uniform(0, delay / 2))
