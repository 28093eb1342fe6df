"""The local TF Serving REST API: predict (row and columnar), b64, status, errors."""

import base64
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from keras_rnn_kit.export.rest_http import serve_until_signalled
from keras_rnn_kit.export.rest_server import make_server
from tests.export.conftest import TEXTS
from tests.test_case import REPO_ROOT

TIMEOUT = 30


@pytest.fixture(scope="module")
def server_url(classifier_export):
    server = make_server(classifier_export, port=0, host="127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=TIMEOUT)


def _request(url, body=None, raw=None):
    """Returns `(status, json)`; `body` is sent as JSON, `raw` as bytes."""
    data = raw if raw is not None else (None if body is None else json.dumps(body))
    if isinstance(data, str):
        data = data.encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_row_format_matches_keras(server_url, text_classifier):
    status, reply = _request(
        f"{server_url}/v1/models/classifier:predict",
        {"instances": TEXTS.tolist()},
    )
    assert status == 200
    np.testing.assert_allclose(
        np.array(reply["predictions"]), text_classifier(TEXTS).numpy(), atol=1e-5
    )


def test_columnar_format_and_b64_strings(server_url, text_classifier):
    encoded = [{"b64": base64.b64encode(t.encode()).decode()} for t in TEXTS]
    status, reply = _request(
        f"{server_url}/v1/models/classifier/versions/1:predict",
        {"signature_name": "serving_default", "inputs": {"text": encoded}},
    )
    assert status == 200
    np.testing.assert_allclose(
        np.array(reply["outputs"]), text_classifier(TEXTS).numpy(), atol=1e-5
    )


def test_status_and_metadata(server_url):
    status, reply = _request(f"{server_url}/v1/models/classifier")
    assert status == 200
    versions = [v["version"] for v in reply["model_version_status"]]
    assert versions == ["1", "2"]
    assert {v["state"] for v in reply["model_version_status"]} == {"AVAILABLE"}
    status, reply = _request(f"{server_url}/v1/models/classifier/metadata")
    assert reply["model_spec"]["version"] == "2"
    inputs = reply["metadata"]["signature_def"]["serving_default"]["inputs"]
    assert inputs == {"text": {"dtype": "DT_STRING", "shape": [None]}}


@pytest.mark.parametrize(
    ("path", "body", "raw", "code", "message"),
    [
        ("/v1/models/nope:predict", {"instances": ["a"]}, None, 404, "nope"),
        (
            "/v1/models/classifier/versions/9:predict",
            {"instances": ["a"]},
            None,
            404,
            "available versions: [1, 2]",
        ),
        ("/v1/models/classifier:predict", None, "{not json", 400, "not valid JSON"),
        ("/v1/models/classifier:predict", {"rows": ["a"]}, None, 400, "exactly one of"),
        (
            "/v1/models/classifier:predict",
            {"instances": [{"txt": "a"}]},
            None,
            400,
            "Instance 0 must have keys ['text']",
        ),
        (
            "/v1/models/classifier:predict",
            {"inputs": [[1.5]]},
            None,
            400,
            "Expected a string",
        ),
        (
            "/v1/models/classifier:predict",
            {"inputs": [["a", "b"]]},
            None,
            400,
            "expected shape [None] (None: any), received shape [1, 2]",
        ),
        (
            "/v1/models/classifier:predict",
            {"instances": ["a"], "signature_name": "x"},
            None,
            400,
            "'x' not found",
        ),
        (
            "/v1/models/classifier:predict",
            {"inputs": [{"b64": "%%"}]},
            None,
            400,
            "Invalid base64",
        ),
        ("/v2/elsewhere", {"instances": ["a"]}, None, 404, "Unknown path"),
        ("/v1/models/nope", None, None, 404, "'nope'"),
        ("/v1/models/nope/metadata", None, None, 404, "'nope'"),
        ("/v1/models/classifier/versions/9", None, None, 404, "versions: [1, 2]"),
        ("/v1/models/classifier/versions/x/metadata", None, None, 404, "'x'"),
        ("/v1/models/classifier:predict", None, None, 405, "Unsupported GET"),
        ("/v1/models/classifier:predict", None, "[" * 5000, 400, "nests"),
    ],
)
def test_bad_requests_get_json_errors(server_url, path, body, raw, code, message):
    status, reply = _request(server_url + path, body, raw)
    assert status == code
    assert message in reply["error"]


def _start_predict(port, model="classifier"):
    """Opens a predict request whose last body bytes are not sent yet."""
    body = json.dumps({"instances": TEXTS.tolist()}).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.sendall(
        f"POST /v1/models/{model}:predict HTTP/1.1\r\n".encode()
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[:5]
    )
    return sock, body[5:]


def _finish_predict(sock, rest):
    """Sends the rest of the body; returns the reply's status and JSON."""
    sock.sendall(rest)
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, json.loads(response.read())


def test_sigint_finishes_in_flight_requests_then_closes(classifier_export):
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers need the main thread")
    server = make_server(classifier_export, workers=2, timeout=TIMEOUT)
    port = server.server_address[1]
    previous = signal.getsignal(signal.SIGINT)
    sock, rest = _start_predict(port)
    replies = []

    def client():
        while signal.getsignal(signal.SIGINT) is previous:  # not yet serving
            time.sleep(0.05)
        time.sleep(0.3)  # the connection is accepted and its body half read
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.3)
        replies.append(_finish_predict(sock, rest))  # in flight across the signal

    thread = threading.Thread(target=client)
    thread.start()
    with sock:
        serve_until_signalled(server)
        thread.join(timeout=TIMEOUT)
    assert replies and replies[0][0] == 200
    assert len(replies[0][1]["predictions"]) == len(TEXTS)
    assert signal.getsignal(signal.SIGINT) is previous
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_main_serves_until_sigterm_then_exits_0(classifier_export, text_classifier):
    port = _free_port()
    code = (
        "import sys; from keras_rnn_kit.export.rest_server import main; "
        f"sys.exit(main([{classifier_export!r}, '--port', '{port}', "
        "'--model-name', 'reviews']))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        assert f"127.0.0.1:{port}/v1/models/reviews" in banner
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                status, reply = _request(
                    f"http://127.0.0.1:{port}/v1/models/reviews:predict",
                    {"instances": [{"text": TEXTS[0]}]},
                )
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        assert status == 200
        np.testing.assert_allclose(
            reply["predictions"], text_classifier(TEXTS[:1]).numpy(), atol=1e-5
        )
        sock, rest = _start_predict(port, "reviews")
        with sock:
            time.sleep(0.5)  # accepted, body half read
            process.terminate()  # SIGTERM
            time.sleep(0.5)
            status, reply = _finish_predict(sock, rest)  # the in-flight request
        assert status == 200
        assert process.wait(timeout=TIMEOUT) == 0
    finally:
        process.kill()
        process.wait(timeout=TIMEOUT)
