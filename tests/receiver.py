"""A webhook receiver for tests: an http.server thread on 127.0.0.1 that verifies every
delivery with the Standard Webhooks library and answers as a test script says."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

# (status, extra headers) for the n-th request (0-based); or a callable that may block.
Script = Callable[[int], tuple[int, dict[str, str]]]


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    verified: Any  # the parsed payload, or the verification error


@dataclass
class Receiver:
    url: str
    secret: str | None = None
    requests: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def verified(self) -> list[dict[str, Any]]:
        return [r.verified for r in self.requests if isinstance(r.verified, dict)]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)
        return list(self.requests)


def always(status: int) -> Script:
    return lambda _n: (status, {})


@contextmanager
def receiving(script: Script | None = None, path: str = "/hook") -> Iterator[Receiver]:
    script = script or always(200)
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                verified: Any = Webhook(receiver.secret or "").verify(body, headers)
            except (WebhookVerificationError, Exception) as error:
                verified = error
            with receiver.arrived:
                number = len(receiver.requests)
                receiver.requests.append(Received(headers, body, verified))
                receiver.arrived.notify_all()
            status, extra = script(number)
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def payload(received: Received) -> dict[str, Any]:
    return json.loads(received.body)
