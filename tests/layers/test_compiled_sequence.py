"""The XLA-compiled path equals the Keras step loop, values and gradients (1e-5)."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit import cells
from keras_rnn_kit.layers import compiled_sequence
from keras_rnn_kit.layers.rnn import RNN
from tests.cells.cell_fixtures import randomize_weights
from tests.layers.rnn_reference import assert_same_values_and_gradients

COMPILABLE = [cells.VanillaRNNCell, cells.LSTMCell, cells.OriginalLSTMCell]
BATCH, TIME, INPUT_DIM, UNITS = 3, 7, 5, 4


def _pair(cell_class, use_bias=True, **kwargs):
    """A Keras step-loop RNN and a compiled kit RNN sharing random weights."""
    loop = keras.layers.RNN(cell_class(UNITS, use_bias=use_bias), **kwargs)
    loop.build((None, TIME, INPUT_DIM))
    randomize_weights(loop)
    kit = RNN(cell_class(UNITS, use_bias=use_bias), implementation="compiled", **kwargs)
    kit.build((None, TIME, INPUT_DIM))
    kit.set_weights(loop.get_weights())
    return loop, kit


def _assert_same(loop, kit, rng, training=True):
    x = tf.constant(rng.normal(size=(BATCH, TIME, INPUT_DIM)), tf.float32)
    states = [
        tf.constant(rng.normal(size=(BATCH, UNITS)), tf.float32)
        for _ in range(loop.cell.state_count)
    ]
    seed = int(rng.integers(1 << 30))
    assert_same_values_and_gradients(loop, kit, x, states, seed, training=training)


@pytest.mark.parametrize("cell_class", COMPILABLE)
@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_equals_step_loop_with_gradients(
    cell_class, return_sequences, go_backwards, rng
):
    # return_state=True: the loss also reads the final states, so gradients flow
    # in through them as well as through the outputs.
    loop, kit = _pair(
        cell_class,
        return_sequences=return_sequences,
        go_backwards=go_backwards,
        return_state=True,
    )
    _assert_same(loop, kit, rng)


@pytest.mark.parametrize("cell_class", COMPILABLE)
def test_equals_step_loop_without_bias(cell_class, rng):
    loop, kit = _pair(cell_class, use_bias=False, return_state=True)
    assert kit.cell.bias is None
    _assert_same(loop, kit, rng)


@pytest.mark.parametrize("cell_class", COMPILABLE)
def test_gradient_in_inference_reruns_the_storing_forward(cell_class, rng):
    # training=False keeps nothing for the backward pass; a gradient asked for
    # anyway (saliency, diagnostics) must still be exact.
    loop, kit = _pair(cell_class, return_sequences=True, return_state=True)
    _assert_same(loop, kit, rng, training=False)


def test_original_lstm_cell_state_accumulates_without_forgetting():
    # i ≈ 1 and g ≈ 1 at every step, so c_T ≈ T: no forget gate, no clipping.
    loop, kit = _pair(cells.OriginalLSTMCell, return_state=True)
    bias = np.concatenate([np.full(UNITS, 20.0), np.full(UNITS, 20.0), np.zeros(UNITS)])
    for layer in (loop, kit):
        layer.cell.bias.assign(bias.astype("float32"))
        layer.cell.kernel.assign(np.zeros((INPUT_DIM, 3 * UNITS), "float32"))
        layer.cell.recurrent_kernel.assign(np.zeros((UNITS, 3 * UNITS), "float32"))
    x = np.zeros((1, TIME, INPUT_DIM), "float32")
    _, _, c_kit = kit(x)
    np.testing.assert_allclose(c_kit, np.full((1, UNITS), float(TIME)), rtol=1e-5)


def test_compilable_only_for_the_exact_equations():
    assert all(compiled_sequence.compilable(c(3)) for c in COMPILABLE)
    assert not compiled_sequence.compilable(cells.VanillaRNNCell(3, activation="relu"))
    assert not compiled_sequence.compilable(
        cells.LSTMCell(3, recurrent_activation="hard_sigmoid")
    )
    assert not compiled_sequence.compilable(cells.AdditiveRNNCell(3))
    assert not compiled_sequence.compilable(keras.layers.LSTMCell(3))


def _xla_programs(layer, spec):
    """Names of the functions of `layer`'s traced graph marked for XLA."""
    graph = tf.function(layer).get_concrete_function(spec).graph
    return [
        name
        for name, function in graph._functions.items()
        if function.definition.attr["_XlaMustCompile"].b
    ]


def test_compiled_layer_runs_an_xla_program_and_the_loop_none():
    spec = tf.TensorSpec((None, TIME, INPUT_DIM), tf.float32)
    loop, kit = _pair(cells.LSTMCell)
    assert _xla_programs(kit, spec)
    assert not _xla_programs(RNN(loop.cell, implementation="loop"), spec)


def _regression_model(implementation):
    return keras.Sequential(
        [
            keras.Input((None, 3)),
            RNN(
                cells.LSTMCell(8),
                implementation=implementation,
                return_sequences=True,
            ),
            RNN(cells.VanillaRNNCell(8), implementation=implementation),
            keras.layers.Dense(1),
        ]
    )


@pytest.mark.slow
@pytest.mark.parametrize("jit_compile", [False, True])
def test_fit_trains_and_reloads(jit_compile, rng, tmp_path):
    # Input((None, 3)): batch and time are dynamic when Keras traces the step;
    # 70 samples in batches of 16 end with a smaller batch (a second shape).
    x = rng.normal(size=(70, 10, 3)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None] / 10.0
    model = _regression_model("compiled")
    model.compile(keras.optimizers.Adam(0.02), "mse", jit_compile=jit_compile)
    history = model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.3 * history.history["loss"][0]
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    reloaded = keras.saving.load_model(path)
    assert [layer.implementation for layer in reloaded.layers[:2]] == ["compiled"] * 2
    np.testing.assert_allclose(
        reloaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )
    looped = _regression_model("loop")
    looped.set_weights(model.get_weights())
    np.testing.assert_allclose(looped(x), model(x), atol=1e-5)
