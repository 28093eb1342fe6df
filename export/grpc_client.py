"""A gRPC client for TF Serving's `PredictionService`, on `tensorflow-serving-api`.

TF Serving answers gRPC on port 8500 (REST on 8501). `predict_grpc` sends one
`PredictRequest` and returns the outputs as numpy arrays; gRPC failures become
Python errors that name the server, the model and the gRPC status.
"""

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import prediction_service_pb2_grpc

from keras_rnn_kit.export.warmup import predict_request

_UNREACHABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
_BAD_REQUEST = (
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
)


def _rpc_error(error: grpc.RpcError, target: str, model_name: str, signature_name):
    """Turns a failed `Predict` call into `ConnectionError`, `ValueError` or
    `RuntimeError` with a message naming the server and the status."""
    code = error.code() if callable(getattr(error, "code", None)) else None
    details = error.details() if callable(getattr(error, "details", None)) else ""
    status = f"{code.name if code else 'UNKNOWN'}: {details}"
    if code in _UNREACHABLE:
        return ConnectionError(
            f"TF Serving at {target} did not answer ({status}). Check that "
            "tensorflow_model_server runs there and that this is its gRPC port "
            "(8500 by default, not the REST port 8501)."
        )
    request = f"model {model_name!r}, signature {signature_name!r}"
    if code in _BAD_REQUEST:
        return ValueError(f"TF Serving at {target} refused {request} ({status}).")
    return RuntimeError(f"TF Serving at {target} failed on {request} ({status}).")


def predict_grpc(
    target: str,
    model_name: str,
    inputs: dict,
    signature_name: str = "serving_default",
    timeout: float = 10.0,
) -> dict[str, np.ndarray]:
    """Calls TF Serving's gRPC `Predict` and returns the outputs as numpy arrays.

    Args:
        target: `host:port` of the server's gRPC port, e.g. `"localhost:8500"`.
        model_name: the served model's name (`models.config`'s `name`).
        inputs: `{input name: array-like}`, every input of the signature; strings
            may be `str` or `bytes`.
        signature_name: the SavedModel signature to run.
        timeout: seconds to wait for the answer.

    Returns:
        `{output name: np.ndarray}`, sorted by name; strings come back as bytes.

    Raises:
        ConnectionError: no server answered at `target` within `timeout`.
        ValueError: the server refused the request (unknown model or signature,
            inputs of the wrong name, dtype or shape).
        RuntimeError: any other gRPC failure.

    Example:

    ```python
    predict_grpc("localhost:8500", "classifier", {"text": ["the food was good"]})
    # {'probs': array([[0.12, 0.88]], dtype=float32)}
    ```
    """
    request = predict_request(model_name, signature_name, inputs)
    with grpc.insecure_channel(target) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        try:
            response = stub.Predict(request, timeout=timeout)
        except grpc.RpcError as error:
            raise _rpc_error(error, target, model_name, signature_name) from error
    outputs = response.outputs
    return {name: tf.make_ndarray(outputs[name]) for name in sorted(outputs)}
