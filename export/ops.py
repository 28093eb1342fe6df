"""Op inventories of exported graphs and the rules that keep them servable.

Stock TF Serving ships only core TensorFlow kernels and LiteRT only its builtin
kernels, so an export is rejected when its graph needs anything else:
tensorflow-text kernels (`*Wordpiece*`, `*Sentencepiece*`, `*RegexSplit*`, or any
op core TensorFlow does not register), cuDNN-only kernels (`Cudnn*`) and Python
callbacks (`PyFunc`, `EagerPyFunc`).
"""

import os
import re

import tensorflow as tf
from ai_edge_litert import schema_py_generated as schema
from tensorflow.core.protobuf import saved_model_pb2

from keras_rnn_kit.export.errors import ExportError

_PYTHON_CALLBACK_OPS = ("PyFunc", "PyFuncStateless", "EagerPyFunc")
_TEXT_OP_PATTERN = re.compile(r"wordpiece|sentencepiece|regexsplit", re.IGNORECASE)
_BUILTIN_NAMES = {
    code: name
    for name, code in vars(schema.BuiltinOperator).items()
    if not name.startswith("_")
}


def list_saved_model_ops(path: str) -> list[str]:
    """Lists every op in every graph and function of a SavedModel.

    Args:
        path: a SavedModel directory (the one holding `saved_model.pb`).

    Returns:
        The sorted op type names, each once.

    Example:

    >>> ops = list_saved_model_ops("exported/classifier/1")  # doctest: +SKIP
    >>> "While" in ops  # doctest: +SKIP
    True
    """
    pb_path = os.path.join(path, "saved_model.pb")
    if not os.path.isfile(pb_path):
        raise FileNotFoundError(
            f"`path` must be a SavedModel directory containing saved_model.pb; "
            f"got {path!r}."
        )
    saved_model = saved_model_pb2.SavedModel()
    with open(pb_path, "rb") as f:
        saved_model.ParseFromString(f.read())
    ops = set()
    for meta_graph in saved_model.meta_graphs:
        ops.update(node.op for node in meta_graph.graph_def.node)
        for function in meta_graph.graph_def.library.function:
            ops.update(node.op for node in function.node_def)
    return sorted(ops)


def forbidden_saved_model_ops(ops) -> dict[str, str]:
    """Returns `{op: reason}` for the ops stock TF Serving cannot run."""
    forbidden = {}
    for op in ops:
        if op in _PYTHON_CALLBACK_OPS:
            forbidden[op] = "a Python callback (tf.py_function / tf.numpy_function)"
        elif op.startswith("Cudnn"):
            forbidden[op] = (
                "a cuDNN-only kernel (the graph was traced for a GPU; use the kit "
                "cells or export on a CPU)"
            )
        elif _TEXT_OP_PATTERN.search(op):
            forbidden[op] = "a tensorflow-text kernel (not in stock TF Serving)"
        elif not hasattr(tf.raw_ops, op):
            forbidden[op] = (
                "not a core TensorFlow op (registered by an extension library such "
                "as tensorflow_text)"
            )
    return forbidden


def check_saved_model_ops(path: str) -> list[str]:
    """Lists the ops of a SavedModel and raises `ExportError` on forbidden ones.

    Returns:
        The op list of `list_saved_model_ops(path)` when every op is servable.
    """
    ops = list_saved_model_ops(path)
    forbidden = forbidden_saved_model_ops(ops)
    if forbidden:
        details = "; ".join(f"`{op}`: {why}" for op, why in forbidden.items())
        raise ExportError(
            "The SavedModel needs ops stock TF Serving does not have: "
            f"{details}. Use only core TensorFlow ops in served functions "
            "(e.g. tf.strings.split and keras.layers.StringLookup instead of "
            "tensorflow_text tokenizers).",
            ops=list(forbidden),
        )
    return ops


def list_tflite_ops(model_content: bytes) -> list[str]:
    """Lists the operator codes of a `.tflite` flatbuffer.

    Builtin operators are named as in the LiteRT schema (`WHILE`,
    `FULLY_CONNECTED`, ...); custom and Select TF (flex) operators are named
    `CUSTOM:<custom code>`.

    Args:
        model_content: the bytes of a `.tflite` file.

    Returns:
        The op names in the order of the model's operator-code table.
    """
    model = schema.Model.GetRootAs(model_content, 0)
    names = []
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        if builtin == schema.BuiltinOperator.CUSTOM:
            names.append(f"CUSTOM:{(code.CustomCode() or b'').decode()}")
        else:
            names.append(_BUILTIN_NAMES.get(builtin, f"BUILTIN_{builtin}"))
    return names


def check_tflite_ops(model_content: bytes) -> list[str]:
    """Raises `ExportError` unless every op of the model is a LiteRT builtin."""
    ops = list_tflite_ops(model_content)
    custom = [op for op in ops if op.startswith("CUSTOM:")]
    if custom:
        raise ExportError(
            f"The .tflite model uses non-builtin ops {custom} (custom or Select TF "
            "ops); only LiteRT builtin ops are allowed.",
            ops=custom,
        )
    return ops


def tflite_quantization(model_content: bytes) -> str | None:
    """Guesses how a `.tflite` model was quantized from its tensor types.

    Returns:
        `None` (float32), `"float16"` (float16 weights), `"dynamic"` (int8 weights,
        float activations) or `"int8"` (int8 activations, `QUANTIZE` ops).
    """
    model = schema.Model.GetRootAs(model_content, 0)
    types = set()
    for s in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(s)
        for t in range(subgraph.TensorsLength()):
            types.add(subgraph.Tensors(t).Type())
    if schema.TensorType.FLOAT16 in types:
        return "float16"
    if schema.TensorType.INT8 not in types:
        return None
    return "int8" if "QUANTIZE" in list_tflite_ops(model_content) else "dynamic"
