"""Signature functions: the export protocol, and defaults built from `model.inputs`.

A signature is a `tf.function` with an `input_signature` (named `tf.TensorSpec`s)
returning a dict of named tensors. Where they come from, in order:

1. the `signatures=` argument of an exporter;
2. the model's own `serving_signatures()` (SavedModel) or `tflite_signatures()`
   (TFLite) method, the protocol application tasks implement (see
   `keras_rnn_kit.export`);
3. one `serving_default` built from a functional model's inputs.
"""

import contextlib
import re

import keras
import tensorflow as tf

from keras_rnn_kit.data.text_preprocessor import OVERFLOW_MODES
from keras_rnn_kit.data.text_preprocessor import TextPreprocessor
from keras_rnn_kit.layers import RNN as KitRNN
from keras_rnn_kit.models.sentiment.sentiment_preprocessor import SentimentPreprocessor
from keras_rnn_kit.utils.validation import check_choice

_PROTOCOL_METHODS = {"saved_model": "serving_signatures", "tflite": "tflite_signatures"}


def iter_layers(model):
    """Yields `model` and every layer reachable from it, each once.

    Follows `.layers`, attributes holding layers (e.g. `Bidirectional`'s
    `forward_layer`, an `RNN`'s `cell`) and lists of layers (stacked cells).
    """
    seen, stack = set(), [model]
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        yield layer
        stack.extend(getattr(layer, "layers", None) or [])
        for value in vars(layer).values():
            items = value if isinstance(value, list | tuple) else [value]
            stack.extend(v for v in items if isinstance(v, keras.Layer))


def check_built(model) -> None:
    """Raises `ValueError` unless `model` is a built `keras.Model`."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"`model` must be a keras.Model, got {type(model).__name__}.")
    if not model.built:
        raise ValueError(
            f"`model` ({model.name!r}) must be built before export: call it on a "
            "batch or call `model.build(input_shape)` first."
        )


def named_outputs(model, outputs) -> dict:
    """Returns `outputs` as a dict keyed by the model's output names."""
    if isinstance(outputs, dict):
        return {str(key): value for key, value in outputs.items()}
    flat = keras.tree.flatten(outputs)
    names = list(getattr(model, "output_names", None) or [])
    if len(names) != len(flat):
        names = [f"output_{i}" for i in range(len(flat))]
    return dict(zip(names, flat, strict=True))


def _spec_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name.split(":")[0])


def default_signature(model, batch_size=None):
    """Builds `serving_default` from a functional model's inputs.

    Args:
        model: a built functional `keras.Model`.
        batch_size: `None` (dynamic, for SavedModel) or an int (TFLite needs 1).

    Returns:
        A `tf.function` taking the model inputs by name and returning a dict of
        named outputs.
    """
    try:
        structure = model.input
    except (AttributeError, ValueError) as error:
        raise ValueError(
            f"`model` ({model.name!r}) has no symbolic inputs (it is subclassed), so "
            "no default signature can be built. Pass `signatures=` or implement "
            "the export protocol (see keras_rnn_kit.export)."
        ) from error
    if isinstance(structure, dict):
        names = sorted(structure)
        flat = [structure[name] for name in names]
    else:
        flat = keras.tree.flatten(structure)
        names = [_spec_name(tensor.name) for tensor in flat]
    specs = [
        tf.TensorSpec((batch_size, *tensor.shape[1:]), tensor.dtype, name=name)
        for name, tensor in zip(names, flat, strict=True)
    ]

    def serve(*args):
        if isinstance(structure, dict):
            inputs = dict(zip(names, args, strict=True))
        else:
            inputs = keras.tree.pack_sequence_as(structure, list(args))
        return named_outputs(model, model(inputs, training=False))

    return tf.function(serve, input_signature=specs)


def resolve_signatures(model, signatures, kind: str) -> dict:
    """Returns `{name: tf.function}` for an exporter (see the module docstring).

    Args:
        model: the model being exported.
        signatures: the exporter's `signatures=` argument (dict or None).
        kind: `"saved_model"` or `"tflite"`.
    """
    if signatures is None:
        method = getattr(model, _PROTOCOL_METHODS[kind], None)
        if callable(method):
            signatures = method()
        else:
            signatures = {
                "serving_default": default_signature(
                    model, batch_size=1 if kind == "tflite" else None
                )
            }
    if not isinstance(signatures, dict) or not signatures:
        raise ValueError(
            "`signatures` must be a non-empty dict {name: tf.function}, got "
            f"{type(signatures).__name__}."
        )
    for name, function in signatures.items():
        if getattr(function, "input_signature", None) is None:
            raise ValueError(
                f"Signature {name!r} must be a tf.function with an `input_signature`"
                f" of named tf.TensorSpecs, got {type(function).__name__}."
            )
    if kind == "saved_model" and "serving_default" not in signatures:
        raise ValueError(
            "`signatures` must contain 'serving_default' (TF Serving's default "
            f"signature); got {sorted(signatures)}."
        )
    return dict(signatures)


def returning_dict(model, function):
    """Wraps a signature so it always returns a dict of named outputs."""

    def serve(*args):
        return named_outputs(model, function(*args))

    return tf.function(serve, input_signature=function.input_signature)


def frozen(model, function):
    """Retraces a signature with the model's variables replaced by constants.

    LiteRT runs a `WHILE` loop that reads resource variables only after an
    initializer signature has run, which plain interpreters never do; constants
    avoid the problem and let the converter fold weights into `FULLY_CONNECTED`.
    """
    python_function = getattr(function, "python_function", function)
    values = [(variable, variable.numpy()) for variable in model.variables]

    def serve(*args):
        mapping = [(variable, tf.constant(value)) for variable, value in values]
        with keras.StatelessScope(state_mapping=mapping):
            return named_outputs(model, python_function(*args))

    return tf.function(serve, input_signature=function.input_signature)


@contextlib.contextmanager
def step_loops(model):
    """Traces kit `layers.RNN` layers with their step loop, whatever their kernel.

    Neither whole-sequence kernel exports: the fused `BlockLSTM` op has no LiteRT
    builtin, and the `"compiled"` kernel (which `"auto"` picks on a CPU) is an XLA
    program (`_XlaMustCompile` functions), which LiteRT cannot convert and stock
    TF Serving refuses unless started with `--xla_cpu_compilation_enabled`. The
    step loop converts to a builtin `WHILE`. Every `implementation` value is set
    to `"loop"` while the context is open and restored afterwards.
    """
    with _set_on_layers(model, KitRNN, "implementation", "loop"):
        yield


@contextlib.contextmanager
def text_overflow(model, overflow: str):
    """Sets `overflow` on every text preprocessor reachable from `model`.

    While the context is open, each `TextPreprocessor` (too many tokens) and
    `SentimentPreprocessor` (too many sentences) traces with `overflow`
    (`"truncate"` or `"error"`, see `TextPreprocessor`); their own settings are
    restored afterwards. `export_saved_model` traces its serving signatures
    inside it.
    """
    check_choice("overflow", overflow, OVERFLOW_MODES)
    kinds = (TextPreprocessor, SentimentPreprocessor)
    with _set_on_layers(model, kinds, "overflow", overflow):
        yield


@contextlib.contextmanager
def _set_on_layers(model, kinds, attribute: str, value):
    """Sets `attribute` to `value` on every layer of `kinds` reachable from
    `model` while the context is open; restores each layer's own value."""
    layers = [layer for layer in iter_layers(model) if isinstance(layer, kinds)]
    saved = [getattr(layer, attribute) for layer in layers]
    try:
        for layer in layers:
            setattr(layer, attribute, value)
        yield
    finally:
        for layer, own in zip(layers, saved, strict=True):
            setattr(layer, attribute, own)
