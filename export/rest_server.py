"""A small local server speaking the TF Serving REST API (`rnnkit serve`).

It loads every version of an export made by `export_saved_model` with core
TensorFlow only (no Keras, no kit code in the served path) and answers:

- `POST /v1/models/<name>[/versions/<v>]:predict` with `{"instances": [...]}`
  (row format) or `{"inputs": ...}` (columnar), optional `"signature_name"`;
  byte strings as `{"b64": "..."}`. Replies `{"predictions": ...}` or
  `{"outputs": ...}`.
- `GET /v1/models/<name>[/versions/<v>]`: version status.
- `GET /v1/models/<name>[/versions/<v>]/metadata`: signature inputs and outputs.

Errors are `{"error": "..."}` with a 4xx status: 404 for an unknown model,
version or path on every route, 400 for a bad request, 413 for a body over the
limit (see `rest_http` for the worker pool, timeouts and limits). It is for
local testing, demos and load tests: use `tensorflow/serving` (see
export/README.md) in production.
"""

import argparse
import base64
import os
import re
import sys

import numpy as np
import tensorflow as tf

from keras_rnn_kit.export.rest_http import DEFAULT_TIMEOUT
from keras_rnn_kit.export.rest_http import DEFAULT_WORKERS
from keras_rnn_kit.export.rest_http import JSONRequestHandler
from keras_rnn_kit.export.rest_http import PooledHTTPServer
from keras_rnn_kit.export.rest_http import RequestError
from keras_rnn_kit.export.rest_http import serve_until_signalled

DEFAULT_SIGNATURE = "serving_default"
_PATH = re.compile(
    r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>[^/:]+))?"
    r"(?::(?P<verb>[a-z]+)|/(?P<metadata>metadata))?/?$"
)


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
            raise RequestError(
                f"A JSON object in a string input must be {{'b64': ...}}, got keys "
                f"{sorted(value)}."
            )
        try:
            return base64.b64decode(value["b64"], validate=True)
        except (ValueError, TypeError) as error:
            raise RequestError(f"Invalid base64 in {value!r}: {error}") from error
    if isinstance(value, list):
        return [_decode_strings(item) for item in value]
    if isinstance(value, str):
        return value.encode("utf-8")
    raise RequestError(f"Expected a string or {{'b64': ...}}, got {value!r}.")


def _to_tensor(name: str, value, spec):
    """Converts one JSON input to a tensor matching `spec`, or raises 400."""
    try:
        if spec.dtype == tf.string:
            array = np.array(_decode_strings(value), dtype=object)
        else:
            array = np.array(value, dtype=spec.dtype.as_numpy_dtype)
    except (ValueError, TypeError, OverflowError) as error:
        raise RequestError(
            f"Input {name!r}: expected {_dtype_name(spec.dtype)} values of shape "
            f"{spec.shape.as_list()} (pad rows to one length), could not convert: "
            f"{error}"
        ) from error
    if not spec.shape.is_compatible_with(array.shape):
        raise RequestError(
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
            raise RequestError(f"Servable not found for model name {name!r}.", 404)
        if version is None:
            number = max(self.versions)
        elif version.isdigit() and int(version) in self.versions:
            number = int(version)
        else:
            raise RequestError(
                f"Servable not found for model {name!r} version {version!r}; "
                f"available versions: {sorted(self.versions)}.",
                404,
            )
        return number, self.versions[number]

    def status(self, name: str, version: str | None) -> dict:
        number = self.get(name, version)[0]
        numbers = [number] if version else sorted(self.versions)
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
            raise RequestError("The request body must be a JSON object.")
        signature = body.get("signature_name", DEFAULT_SIGNATURE)
        if not isinstance(signature, str) or signature not in loaded.signatures:
            raise RequestError(
                f"Serving signature name {signature!r} not found; available: "
                f"{sorted(loaded.signatures)}."
            )
        function = loaded.signatures[signature]
        specs = function.structured_input_signature[1]
        names = sorted(specs)
        if ("instances" in body) == ("inputs" in body):
            raise RequestError(
                "The request must have exactly one of 'instances' (row format) and "
                f"'inputs' (columnar format); got keys {sorted(body)}."
            )
        columns = self._columns(body, names)
        tensors = {k: _to_tensor(k, columns[k], specs[k]) for k in names}
        try:
            outputs = function(**tensors)
        except (tf.errors.InvalidArgumentError, ValueError, TypeError) as error:
            raise RequestError(f"The model rejected the inputs: {error}") from error
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
                raise RequestError(f"'inputs' must have keys {names}; got {got}.")
            return inputs
        instances = body["instances"]
        if not isinstance(instances, list) or not instances:
            raise RequestError("'instances' must be a non-empty list of rows.")
        columns = {k: [] for k in names}
        for i, row in enumerate(instances):
            if len(names) == 1 and not _is_named(row):
                row = {names[0]: row}
            if not isinstance(row, dict) or sorted(row) != names:
                got = sorted(row) if isinstance(row, dict) else type(row).__name__
                raise RequestError(f"Instance {i} must have keys {names}; got {got}.")
            for k in names:
                columns[k].append(row[k])
        return columns


class _Handler(JSONRequestHandler):
    server_version = "rnnkit-serve"

    def respond(self, method: str) -> dict:
        match = _PATH.match(self.path.split("?")[0])
        if not match:
            raise RequestError(f"Unknown path {self.path!r}.", 404)
        repository = self.server.repository
        name, version = match["name"], match["version"]
        repository.get(name, version)  # an unknown model or version: 404 first
        if match["verb"] not in (None, "predict"):
            raise RequestError(f"Unsupported verb {match['verb']!r}.", 404)
        if method == "GET" and match["verb"] is None:
            if match["metadata"]:
                return repository.metadata(name, version)
            return repository.status(name, version)
        if method == "POST" and match["verb"] == "predict":
            return repository.predict(name, version, self.read_json())
        raise RequestError(f"Unsupported {method} {self.path!r}.", 405)


def make_server(
    model_dir: str,
    port: int = 0,
    host: str = "127.0.0.1",
    model_name: str | None = None,
    **options,
) -> PooledHTTPServer:
    """Loads the model and binds a server with a bounded worker pool.

    Call `serve_forever()` on the result (e.g. in a thread), then `shutdown()`
    and `server_close()`. `server.server_address[1]` is the bound port.

    Args:
        model_dir: a base folder of numbered versions, or one SavedModel folder.
        port: the TCP port; 0 picks a free one.
        host: the interface to bind.
        model_name: the name in URLs; default: the base folder's name.
        **options: `PooledHTTPServer` limits: `workers`, `timeout` (seconds a
            socket read or write may wait), `backlog`, `max_body_bytes`, ...
    """
    repository = ModelRepository(model_dir, model_name)
    server = PooledHTTPServer((host, port), _Handler, **options)
    server.repository = repository
    return server


def serve(
    model_dir: str,
    port: int,
    host: str = "127.0.0.1",
    model_name: str | None = None,
    **options,
):
    """Serves `model_dir` on `host:port` until SIGTERM or SIGINT (Ctrl-C).

    On either signal it stops accepting, finishes in-flight requests, closes
    the socket and returns. Arguments are those of `make_server`.

    Example:

    >>> serve("exported/classifier", port=8501, timeout=5.0)  # doctest: +SKIP
    """
    server = make_server(model_dir, port, host, model_name, **options)
    repository = server.repository
    print(
        f"Serving {repository.name!r} versions {sorted(repository.versions)} at "
        f"http://{host}:{server.server_address[1]}/v1/models/{repository.name}",
        flush=True,
    )
    serve_until_signalled(server)


def main(argv=None) -> int:
    """`rnnkit serve MODEL_DIR --port N [--host H] [--model-name NAME] ...`."""
    parser = argparse.ArgumentParser(
        prog="rnnkit serve",
        description="Serve an exported model with the TF Serving REST API.",
    )
    parser.add_argument("model_dir", help="base folder of numbered SavedModels")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--model-name", default=None)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help="socket timeout (s)"
    )
    args = parser.parse_args(argv)
    serve(
        args.model_dir,
        args.port,
        args.host,
        args.model_name,
        workers=args.workers,
        timeout=args.timeout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
