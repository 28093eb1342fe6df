"""Kit LSTM layers as LiteRT's fused `UNIDIRECTIONAL_SEQUENCE_LSTM` op.

The TFLite converter replaces a function whose `api_implements` attribute starts
with `lstm_` by its fused sequence LSTM (see `ConvertKerasLSTMLayer` in
tensorflow/compiler/mlir/lite/utils/lstm_utils.cc) when the function follows the
old `tf.keras` contract: arguments `(inputs, init_h, init_c, kernel,
recurrent_kernel, bias)` with the gates in the order `[i, f, g, o]`, five results
`(last_output, outputs, h, c, runtime)` of which only the first two are used,
and `time_major`/`go_backwards` attributes. `fused_lstm_layers` routes every
fusable RNN layer through such a function while the TFLite signatures are
traced; the function's TensorFlow body is the same step loop, so the SavedModel
stays exact.

Differences from the Keras layer, hence opt-in (`export_tflite(...,
fuse_lstm=True)`): the fused op clips the cell state to ±10 (outputs differ only
where `|c_t| > 10`); it keeps its state in LiteRT variable tensors that carry
over between invocations, so call `interpreter.reset_all_variables()` before each
sequence (`TFLiteRunner` does); layers that return their final state, receive a
mask or start from a non-zero initial state keep the `WHILE` loop.
"""

import contextlib
import uuid

import keras
import tensorflow as tf

from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.cells import OriginalLSTMCell
from keras_rnn_kit.export.signatures import iter_layers

# σ(1e4) is exactly 1.0 in float32: the original LSTM as a forget-gate LSTM.
_ALWAYS_REMEMBER = 1e4


def fusable(layer) -> bool:
    """Whether `layer` can run as `UNIDIRECTIONAL_SEQUENCE_LSTM` (mask aside)."""
    if not isinstance(layer, keras.layers.RNN):
        return False
    cell = layer.cell
    return (
        type(cell) in (LSTMCell, OriginalLSTMCell)
        and cell.activation is keras.activations.tanh
        and getattr(cell, "recurrent_activation", keras.activations.sigmoid)
        is keras.activations.sigmoid
        and not (layer.return_state or layer.stateful or layer.unroll)
    )


def _fused_weights(cell):
    """Returns `(kernel, recurrent_kernel, bias)` in the `[i, f, g, o]` layout."""
    kernel, recurrent = cell.kernel.value, cell.recurrent_kernel.value
    width = 4 * cell.units if isinstance(cell, LSTMCell) else 3 * cell.units
    bias = cell.bias.value if cell.use_bias else tf.zeros((width,), kernel.dtype)
    if isinstance(cell, LSTMCell):
        return kernel, recurrent, bias

    def with_forget(matrix, value):
        i, g, o = tf.split(matrix, 3, axis=-1)
        return tf.concat([i, tf.fill(tf.shape(i), value), g, o], axis=-1)

    return (
        with_forget(kernel, 0.0),
        with_forget(recurrent, 0.0),
        with_forget(bias, _ALWAYS_REMEMBER),
    )


def _composite(go_backwards: bool):
    """The `lstm_*` function the converter fuses; its body is the step loop."""

    def lstm(inputs, init_h, init_c, kernel, recurrent_kernel, bias):
        def step(carry, x_t):
            h_tm1, c_tm1 = carry
            z = tf.matmul(x_t, kernel) + tf.matmul(h_tm1, recurrent_kernel) + bias
            z_i, z_f, z_g, z_o = tf.split(z, 4, axis=-1)
            # c_t = σ(z_f) ⊙ c_{t-1} + σ(z_i) ⊙ tanh(z_g)
            c = tf.sigmoid(z_f) * c_tm1 + tf.sigmoid(z_i) * tf.tanh(z_g)
            # h_t = σ(z_o) ⊙ tanh(c_t)
            return tf.sigmoid(z_o) * tf.tanh(c), c

        steps = tf.transpose(inputs, [1, 0, 2])  # (time, batch, features)
        if go_backwards:
            steps = tf.reverse(steps, [0])
        hs, cs = tf.scan(step, steps, initializer=(init_h, init_c))
        outputs = tf.transpose(hs, [1, 0, 2])  # (batch, time, units)
        return outputs[:, -1], outputs, hs[-1], cs[-1], tf.constant(0.0)

    return tf.function(
        lstm,
        autograph=False,
        experimental_attributes={
            "api_implements": f"lstm_{uuid.uuid4().hex}",
            "time_major": False,
            "go_backwards": go_backwards,
        },
    )


def _is_zero(state) -> bool:
    """Whether a traced initial state is the constant zero state."""
    value = tf.get_static_value(state)
    return value is not None and not value.any()


def _fused_inner_loop(layer):
    keras_inner_loop = layer.inner_loop
    composite = _composite(bool(layer.go_backwards))

    def inner_loop(sequences, initial_state, mask, training=False):
        if (
            mask is not None
            or sequences.dtype != tf.float32
            or not all(_is_zero(state) for state in initial_state)
        ):
            return keras_inner_loop(sequences, initial_state, mask, training)
        weights = _fused_weights(layer.cell)
        last, outputs, h, c, _ = composite(sequences, *initial_state[:2], *weights)
        return last, outputs, [h, c]

    return inner_loop


@contextlib.contextmanager
def fused_lstm_layers(model):
    """Routes every fusable RNN layer of `model` through the fusable function.

    Yields:
        The names of the layers routed (a mask at trace time still falls back
        to the loop).
    """
    layers = [layer for layer in iter_layers(model) if fusable(layer)]
    try:
        for layer in layers:
            layer.inner_loop = _fused_inner_loop(layer)
        yield [layer.name for layer in layers]
    finally:
        for layer in layers:
            del layer.inner_loop
