"""Converts a SavedModel to a builtin-ops-only `.tflite` (run as a script or imported).

`export_tflite` runs this file in a child process when a conversion may crash the
converter (int8 calibration of `WHILE` loops can abort the process), so a crash
becomes a clean error in the parent. It imports only TensorFlow and numpy.

Usage:
    python tflite_convert_worker.py SAVED_MODEL OUT.tflite QUANTIZATION KEYS_JSON [NPZ]

`QUANTIZATION` is `none`, `dynamic`, `float16` or `int8`; `NPZ` holds the
representative data as arrays named `<signature>/<input>/<index>`.
"""

import json
import sys
import warnings

import numpy as np
import tensorflow as tf

ERROR_EXIT_CODE = 3


def representative_dataset(npz_path: str):
    """Returns a generator of `(signature, {input: array})` samples from an npz."""
    data = np.load(npz_path)
    samples = {}
    for key in data.files:
        signature, name, index = key.rsplit("/", 2)
        samples.setdefault((signature, int(index)), {})[name] = data[key]

    def generate():
        for (signature, _), inputs in sorted(samples.items()):
            yield signature, inputs

    return generate


def convert(
    saved_model_dir: str,
    signature_keys: list[str],
    quantization: str | None,
    representative_path: str | None = None,
) -> bytes:
    """Converts with `TFLITE_BUILTINS` only (no Select TF ops, no custom ops)."""
    converter = tf.lite.TFLiteConverter.from_saved_model(
        saved_model_dir, signature_keys=signature_keys
    )
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    converter.allow_custom_ops = False
    if quantization in ("dynamic", "float16", "int8"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if quantization == "int8":
        converter.representative_dataset = representative_dataset(representative_path)
    with warnings.catch_warnings():
        # int8 calibration runs TensorFlow's own deprecated `tf.lite.Interpreter`
        # inside the converter; nothing the caller can change (the kit runs
        # files with ai-edge-litert), so its deprecation notice is not shown.
        warnings.filterwarnings(
            "ignore", r"\s*Warning: tf\.lite\.Interpreter is deprecated", UserWarning
        )
        return converter.convert()


def main(argv: list[str]) -> int:
    saved_model_dir, out_path, quantization, keys = argv[:4]
    representative_path = argv[4] if len(argv) > 4 else None
    try:
        content = convert(
            saved_model_dir,
            json.loads(keys),
            None if quantization == "none" else quantization,
            representative_path,
        )
    except Exception as error:  # reported to the parent, which raises ExportError
        sys.stderr.write(f"{type(error).__name__}: {error}\n")
        return ERROR_EXIT_CODE
    with open(out_path, "wb") as f:
        f.write(content)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
