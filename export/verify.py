"""`verify_export`: parity, size, ops and latency of an export against its model."""

import os
import statistics
import time

import numpy as np
import tensorflow as tf

from keras_rnn_kit.export.ops import list_saved_model_ops
from keras_rnn_kit.export.ops import list_tflite_ops
from keras_rnn_kit.export.ops import tflite_quantization
from keras_rnn_kit.export.saved_model import existing_versions
from keras_rnn_kit.export.signatures import check_built
from keras_rnn_kit.export.signatures import named_outputs
from keras_rnn_kit.export.signatures import resolve_signatures
from keras_rnn_kit.export.tflite_runner import TFLiteRunner

# Bound on max |export - keras|, relative to max(1, max |keras output|).
TOLERANCES = {None: 1e-5, "float16": 1e-2, "dynamic": 5e-2, "int8": 1e-1}


def _locate(exported_path: str) -> tuple[str, str]:
    """Returns `(format, path)`; a base folder resolves to its latest version."""
    path = os.path.abspath(os.fspath(exported_path))
    if os.path.isfile(path) and path.endswith(".tflite"):
        return "tflite", path
    if os.path.isfile(os.path.join(path, "saved_model.pb")):
        return "saved_model", path
    versions = existing_versions(path)
    if versions:
        return "saved_model", os.path.join(path, str(versions[-1]))
    raise FileNotFoundError(
        "`exported_path` must be a .tflite file, a SavedModel folder or a base "
        f"folder of numbered versions; got {exported_path!r}."
    )


def _size(path: str) -> int:
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(
        os.path.getsize(os.path.join(root, name))
        for root, _, names in os.walk(path)
        for name in names
    )


def _inputs(function, samples, signature: str) -> dict:
    names = [spec.name for spec in function.input_signature]
    if not isinstance(samples, dict):
        if len(names) != 1:
            raise ValueError(
                f"`samples` must be a dict with keys {names} for signature "
                f"{signature!r}, got {type(samples).__name__}."
            )
        samples = {names[0]: samples}
    if sorted(samples) != sorted(names):
        raise ValueError(
            f"`samples` must have keys {sorted(names)} (inputs of {signature!r}), "
            f"got {sorted(samples)}."
        )
    return {name: np.asarray(samples[name]) for name in names}


def _median_ms(call, repeats: int) -> float:
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def _max_diff(got: np.ndarray, want: np.ndarray) -> float:
    if want.dtype == object or got.dtype == object:
        return 0.0 if np.array_equal(got, want) else float("inf")
    if got.shape != want.shape:
        return float("inf")
    return float(
        np.max(np.abs(got.astype("float64") - want.astype("float64")), initial=0)
    )


def _reference_outputs(model, function, inputs: dict, per_row: bool) -> dict:
    """Runs the reference; TFLite rows run one at a time (see `verify_export`)."""
    if not per_row:
        outputs = named_outputs(model, function(*inputs.values()))
        return {k: np.asarray(v) for k, v in outputs.items()}
    rows = len(next(iter(inputs.values())))
    per = [
        named_outputs(model, function(*[v[i : i + 1] for v in inputs.values()]))
        for i in range(rows)
    ]
    return {k: np.concatenate([np.asarray(p[k]) for p in per]) for k in per[0]}


def _run_saved_model(path, signature, inputs, repeats):
    function = tf.saved_model.load(path).signatures[signature]
    outputs = {k: v.numpy() for k, v in function(**inputs).items()}
    first = {k: v[:1] for k, v in inputs.items()}
    return outputs, _median_ms(lambda: function(**first), repeats)


def _run_tflite(path, signature, inputs, repeats):
    runner = TFLiteRunner(path)
    rows = len(next(iter(inputs.values())))
    per_row = [
        runner.run(signature, **{k: v[i : i + 1] for k, v in inputs.items()})
        for i in range(rows)
    ]
    outputs = {k: np.concatenate([row[k] for row in per_row]) for k in per_row[0]}
    first = {k: v[:1] for k, v in inputs.items()}
    return outputs, _median_ms(lambda: runner.run(signature, **first), repeats)


def verify_export(
    model,
    exported_path: str,
    samples,
    signature: str = "serving_default",
    *,
    repeats: int = 20,
    verbose: bool = True,
) -> dict:
    """Compares an export with its Keras model and measures it.

    The reference is the model's own signature function (the export protocol,
    see `keras_rnn_kit.export`) or the model itself, run eagerly on `samples`.
    A TFLite export is run one sample at a time (a recurrent signature has
    batch 1, or runs its rows one after another).
    Tolerances on max |export - keras|, relative to max(1, max |keras|):
    float32 1e-5, float16 1e-2, dynamic 5e-2, int8 1e-1 (`TOLERANCES`).

    Args:
        model: the built `keras.Model` that was exported.
        exported_path: a `.tflite` file, a SavedModel version folder or a base
            folder (its latest version is checked).
        samples: the signature's inputs with a batch axis: an array (one input)
            or a dict of arrays keyed by input name.
        signature: the signature to check.
        repeats: timed calls for the median latency (one sample per call).
        verbose: print the table.

    Returns:
        A dict with `format`, `path`, `quantization`, `max_abs_diff` (per output
        under `per_output`), `tolerance`, `passed`, `size_bytes`, `ops` and
        `median_latency_ms`.

    Example:

    >>> report = verify_export(model, "model.tflite", samples)  # doctest: +SKIP
    >>> report["passed"]  # doctest: +SKIP
    True
    """
    check_built(model)
    kind, path = _locate(exported_path)
    if kind == "tflite":
        with open(path, "rb") as f:
            content = f.read()
        quantization, ops = tflite_quantization(content), list_tflite_ops(content)
    else:
        quantization, ops = None, list_saved_model_ops(path)
    functions = resolve_signatures(model, None, kind)
    if signature not in functions:
        raise ValueError(
            f"`signature` must be one of {sorted(functions)}; got {signature!r}."
        )
    reference = functions[signature]
    inputs = _inputs(reference, samples, signature)
    expected = _reference_outputs(model, reference, inputs, per_row=kind == "tflite")
    run = _run_tflite if kind == "tflite" else _run_saved_model
    outputs, latency = run(path, signature, inputs, repeats)
    if sorted(outputs) != sorted(expected):
        raise ValueError(
            f"The export's outputs {sorted(outputs)} differ from the model's "
            f"{sorted(expected)}."
        )
    per_output = {k: _max_diff(outputs[k], expected[k]) for k in sorted(expected)}
    scale = max(
        [1.0]
        + [float(np.max(np.abs(v))) for v in expected.values() if v.dtype != object]
    )
    tolerance = TOLERANCES[quantization] * scale
    report = {
        "format": kind,
        "path": path,
        "quantization": quantization,
        "max_abs_diff": max(per_output.values()),
        "per_output": per_output,
        "tolerance": tolerance,
        "passed": max(per_output.values()) <= tolerance,
        "size_bytes": _size(path),
        "ops": ops,
        "median_latency_ms": latency,
    }
    if verbose:
        print(format_report(report))
    return report


def format_report(report: dict) -> str:
    """Formats a `verify_export` report as a plain-text table."""
    lines = [
        f"verify_export: {report['path']}",
        f"  {'format':<18}{report['format']} (quantization={report['quantization']})",
        f"  {'output':<18}{'max |diff|':>12}{'tolerance':>12}  ok",
    ]
    for name, diff in report["per_output"].items():
        ok = "yes" if diff <= report["tolerance"] else "NO"
        lines.append(f"  {name:<18}{diff:>12.3g}{report['tolerance']:>12.3g}  {ok}")
    lines += [
        f"  {'size':<18}{report['size_bytes']:,} bytes",
        f"  {'median latency':<18}{report['median_latency_ms']:.3f} ms (one sample)",
        f"  {'ops (' + str(len(report['ops'])) + ')':<18}{', '.join(report['ops'])}",
    ]
    return "\n".join(lines)
