"""HTTP plumbing for the local REST server: a bounded pool, limits, JSON errors.

`PooledHTTPServer` queues accepted connections for a fixed pool of worker
threads, listens with a real backlog, and gives every socket a read and write
timeout, so a stalled client holds a worker for at most `timeout` seconds per
read. `JSONRequestHandler` answers every error with `{"error": "..."}` (as TF
Serving does) and enforces the header, body and JSON nesting limits.
`serve_until_signalled` serves until SIGTERM or SIGINT, then drains the pool.
"""

import errno
import json
import logging
import queue
import re
import signal
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from http.server import HTTPServer

logger = logging.getLogger(__name__)

DEFAULT_WORKERS = 32
DEFAULT_TIMEOUT = 5.0
_DIGITS = re.compile(r"[0-9]+")
_CONTAINERS = (list, dict)


class RequestError(Exception):
    """A request the server rejects, with its HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def parse_json(data: bytes, max_depth: int):
    """Parses a request body, raising 400 for invalid or too deeply nested JSON."""
    too_deep = f"The request JSON nests lists and objects over {max_depth} deep."
    try:
        value = json.loads(data)
    except RecursionError as error:
        raise RequestError(too_deep) from error
    except ValueError as error:  # also bad UTF-8 and over-long integers
        raise RequestError(f"The request body is not valid JSON: {error}") from error
    level = [value] if isinstance(value, _CONTAINERS) else []
    for _ in range(max_depth):
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, _CONTAINERS)
        ]
        if not level:
            return value
    raise RequestError(too_deep)


class PooledHTTPServer(HTTPServer):
    """An HTTP server whose connections are served by a fixed pool of threads.

    Args:
        address: `(host, port)` to bind; port 0 picks a free port.
        handler: a `JSONRequestHandler` subclass.
        workers: threads serving connections, the most served at once.
        timeout: seconds a socket read or write may wait before the
            connection is dropped, so stalled clients free their worker.
        backlog: connections the kernel holds before they are accepted.
        max_queued: accepted connections waiting for a worker; when full,
            new ones wait in the backlog.
        max_body_bytes: larger request bodies get 413.
        max_header_bytes: larger request headers get 431.
        max_json_depth: request JSON nested deeper gets 400.
        drain_timeout: seconds `server_close` waits for in-flight requests.
    """

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        workers: int = DEFAULT_WORKERS,
        timeout: float = DEFAULT_TIMEOUT,
        backlog: int = 1024,
        max_queued: int = 1024,
        max_body_bytes: int = 32 * 1024 * 1024,
        max_header_bytes: int = 64 * 1024,
        max_json_depth: int = 64,
        drain_timeout: float = 30.0,
    ):
        if workers < 1 or timeout <= 0 or backlog < 1 or max_queued < 1:
            raise ValueError(
                "`workers`, `timeout`, `backlog` and `max_queued` must be positive; "
                f"got {workers}, {timeout}, {backlog} and {max_queued}."
            )
        self.request_queue_size = backlog
        self.socket_timeout = timeout
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes
        self.max_json_depth = max_json_depth
        self.drain_timeout = drain_timeout
        self._connections = queue.Queue(max_queued)
        self._closed = threading.Event()
        self._threads = []
        try:
            super().__init__(address, handler)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise OSError(
                error.errno,
                f"port {address[1]} on {address[0]} is already in use (is another "
                "server running?); stop it or pick another `port` (--port)",
            ) from None
        self._threads = [
            threading.Thread(target=self._work, name=f"rest-worker-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def process_request(self, request, client_address):
        """Queues an accepted connection for the next free worker."""
        self._connections.put((request, client_address))

    def should_close(self) -> bool:
        """Whether a kept-alive connection should close to let others in."""
        return self._closed.is_set() or not self._connections.empty()

    def _work(self):
        while (item := self._connections.get()) is not None:
            request, client_address = item
            try:
                request.settimeout(self.socket_timeout)
                self.finish_request(request, client_address)
            except (ConnectionError, TimeoutError) as error:
                logger.debug("Dropped %s: %r", client_address[0], error)
            except Exception:
                logger.exception("Error serving %s", client_address[0])
            finally:
                self.shutdown_request(request)

    def server_close(self):
        """Closes the socket, finishes queued and in-flight requests, stops workers.

        Call `shutdown()` first if `serve_forever()` is running. A kept-alive
        idle connection delays this by at most `timeout` seconds.
        """
        if self._closed.is_set():
            return
        self._closed.set()
        super().server_close()
        for _ in self._threads:
            self._connections.put(None)
        deadline = time.monotonic() + self.drain_timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))


class JSONRequestHandler(BaseHTTPRequestHandler):
    """Answers GET and POST with JSON; every error is `{"error": "..."}`.

    Subclasses implement `respond(method)`, which returns the JSON reply or
    raises `RequestError`, and call `read_json()` for a POST body. It runs
    under a `PooledHTTPServer`, whose limits it enforces.
    """

    protocol_version = "HTTP/1.1"

    def respond(self, method: str) -> dict:
        """Returns the reply to the current request (`self.path`, `self.headers`)."""
        raise NotImplementedError

    def do_GET(self):  # noqa: N802 - the name http.server dispatches to
        self._dispatch("GET")

    def do_POST(self):  # noqa: N802 - the name http.server dispatches to
        self._dispatch("POST")

    def parse_request(self) -> bool:
        """Adds method, version and header-size checks to the base parsing."""
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":
            self.send_error(HTTPStatus.BAD_REQUEST, "HTTP/0.9 is not supported.")
        elif self.command not in ("GET", "POST"):
            self.send_error(
                HTTPStatus.METHOD_NOT_ALLOWED,
                f"Method {self.command!r} is not allowed; use GET or POST.",
            )
        elif sum(len(k) + len(v) + 4 for k, v in self.headers.items()) > (
            self.server.max_header_bytes
        ):
            self.send_error(
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                f"The request headers exceed {self.server.max_header_bytes} bytes.",
            )
        else:
            return True
        return False

    def read_json(self):
        """Returns the POST body's JSON, or raises 400, 408 or 413."""
        values = self.headers.get_all("Content-Length") or []
        if "Transfer-Encoding" in self.headers or not values:
            raise RequestError("Send the body with a Content-Length (not chunked).")
        value = values[0].strip()
        if len(set(values)) != 1 or not _DIGITS.fullmatch(value):
            raise RequestError(
                f"Invalid Content-Length {values}: expected one non-negative integer."
            )
        limit = self.server.max_body_bytes
        if len(value) > len(str(limit)) or int(value) > limit:
            raise RequestError(
                f"The request body of {value} bytes exceeds the {limit}-byte limit.",
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            )
        length = int(value)
        try:
            data = self.rfile.read(length)
        except TimeoutError as error:
            raise RequestError(
                f"Timed out reading the body ({self.server.socket_timeout} s).",
                HTTPStatus.REQUEST_TIMEOUT,
            ) from error
        if len(data) < length:
            raise RequestError(
                f"The request body ended after {len(data)} of {length} bytes."
            )
        self._body_pending = False
        return parse_json(data, self.server.max_json_depth)

    def send_error(self, code, message=None, explain=None):
        """Replies `{"error": message}` and closes the connection."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # also the unparsed default
            self.request_version = "HTTP/1.0"  # so the reply has a status line
        self._reply(code, {"error": message or HTTPStatus(code).phrase})

    def log_message(self, format, *args):
        logger.debug("%s %s", self.address_string(), format % args)

    def _dispatch(self, method: str) -> None:
        self._body_pending = any(
            key in self.headers for key in ("Content-Length", "Transfer-Encoding")
        )
        try:
            status, payload = HTTPStatus.OK, self.respond(method)
        except RequestError as error:
            status, payload = error.status, {"error": str(error)}
        except (ConnectionError, TimeoutError):
            raise
        except Exception as error:  # the server must answer, not die
            logger.exception("Error answering %s %s", method, self.path)
            status = HTTPStatus.INTERNAL_SERVER_ERROR
            payload = {"error": f"{type(error).__name__}: {error}"}
        if self._body_pending:  # unread bytes must not parse as the next request
            self.close_connection = True
        self._reply(status, payload)

    def _reply(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode("utf-8")
        if self.server.should_close():
            self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def serve_until_signalled(server: PooledHTTPServer) -> None:
    """Serves until SIGTERM or SIGINT, then finishes in-flight requests and closes.

    Signal handlers can only be installed from the main thread; called from
    another thread, stop it with `server.shutdown()` from a third.

    Args:
        server: a bound `PooledHTTPServer`; it is closed on return.
    """

    def stop(signum, frame):
        logger.info("%s: finishing in-flight requests", signal.Signals(signum).name)
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {
            sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)
        }
    try:
        server.serve_forever()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.server_close()
