"""TF Serving model warmup: `assets.extra/tf_serving_warmup_requests`.

TF Serving replays the `PredictionLog` records of this TFRecord file when it
loads a version, before the version serves, so the first real requests do not
pay for graph initialisation. A request that fails there makes the whole
version fail to load, so `export_saved_model` runs every request through the
signature before it writes the file.
"""

import os

import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_log_pb2

from keras_rnn_kit.data.image_io import encode_png
from keras_rnn_kit.export.errors import ExportError

ASSETS_EXTRA = "assets.extra"
WARMUP_FILE = "tf_serving_warmup_requests"
WARMUP_BATCH_SIZES = (1, 8)


def _sample_value(spec):
    """One example value for `spec`: see `spec_samples`."""
    if spec.dtype.is_floating:
        return 0.5
    if spec.dtype.is_bool:
        return True
    if spec.dtype.is_integer:
        return 1
    if "image" in spec.name:
        return encode_png(np.full((32, 32, 3), 128, np.uint8))
    return "good"


def spec_samples(input_signature, rows: int, steps: int = 5) -> dict[str, np.ndarray]:
    """Example inputs for a signature, with `rows` rows.

    Unknown non-batch axes get length `steps`. Floats are 0.5, integers 1 (a
    token id past the reserved padding id 0), booleans True, strings whose spec
    name contains `image` a 32x32 grey PNG and other strings the one word
    `"good"`, which fits any text length.

    Args:
        input_signature: the named `tf.TensorSpec`s of a signature.
        rows: the batch size, used where the batch axis is unknown.
        steps: the length of the other unknown axes.

    Returns:
        `{spec.name: np.ndarray}`.

    Example:

    >>> spec = tf.TensorSpec((None, None, 3), tf.float32, name="features")
    >>> spec_samples([spec], rows=2)["features"].shape
    (2, 5, 3)
    """
    samples = {}
    for spec in input_signature:
        dims = spec.shape.as_list()
        shape = [
            (rows if axis == 0 else steps) if size is None else size
            for axis, size in enumerate(dims)
        ]
        value = _sample_value(spec)
        dtype = object if isinstance(value, str | bytes) else spec.dtype.as_numpy_dtype
        samples[spec.name] = np.full(shape, value, dtype=dtype)
    return samples


def _batch_sizes(input_signature) -> tuple[int, ...]:
    """`WARMUP_BATCH_SIZES` where every batch axis is unknown, else the fixed one."""
    fixed = {
        spec.shape[0] for spec in input_signature if spec.shape.rank and spec.shape[0]
    }
    unbatched = any(spec.shape.rank == 0 for spec in input_signature)
    if fixed or unbatched:
        return (min(fixed or {1}),)
    return WARMUP_BATCH_SIZES


def warmup_inputs(function) -> list[dict[str, np.ndarray]]:
    """Example inputs for a signature `tf.function`, one dict per warmup request:
    1 and 8 rows where its batch axis is unknown, else its fixed batch."""
    specs = function.input_signature
    return [spec_samples(specs, rows) for rows in _batch_sizes(specs)]


def predict_request(
    model_name: str, signature_name: str, inputs: dict
) -> predict_pb2.PredictRequest:
    """Builds a TF Serving `PredictRequest` from `{name: array-like}`."""
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model_name
    request.model_spec.signature_name = signature_name
    for name, value in inputs.items():
        request.inputs[name].CopyFrom(tf.make_tensor_proto(np.asarray(value)))
    return request


def check_warmup_inputs(function, signature_name: str, inputs: dict) -> None:
    """Runs `function` on `inputs`; raises `ExportError` if it fails."""
    names = [spec.name for spec in function.input_signature]
    if sorted(inputs) != sorted(names):
        raise ExportError(
            f"Warmup inputs for signature {signature_name!r} must be named "
            f"{sorted(names)}, got {sorted(inputs)}."
        )
    try:
        function(*[tf.constant(np.asarray(inputs[name])) for name in names])
    except Exception as error:
        shapes = {name: np.shape(value) for name, value in inputs.items()}
        raise ExportError(
            f"Signature {signature_name!r} fails on the warmup request {shapes}, and "
            "TF Serving would refuse to load a version whose warmup fails: pass "
            f"`warmup=` inputs that it accepts, or `warmup=False`. ({error})"
        ) from error


def write_warmup_file(
    version_dir: str,
    model_name: str,
    requests: list[dict],
    signature_name: str = "serving_default",
) -> str:
    """Writes `version_dir/assets.extra/tf_serving_warmup_requests`.

    Args:
        version_dir: a SavedModel folder (a version under the base path).
        model_name: the `model_spec.name` of every request.
        requests: one `{input name: array-like}` per request.
        signature_name: the `model_spec.signature_name` of every request.

    Returns:
        The path of the TFRecord file of `PredictionLog` records.
    """
    folder = os.path.join(version_dir, ASSETS_EXTRA)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, WARMUP_FILE)
    with tf.io.TFRecordWriter(path) as writer:
        for inputs in requests:
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(
                    request=predict_request(model_name, signature_name, inputs)
                )
            )
            writer.write(log.SerializeToString())
    return path
