"""A small local server speaking the TF Serving REST API (`rnnkit serve`).

It loads every version of an export made by `export_saved_model` with core
TensorFlow only (no Keras, no kit code in the served path) and answers:

- `POST /v1/models/<name>[/versions/<v>]:predict` with `{"instances": [...]}`
  (row format) or `{"inputs": ...}` (columnar), optional `"signature_name"`;
  byte strings as `{"b64": "..."}`. Replies `{"predictions": ...}` or
  `{"outputs": ...}`.
- `GET /v1/models/<name>[/versions/<v>]`: version status.
- `GET /v1/models/<name>[/versions/<v>]/metadata`: signature inputs and outputs.

Errors are `{"error": "..."}` with status 400 (bad request) or 404 (unknown
model, version or path). It is for local testing and demos: use
`tensorflow/serving` (see export/README.md) in production.
"""

import argparse
import base64
import json
import os
import re
import sys
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

import numpy as np
import tensorflow as tf

DEFAULT_SIGNATURE = "serving_default"
_PATH = re.compile(
    r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>[^/:]+))?"
    r"(?::(?P<verb>[a-z]+)|/(?P<metadata>metadata))?/?$"
)


class _RequestError(Exception):
    """A request the server rejects, with its HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _find_versions(model_dir: str) -> tuple[str, dict[int, str]]:
    model_dir = os.path.abspath(model_dir)
    if os.path.isfile(os.path.join(model_dir, "saved_model.pb")):
        base = os.path.basename(model_dir)
        if base.isdigit():
            return os.path.basename(os.path.dirname(model_dir)), {int(base): model_dir}
        return base, {1: model_dir}
    versions = {}
    if os.path.isdir(model_dir):
        for name in os.listdir(model_dir):
            path = os.path.join(model_dir, name)
            if name.isdigit() and os.path.isfile(os.path.join(path, "saved_model.pb")):
                versions[int(name)] = path
    if not versions:
        raise FileNotFoundError(
            "`model_dir` must be a SavedModel or a folder of numbered SavedModel "
            f"versions (as written by export_saved_model); got {model_dir!r}."
        )
    return os.path.basename(model_dir), versions


def _dtype_name(dtype) -> str:
    return "DT_" + tf.as_dtype(dtype).name.upper()


def _decode_strings(value):
    if isinstance(value, dict):
        if set(value) != {"b64"}:
            raise _RequestError(
                f"A JSON object in a string input must be {{'b64': ...}}, got keys "
                f"{sorted(value)}."
            )
        try:
            return base64.b64decode(value["b64"], validate=True)
        except (ValueError, TypeError) as error:
            raise _RequestError(f"Invalid base64 in {value!r}: {error}") from error
    if isinstance(value, list):
        return [_decode_strings(item) for item in value]
    if isinstance(value, str):
        return value.encode("utf-8")
    raise _RequestError(f"Expected a string or {{'b64': ...}}, got {value!r}.")


def _to_tensor(name: str, value, spec):
    """Converts one JSON input to a tensor matching `spec`, or raises 400."""
    try:
        if spec.dtype == tf.string:
            array = np.array(_decode_strings(value), dtype=object)
        else:
            array = np.array(value, dtype=spec.dtype.as_numpy_dtype)
    except (ValueError, TypeError) as error:
        raise _RequestError(
            f"Input {name!r}: expected {_dtype_name(spec.dtype)} values of shape "
            f"{spec.shape.as_list()} (pad rows to one length), could not convert: "
            f"{error}"
        ) from error
    if not spec.shape.is_compatible_with(array.shape):
        raise _RequestError(
            f"Input {name!r}: expected shape {spec.shape.as_list()} (None: any), "
            f"received shape {list(array.shape)}."
        )
    return tf.constant(array, dtype=spec.dtype)


def _to_json(name: str, array: np.ndarray):
    if array.dtype == object:
        binary = name.endswith("_bytes")

        def encode(item):
            if isinstance(item, list):
                return [encode(i) for i in item]
            if binary:
                return {"b64": base64.b64encode(item).decode("ascii")}
            try:
                return item.decode("utf-8")
            except UnicodeDecodeError:
                return {"b64": base64.b64encode(item).decode("ascii")}

        return encode(array.tolist())
    return array.tolist()


def _is_named(value) -> bool:
    """Whether a JSON value is `{input name: value}` rather than one input value."""
    return isinstance(value, dict) and set(value) != {"b64"}


class ModelRepository:
    """The versions of one exported model, loaded with `tf.saved_model.load`.

    Args:
        model_dir: a base folder of numbered versions, or one SavedModel folder.
        model_name: the name in URLs; default: the base folder's name.
    """

    def __init__(self, model_dir: str, model_name: str | None = None):
        name, paths = _find_versions(model_dir)
        self.name = model_name or name
        self.versions = {v: tf.saved_model.load(p) for v, p in sorted(paths.items())}

    def get(self, name: str, version: str | None):
        if name != self.name:
            raise _RequestError(f"Servable not found for model name {name!r}.", 404)
        if version is None:
            number = max(self.versions)
        elif version.isdigit() and int(version) in self.versions:
            number = int(version)
        else:
            raise _RequestError(
                f"Servable not found for model {name!r} version {version!r}; "
                f"available versions: {sorted(self.versions)}.",
                404,
            )
        return number, self.versions[number]

    def status(self, name: str, version: str | None) -> dict:
        numbers = [self.get(name, version)[0]] if version else sorted(self.versions)
        return {
            "model_version_status": [
                {
                    "version": str(number),
                    "state": "AVAILABLE",
                    "status": {"error_code": "OK", "error_message": ""},
                }
                for number in numbers
            ]
        }

    def metadata(self, name: str, version: str | None) -> dict:
        number, loaded = self.get(name, version)
        signatures = {}
        for key, function in loaded.signatures.items():
            inputs = function.structured_input_signature[1]
            signatures[key] = {
                "inputs": {
                    k: {"dtype": _dtype_name(s.dtype), "shape": s.shape.as_list()}
                    for k, s in inputs.items()
                },
                "outputs": {
                    k: {"dtype": _dtype_name(s.dtype), "shape": s.shape.as_list()}
                    for k, s in function.structured_outputs.items()
                },
            }
        return {
            "model_spec": {"name": name, "version": str(number)},
            "metadata": {"signature_def": signatures},
        }

    def predict(self, name: str, version: str | None, body: dict) -> dict:
        _, loaded = self.get(name, version)
        if not isinstance(body, dict):
            raise _RequestError("The request body must be a JSON object.")
        signature = body.get("signature_name", DEFAULT_SIGNATURE)
        if signature not in loaded.signatures:
            raise _RequestError(
                f"Serving signature name {signature!r} not found; available: "
                f"{sorted(loaded.signatures)}."
            )
        function = loaded.signatures[signature]
        specs = function.structured_input_signature[1]
        names = sorted(specs)
        if ("instances" in body) == ("inputs" in body):
            raise _RequestError(
                "The request must have exactly one of 'instances' (row format) and "
                f"'inputs' (columnar format); got keys {sorted(body)}."
            )
        columns = self._columns(body, names)
        tensors = {k: _to_tensor(k, columns[k], specs[k]) for k in names}
        try:
            outputs = function(**tensors)
        except (tf.errors.InvalidArgumentError, ValueError, TypeError) as error:
            raise _RequestError(f"The model rejected the inputs: {error}") from error
        arrays = {k: v.numpy() for k, v in outputs.items()}
        if "inputs" in body:
            json_outputs = {k: _to_json(k, v) for k, v in arrays.items()}
            if len(json_outputs) == 1:
                return {"outputs": next(iter(json_outputs.values()))}
            return {"outputs": json_outputs}
        rows = {k: _to_json(k, v) for k, v in arrays.items()}
        if len(rows) == 1:
            return {"predictions": next(iter(rows.values()))}
        count = len(next(iter(rows.values())))
        return {
            "predictions": [{k: v[i] for k, v in rows.items()} for i in range(count)]
        }

    @staticmethod
    def _columns(body: dict, names: list[str]) -> dict:
        """Returns `{input: JSON value}` from either request format."""
        if "inputs" in body:
            inputs = body["inputs"]
            if len(names) == 1 and not _is_named(inputs):
                inputs = {names[0]: inputs}
            if not isinstance(inputs, dict) or sorted(inputs) != names:
                got = (
                    sorted(inputs)
                    if isinstance(inputs, dict)
                    else type(inputs).__name__
                )
                raise _RequestError(f"'inputs' must have keys {names}; got {got}.")
            return inputs
        instances = body["instances"]
        if not isinstance(instances, list) or not instances:
            raise _RequestError("'instances' must be a non-empty list of rows.")
        columns = {k: [] for k in names}
        for i, row in enumerate(instances):
            if len(names) == 1 and not _is_named(row):
                row = {names[0]: row}
            if not isinstance(row, dict) or sorted(row) != names:
                got = sorted(row) if isinstance(row, dict) else type(row).__name__
                raise _RequestError(f"Instance {i} must have keys {names}; got {got}.")
            for k in names:
                columns[k].append(row[k])
        return columns


class _Handler(BaseHTTPRequestHandler):
    server_version = "rnnkit-serve"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        return

    def _reply(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self, method: str):
        match = _PATH.match(self.path.split("?")[0])
        if not match:
            raise _RequestError(f"Unknown path {self.path!r}.", 404)
        repository = self.server.repository
        name, version = match["name"], match["version"]
        if method == "GET" and match["verb"] is None:
            if match["metadata"]:
                return repository.metadata(name, version)
            return repository.status(name, version)
        if method == "POST" and match["verb"] == "predict":
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise _RequestError(
                    f"The request body is not valid JSON: {error}"
                ) from error
            return repository.predict(name, version, body)
        raise _RequestError(f"Unsupported {method} {self.path!r}.", 404)

    def _handle(self, method: str) -> None:
        try:
            self._reply(200, self._route(method))
        except _RequestError as error:
            self._reply(error.status, {"error": str(error)})
        except Exception as error:  # the server must answer, not die
            self._reply(500, {"error": f"{type(error).__name__}: {error}"})

    def do_GET(self):  # noqa: N802 - the name http.server dispatches to
        self._handle("GET")

    def do_POST(self):  # noqa: N802 - the name http.server dispatches to
        self._handle("POST")


def make_server(
    model_dir: str, port: int = 0, host: str = "127.0.0.1", model_name=None
) -> ThreadingHTTPServer:
    """Loads the model and binds a threaded server (port 0: any free port).

    Call `serve_forever()` on the result (e.g. in a thread), then `shutdown()`
    and `server_close()`. `server.server_address[1]` is the bound port.
    """
    repository = ModelRepository(model_dir, model_name)
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    server.repository = repository
    return server


def serve(model_dir: str, port: int, host: str = "127.0.0.1", model_name=None):
    """Serves `model_dir` on `host:port` until interrupted (Ctrl-C).

    Example:

    >>> serve("exported/classifier", port=8501)  # doctest: +SKIP
    """
    server = make_server(model_dir, port, host, model_name)
    repository = server.repository
    print(
        f"Serving {repository.name!r} versions {sorted(repository.versions)} at "
        f"http://{host}:{server.server_address[1]}/v1/models/{repository.name}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv=None) -> int:
    """`rnnkit serve MODEL_DIR --port N [--host H] [--model-name NAME]`."""
    parser = argparse.ArgumentParser(
        prog="rnnkit serve",
        description="Serve an exported model with the TF Serving REST API.",
    )
    parser.add_argument("model_dir", help="base folder of numbered SavedModels")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--model-name", default=None)
    args = parser.parse_args(argv)
    serve(args.model_dir, args.port, args.host, args.model_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
