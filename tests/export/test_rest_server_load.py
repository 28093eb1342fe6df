"""The REST server under load: bursts, stalled clients and hostile requests.

A server with a short socket timeout serves the stalled and hostile clients,
one with a long timeout the burst; each test talks to it over 127.0.0.1 only and
ends by itself.
"""

import contextlib
import http.client
import json
import logging
import math
import socket
import threading
import time

import pytest

from keras_rnn_kit.export.rest_server import make_server
from tests.export.conftest import TEXTS

WORKERS = 64
SOCKET_TIMEOUT = 1.0
CLIENT_TIMEOUT = 30
PREDICT = "/v1/models/classifier:predict"
BODY = json.dumps({"instances": TEXTS.tolist()}).encode()


@contextlib.contextmanager
def _serving(classifier_export, timeout):
    server = make_server(
        classifier_export, workers=WORKERS, timeout=timeout, max_json_depth=32
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=CLIENT_TIMEOUT)


@pytest.fixture(scope="module")
def server(classifier_export):
    with _serving(classifier_export, SOCKET_TIMEOUT) as server:
        yield server


@pytest.fixture
def patient_server(classifier_export):
    """A server whose socket timeout outlasts any client delay on a loaded
    machine: the burst tests the backlog and the pool, not the timeout."""
    with _serving(classifier_export, CLIENT_TIMEOUT) as server:
        yield server


def _predict(port: int) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    try:
        connection.request("POST", PREDICT, BODY, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.mark.slow
def test_burst_of_200_concurrent_predicts_all_succeed(patient_server):
    port = patient_server.server_address[1]
    count = 200
    barrier = threading.Barrier(count)
    results = [None] * count

    def client(i):
        barrier.wait(timeout=CLIENT_TIMEOUT)
        try:
            status, reply = _predict(port)
            results[i] = (status, len(reply.get("predictions", [])))
        except OSError as error:
            results[i] = repr(error)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * CLIENT_TIMEOUT)
    assert results == [(200, len(TEXTS))] * count


@pytest.mark.slow
def test_stalled_clients_release_their_workers(server):
    port = server.server_address[1]
    baseline_threads = threading.active_count()
    partial = [
        f"POST {PREDICT} HTTP/1.1\r\nHost: x\r\n".encode(),  # headers never end
        f"POST {PREDICT} HTTP/1.1\r\nContent-Length: 99\r\n\r\n{{".encode(),
    ]
    start = time.monotonic()
    stalled = []
    try:
        for i in range(300):
            sock = socket.create_connection(("127.0.0.1", port), CLIENT_TIMEOUT)
            stalled.append(sock)
            sock.sendall(partial[i % 2])
        assert _predict(port)[0] == 200  # queued behind them, still answered
        assert threading.active_count() <= baseline_threads  # no thread per client
        replies = []
        for sock in stalled:  # the server closes every one of them
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
            replies.append(b"".join(chunks))
    finally:
        for sock in stalled:
            sock.close()
    elapsed = time.monotonic() - start
    assert all(reply == b"" for reply in replies[::2])
    assert all(reply.startswith(b"HTTP/1.1 408") for reply in replies[1::2])
    rounds = math.ceil(len(stalled) / WORKERS)
    assert elapsed < rounds * SOCKET_TIMEOUT + 10, elapsed
    before = time.monotonic()
    assert _predict(port)[0] == 200
    assert time.monotonic() - before < 5


def _post(body: bytes, path: str = PREDICT, headers: str = "") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\n{headers}"
    if "Content-Length" not in headers:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode("latin-1") + b"\r\n" + body


def _get(path: str, method: str = "GET") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode("latin-1")


NESTED = b"[" * 100_000 + b"]" * 100_000
HOSTILE = {
    **{
        f"method {method!r}": f"{method} /v1/models/classifier HTTP/1.1\r\n\r\n".encode(
            "latin-1"
        )
        for method in [
            "PUT",
            "DELETE",
            "PATCH",
            "HEAD",
            "OPTIONS",
            "TRACE",
            "CONNECT",
            "FOO",
            "get",
            "G\x00T",
            "GET\xff",
        ]
    },
    "one-word request line": b"GET\r\n\r\n",
    "four-word request line": b"GET / HTTP/1.1 extra\r\n\r\n",
    "bad version": b"GET / HTTP/x.y\r\n\r\n",
    "HTTP/0.9": b"GET /v1/models/classifier\r\n",
    "binary request line": b"\x00\x01\x02\xff\r\n\r\n",
    "70 kB URI": _get("/v1/models/" + "a" * 70_000),
    "non-UTF-8 path": b"GET /v1/models/\xff\xfe HTTP/1.1\r\n\r\n",
    **{
        f"path {path!r}": _get(path)
        for path in [
            "/",
            "/v1",
            "/v1/models",
            "/v1/models/",
            "/v1/models/nope",
            "/v1/models/nope/metadata",
            "/v1/models/classifier/versions/9",
            "/v1/models/classifier/versions/abc/metadata",
            "/v1/models/classifier/versions/-1",
            "/v1/models/class\x00ifier",
            "/../../etc/passwd",
            "/v1/models/classifier:predict",
        ]
    },
    "POST to status": _post(BODY, "/v1/models/classifier"),
    "POST :classify": _post(BODY, "/v1/models/classifier:classify"),
    "POST to unknown model": _post(b"{oops", "/v1/models/nope:predict"),
    "no Content-Length": f"POST {PREDICT} HTTP/1.1\r\n\r\n".encode(),
    **{
        f"Content-Length {value!r}": _post(BODY, headers=f"Content-Length: {value}\r\n")
        for value in ["-1", "abc", "1e3", "+5", "0x10", "\u00b2", "", "9" * 30]
    },
    "Content-Length over the limit": _post(
        b"", headers=f"Content-Length: {10**12}\r\n"
    ),
    "conflicting Content-Lengths": _post(
        BODY, headers=f"Content-Length: {len(BODY)}\r\nContent-Length: 3\r\n"
    ),
    "chunked": _post(
        b"5\r\nhello\r\n0\r\n\r\n", headers="Transfer-Encoding: chunked\r\n"
    ),
    "Content-Length 0": _post(b""),
    "truncated body": _post(BODY[:10], headers=f"Content-Length: {len(BODY)}\r\n"),
    **{
        f"body {body[:40]!r}": _post(body)
        for body in [
            b"{not json",
            b"null",
            b"[]",
            b"5",
            b'"x"',
            b'{"instances": 5}',
            b'{"instances": []}',
            b'{"instances": [5]}',
            b'{"instances": [null]}',
            b'{"inputs": {"text": [1]}}',
            b'{"inputs": {"txt": ["a"]}}',
            b'{"inputs": [[["a"]]]}',
            b'{"inputs": "a"}',
            b'{"inputs": [NaN]}',
            b'{"instances": ["a"], "inputs": ["a"]}',
            b'{"instances": ["a"], "signature_name": ["x"]}',
            b'{"instances": ["a"], "signature_name": null}',
            b'{"inputs": [{"b64": 5}]}',
            b'{"inputs": [{"b64": "%%"}]}',
            b'{"inputs": [{"b64": "YQ==", "x": 1}]}',
            b'{"inputs": [' + b"9" * 5000 + b"]}",
            b'{"instances": ["a\x00"]}',
            b"\xff\xfe{}",
            b'{"instances": ' + b"[" * 40 + b"]" * 40 + b"}",
            NESTED,
        ]
    },
    "200 kB header line": _get("/v1/models/classifier")[:-2]
    + b"X-Big: "
    + b"a" * 200_000
    + b"\r\n\r\n",
    "150 headers": _get("/v1/models/classifier")[:-2] + b"X-A: 1\r\n" * 150 + b"\r\n",
    "80 kB of headers": _get("/v1/models/classifier")[:-2]
    + b"".join(b"X-%d: %s\r\n" % (i, b"a" * 1000) for i in range(80))
    + b"\r\n",
    "NUL in a header": _get("/v1/models/nope")[:-2] + b"X-A: \x00\x00\r\n\r\n",
    "header without a colon": _get("/v1/models/nope")[:-2] + b"garbage\r\n\r\n",
}


def _exchange(port: int, request: bytes) -> tuple[int, bytes]:
    """Sends `request` (then half-closes) and returns the reply's status and body."""
    with socket.create_connection(("127.0.0.1", port), CLIENT_TIMEOUT) as sock:

        def send():
            try:
                sock.sendall(request)
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server may answer and close before reading it all

        sender = threading.Thread(target=send)
        sender.start()
        method = "HEAD" if request.startswith(b"HEAD") else "GET"
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        body = response.read()
        sender.join(timeout=CLIENT_TIMEOUT)
        return response.status, body


def test_hostile_requests_get_4xx_json_errors(server, caplog):
    assert len(HOSTILE) >= 50
    port = server.server_address[1]
    failures = {}
    with caplog.at_level(logging.DEBUG, logger="keras_rnn_kit.export.rest_http"):
        for name, request in HOSTILE.items():
            status, body = _exchange(port, request)
            has_error = not body or "error" in json.loads(body)  # HEAD: no body
            if not 400 <= status < 500 or not has_error:
                failures[name] = (status, body[:200])
    assert not failures
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert _predict(port)[0] == 200
