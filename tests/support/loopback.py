"""Loopback HTTP servers for tests: any handler served on 127.0.0.1 from a thread
(:func:`serving`), and :class:`Loopback`, which answers each POST with the next scripted
:class:`Reply` and keeps every request it was sent."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that prints no request lines on stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1 (a free port) until the block ends; yields the server's
    base URL, ``http://127.0.0.1:<port>``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Reply:
    """One scripted answer. A list body is streamed piece by piece, then the socket closed
    (or, ``chunked``, sent with chunked transfer encoding and the connection kept open)."""

    status: int = 200
    body: bytes | list[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)  # over Content-Type: application/json
    delay: float = 0.0
    content_length: int | None = None  # a Content-Length other than the body's: a torn body
    piece_delay: float = 0.0
    chunked: bool = False


@dataclass
class Seen:
    """One request as the server received it (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Loopback:
    """A threaded HTTP/1.1 server on 127.0.0.1 answering with queued :class:`Reply` objects
    (599 when none is queued); ``url`` ends in ``/v1``. Close it with :meth:`close`."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[Seen] = []
        self.connections = 0
        outer = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                outer.connections += 1
                super().setup()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append(Seen("POST", self.path, headers, body))
                reply = outer.replies.popleft() if outer.replies else Reply(599, b"unscripted")
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self._answer(reply)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def _answer(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for name, value in {"Content-Type": "application/json", **reply.headers}.items():
                    self.send_header(name, value)
                if isinstance(reply.body, list) and reply.chunked:
                    # Keep-alive stream: chunked transfer encoding, connection left open.
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for piece in [*reply.body, b""]:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        self.wfile.flush()
                    return
                if isinstance(reply.body, list):
                    self.send_header("Connection", "close")
                    self.end_headers()
                    for piece in reply.body:
                        self.wfile.write(piece)
                        self.wfile.flush()
                        if reply.piece_delay:
                            time.sleep(reply.piece_delay)
                    self.close_connection = True
                    return
                length_header = reply.content_length
                self.send_header("Content-Length", str(length_header or len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
                if length_header is not None and length_header != len(reply.body):
                    self.close_connection = True

        self._running = ExitStack()
        self.url = self._running.enter_context(serving(Handler)) + "/v1"

    def script(self, *replies: Reply) -> None:
        """Queue ``replies``, answered in order, one a POST."""
        self.replies.extend(replies)

    def close(self) -> None:
        """Stop serving and release the port."""
        self._running.close()
