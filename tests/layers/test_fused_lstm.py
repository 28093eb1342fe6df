"""The fused BlockLSTM path equals the step loop, values and gradients (1e-5)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit import cells
from keras_rnn_kit.layers import fused_lstm
from keras_rnn_kit.layers.rnn import RNN
from tests.cells.cell_fixtures import randomize_weights

FUSABLE = [cells.LSTMCell, cells.OriginalLSTMCell]


def _pair(cell_class, implementation="fused", units=6, time=7, input_dim=3, **kwargs):
    """A Keras step-loop RNN and a kit RNN sharing random weights."""
    loop = keras.layers.RNN(cell_class(units), **kwargs)
    loop.build((None, time, input_dim))
    randomize_weights(loop)
    kit = RNN(cell_class(units), implementation=implementation, **kwargs)
    kit.build((None, time, input_dim))
    kit.set_weights(loop.get_weights())
    return loop, kit


@tf.function(autograph=False)
def _values_and_gradients(layer, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = keras.tree.flatten(layer(x))
        loss = sum(tf.reduce_sum(o * o) for o in outputs)
    return outputs, tape.gradient(loss, [x] + layer.trainable_weights)


def _assert_same(loop, kit, x):
    want_values, want_grads = _values_and_gradients(loop, x)
    got_values, got_grads = _values_and_gradients(kit, x)
    for got, want in zip(got_values + got_grads, want_values + want_grads, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cell_class", FUSABLE)
@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_fused_equals_step_loop_with_gradients(
    cell_class, return_sequences, go_backwards, rng
):
    loop, kit = _pair(
        cell_class,
        "fused",
        return_sequences=return_sequences,
        go_backwards=go_backwards,
        return_state=True,
    )
    _assert_same(loop, kit, tf.constant(rng.normal(size=(2, 7, 3)), tf.float32))


@pytest.mark.parametrize("cell_class", FUSABLE)
def test_fused_honours_initial_state(cell_class, rng):
    loop, kit = _pair(cell_class, return_state=True)
    x = rng.normal(size=(2, 7, 3)).astype("float32")
    state = [rng.normal(size=(2, 6)).astype("float32") for _ in range(2)]
    for got, want in zip(
        kit(x, initial_state=state), loop(x, initial_state=state), strict=True
    ):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_original_lstm_cell_state_is_not_clipped_or_forgotten():
    # i ≈ 1 and g ≈ 1 at every step, so c_T ≈ T = 60: far above BlockLSTM's default
    # clip (3) and exactly what a forget gate (f < 1) would shrink.
    loop, kit = _pair(cells.OriginalLSTMCell, units=2, time=60, return_state=True)
    bias = np.concatenate([np.full(2, 20.0), np.full(2, 20.0), np.zeros(2)])
    for layer in (loop, kit):
        layer.cell.bias.assign(bias.astype("float32"))
        layer.cell.kernel.assign(np.zeros((3, 6), "float32"))
        layer.cell.recurrent_kernel.assign(np.zeros((2, 6), "float32"))
    x = np.zeros((1, 60, 3), "float32")
    _, _, c_kit = kit(x)
    np.testing.assert_allclose(c_kit, np.full((1, 2), 60.0), rtol=1e-5)
    np.testing.assert_allclose(c_kit, loop(x)[2], rtol=1e-6)


def _op_types(layer, x):
    graph = tf.function(layer).get_concrete_function(x).graph
    types = {op.type for op in graph.get_operations()}
    for function in graph._functions.values():
        types |= {node.op for node in function.definition.node_def}
    return types


@pytest.mark.parametrize(
    "implementation, has_block, has_loop",
    [("fused", True, False), ("loop", False, True), ("auto", False, True)],
)
def test_implementation_selects_the_kernel(implementation, has_block, has_loop):
    # "auto" runs the XLA-compiled path on a CPU: a While loop, no BlockLSTM.
    _, kit = _pair(cells.LSTMCell, implementation)
    types = _op_types(kit, tf.TensorSpec((None, 7, 3), tf.float32))
    assert ("BlockLSTM" in types) is has_block
    assert any("While" in t for t in types) is has_loop


def test_fusable_only_for_the_exact_equations():
    assert fused_lstm.fusable(cells.LSTMCell(3))
    assert fused_lstm.fusable(cells.OriginalLSTMCell(3))
    assert not fused_lstm.fusable(cells.LSTMCell(3, activation="relu"))
    assert not fused_lstm.fusable(
        cells.OriginalLSTMCell(3, recurrent_activation="hard_sigmoid")
    )
    assert not fused_lstm.fusable(cells.VanillaRNNCell(3))
    assert not fused_lstm.fusable(keras.layers.LSTMCell(3))
