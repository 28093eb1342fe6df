"""TFLite / LiteRT export with builtin ops only, one or several signatures."""

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import tensorflow as tf

from keras_rnn_kit.export import tflite_convert_worker
from keras_rnn_kit.export.errors import ExportError
from keras_rnn_kit.export.fused_lstm import fused_lstm_layers
from keras_rnn_kit.export.ops import check_tflite_ops
from keras_rnn_kit.export.ops import tflite_quantization
from keras_rnn_kit.export.signatures import check_built
from keras_rnn_kit.export.signatures import frozen
from keras_rnn_kit.export.signatures import iter_layers
from keras_rnn_kit.export.signatures import resolve_signatures
from keras_rnn_kit.export.signatures import step_loops
from keras_rnn_kit.utils.validation import check_choice

QUANTIZATIONS = (None, "dynamic", "float16", "int8")
# The converter's default `min_elements_for_weights`: smaller weights stay float32.
MIN_QUANTIZED_WEIGHT_ELEMENTS = 1024

_HINTS = {
    "TensorListReserve": (
        "a recurrent loop needs static shapes except the time axis: give every "
        "TFLite signature a fixed batch size of 1 (variable sequence length then "
        "works through `resize_tensor_input`), or keep the batch unknown and run "
        "the rows one at a time with `tf.map_fn` over batch-1 calls, whose "
        "outputs per row then need a static shape"
    ),
}
_OP_PATTERN = re.compile(r"'tf\.(\w+)' op")
_LOCATION_PATTERN = re.compile(r'fused\["(\w+):", "([^"@]+)')
_RESOURCE_PATTERN = re.compile(r'ResourceHandle\(name="([^"]+?)(?:/\d+)?"')


def _layer_names(model) -> set[str]:
    return {layer.name for layer in iter_layers(model)}


def conversion_error(model, message: str, quantization) -> ExportError:
    """Builds an `ExportError` naming each op the converter rejected and its layer."""
    ops = list(dict.fromkeys(_OP_PATTERN.findall(message)))
    if not ops:
        return ExportError(
            f"TFLite conversion (quantization={quantization!r}) failed: "
            f"{message.strip()[-2000:]}"
        )
    layers = _layer_names(model) - {model.name}
    details = []
    for op in ops:
        found = []
        for op_name, scope in _LOCATION_PATTERN.findall(message):
            if op_name != op:
                continue
            for part in scope.split("/"):
                base = re.sub(r"_\d+$", "", part)
                for name in (part, base):
                    if name in layers and name not in found:
                        found.append(name)
        where = f" in layer {', '.join(repr(n) for n in found)}" if found else ""
        hint = f" ({_HINTS[op]})" if op in _HINTS else ""
        details.append(f"`{op}`{where}{hint}")
    return ExportError(
        "TFLite conversion with builtin ops only failed; op(s) that cannot be "
        f"lowered to LiteRT builtins: {'; '.join(details)}.",
        ops=ops,
    )


def _samples(name: str, function, data) -> list[dict]:
    """Splits representative data for one signature into batch-1 input dicts."""
    inputs = [spec.name for spec in function.input_signature]
    if isinstance(data, list | tuple):
        return [s for item in data for s in _samples(name, function, item)]
    if not isinstance(data, dict):
        if len(inputs) != 1:
            raise ValueError(
                f"`representative_data` for signature {name!r} must be a dict with "
                f"keys {inputs}, got {type(data).__name__}."
            )
        data = {inputs[0]: data}
    missing = sorted(set(inputs) - set(data))
    if missing:
        raise ValueError(
            f"`representative_data` for signature {name!r} lacks inputs {missing}; "
            f"expected keys {inputs}, got {sorted(data)}."
        )
    arrays = {key: np.asarray(data[key]) for key in inputs}
    rows = len(next(iter(arrays.values())))
    return [{key: a[i : i + 1] for key, a in arrays.items()} for i in range(rows)]


def _write_representative(signatures: dict, data, folder: str) -> str:
    if len(signatures) == 1 and not (
        isinstance(data, dict) and set(data) <= set(signatures)
    ):
        data = {next(iter(signatures)): data}
    if not isinstance(data, dict) or not set(data) <= set(signatures):
        raise ValueError(
            "`representative_data` for several signatures must be a dict keyed by "
            f"signature names {sorted(signatures)}, got {type(data).__name__}."
        )
    arrays = {}
    for name, value in data.items():
        for i, sample in enumerate(_samples(name, signatures[name], value)):
            for key, array in sample.items():
                arrays[f"{name}/{key}/{i}"] = array
    path = os.path.join(folder, "representative.npz")
    np.savez(path, **arrays)
    return path


def _warn_if_not_quantized(model, content: bytes, quantization) -> None:
    """Warns when the converter left a model it was asked to quantize in float32
    (it skips weight tensors under `MIN_QUANTIZED_WEIGHT_ELEMENTS` elements)."""
    if quantization is None or tflite_quantization(content) is not None:
        return
    largest = max((int(np.prod(w.shape)) for w in model.weights), default=0)
    warnings.warn(
        f"quantization={quantization!r} changed nothing: the converter quantizes "
        f"only weight tensors of at least {MIN_QUANTIZED_WEIGHT_ELEMENTS} elements "
        f"and the largest in this model has {largest}, so the file holds the "
        "float32 model. Export without quantization, or quantize a larger model.",
        UserWarning,
        stacklevel=3,
    )


def _save_signatures(signatures: dict, folder: str) -> None:
    """Saves the frozen `signatures` alone, tracking neither `model` nor its layers.

    A tracked model would bring every resource it owns into the SavedModel and,
    through its initializer, into the `.tflite`: e.g. a `TextPreprocessor`'s
    lookup table became a `HASHTABLE` setup subgraph holding the vocabulary as
    strings that no signature looks up. The frozen signatures read no variable,
    so any resource one still captures is one `model` does not own.
    """
    module = tf.Module()
    module.functions = signatures
    try:
        tf.saved_model.save(module, folder, signatures=signatures)
    except AssertionError as error:  # TF's "untracked resource" check
        if "untracked" not in str(error):
            raise
        found = _RESOURCE_PATTERN.search(str(error))
        what = f" ({found.group(1)!r})" if found else ""
        raise ExportError(
            f"The signatures read a variable or table{what} that `model` does not "
            "own: `export_tflite` replaces only `model.variables` by constants, and "
            "LiteRT cannot read variables without an initializer. Pass the model "
            "that owns every layer the signatures call.",
            ops=["VAR_HANDLE", "READ_VARIABLE"],
        ) from None


def _convert_in_child(model, args: list[str], quantization, timeout: float) -> bytes:
    out_path = args[1]
    try:
        result = subprocess.run(
            [sys.executable, tflite_convert_worker.__file__, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as error:
        raise ExportError(
            f"TFLite conversion (quantization={quantization!r}) did not finish in "
            f"{timeout:.0f} s."
        ) from error
    if result.returncode == tflite_convert_worker.ERROR_EXIT_CODE:
        raise conversion_error(model, result.stderr, quantization)
    if result.returncode != 0:
        code = result.returncode
        how = (
            f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        )
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise ExportError(
            f"The TFLite converter process crashed ({how}) converting with "
            f"quantization={quantization!r}. int8 calibration of recurrent WHILE "
            "loops is known to crash the converter: build the RNN layers with "
            "`unroll=True` and a fixed sequence length for int8, or use "
            f"quantization='dynamic' or 'float16'. Last converter output:\n{tail}"
        )
    with open(out_path, "rb") as f:
        return f.read()


def export_tflite(
    model,
    path: str,
    quantization: str | None = None,
    representative_data=None,
    signatures: dict | None = None,
    overwrite: bool = False,
    *,
    isolate: bool | None = None,
    timeout: float = 600.0,
    fuse_lstm: bool = False,
) -> str:
    """Exports `model` as a `.tflite` file that uses LiteRT builtin ops only.

    Every signature is retraced with the model's weights as constants (LiteRT
    cannot read resource variables in a `WHILE` loop without an initializer),
    saved to a temporary SavedModel and converted with
    `tf.lite.OpsSet.TFLITE_BUILTINS` only. Only the signatures go into the
    SavedModel, not `model`: its lookup tables and other resources would come
    along as an initializer subgraph nothing calls (a `TextPreprocessor`'s
    vocabulary as `HASHTABLE` strings). Keras 3 RNN layers become a `WHILE`
    loop, which needs a static batch size (default: 1) and may leave the
    time axis unknown; a signature without a recurrent loop, or one running
    its rows through `tf.map_fn` at batch 1, can leave the batch unknown too
    (`TFLiteRunner` resizes it). Kit `layers.RNN` layers are traced with their
    step loop (their fused `BlockLSTM` path has no builtin). Several signatures
    (e.g. `encode` and `step` of a generator, see `tflite_runner`) go into one
    file.

    Args:
        model: a built `keras.Model` owning every variable the signatures read.
        path: the `.tflite` file to write.
        quantization: `None` (float32), `"dynamic"` (int8 weights), `"float16"`
            (float16 weights) or `"int8"` (int8 weights and activations,
            calibrated on `representative_data`).
        representative_data: for `"int8"`: per signature, an array (one input)
            or a dict of arrays with one row per sample, or a list of such
            batches; a dict keyed by signature names when there are several.
        signatures: optional `{name: tf.function}` with input signatures of
            batch 1 (or an unknown batch, see above); default:
            `model.tflite_signatures()` or a `serving_default` built from the
            model inputs with batch 1.
        overwrite: replace an existing file at `path`.
        isolate: run the converter in a child process (default: only for
            `"int8"`, whose calibration can crash the process).
        timeout: seconds the child process may take.
        fuse_lstm: convert kit `LSTMCell`/`OriginalLSTMCell` RNN layers to the
            fused `UNIDIRECTIONAL_SEQUENCE_LSTM` op instead of a `WHILE` loop
            (see `fused_lstm`: the op clips the cell state to ±10; layers with a
            mask or `return_state=True` keep the loop).

    Returns:
        `path`.

    Example:

    >>> import keras
    >>> from keras_rnn_kit.cells import OriginalLSTMCell
    >>> inputs = keras.Input((None, 3), name="features")
    >>> model = keras.Model(inputs, keras.layers.RNN(OriginalLSTMCell(4))(inputs))
    >>> import os, tempfile
    >>> from keras_rnn_kit.export import list_tflite_ops
    >>> path = export_tflite(model, os.path.join(tempfile.mkdtemp(), "m.tflite"))
    >>> "WHILE" in list_tflite_ops(open(path, "rb").read())
    True
    """
    check_built(model)
    check_choice("quantization", quantization, QUANTIZATIONS)
    path = os.fspath(path)
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(
            f"`path` {path!r} already exists; pass `overwrite=True` to replace it."
        )
    if quantization != "int8" and representative_data is not None:
        raise ValueError(
            "`representative_data` is only used by quantization='int8'; got "
            f"quantization={quantization!r}."
        )
    if quantization == "int8" and representative_data is None:
        raise ValueError(
            "`representative_data` is required for quantization='int8' (samples "
            "to calibrate activation ranges), got None."
        )
    signatures = {
        name: frozen(model, function)
        for name, function in resolve_signatures(model, signatures, "tflite").items()
    }
    with tempfile.TemporaryDirectory() as folder:
        saved_model_dir = os.path.join(folder, "saved_model")
        fusing = fused_lstm_layers(model) if fuse_lstm else contextlib.nullcontext()
        with step_loops(model), fusing:
            _save_signatures(signatures, saved_model_dir)
        representative_path = None
        if quantization == "int8":
            representative_path = _write_representative(
                signatures, representative_data, folder
            )
        if quantization == "int8" if isolate is None else isolate:
            args = [saved_model_dir, os.path.join(folder, "model.tflite")]
            args += [quantization or "none", json.dumps(list(signatures))]
            args += [representative_path] if representative_path else []
            content = _convert_in_child(model, args, quantization, timeout)
        else:
            try:
                content = tflite_convert_worker.convert(
                    saved_model_dir, list(signatures), quantization, representative_path
                )
            except Exception as error:  # the converter's own error types vary
                raise conversion_error(model, str(error), quantization) from error
    _warn_if_not_quantized(model, content, quantization)
    check_tflite_ops(content)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content)
    return path
