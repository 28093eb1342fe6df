"""Higher-order and forward-mode autodiff through the default (compiled) kernel
equal the step loop's: a gradient penalty's double tape and a ForwardAccumulator."""

import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit import cells
from keras_rnn_kit.layers.rnn import RNN
from tests.cells.cell_fixtures import randomize_weights

COMPILABLE = [cells.VanillaRNNCell, cells.LSTMCell, cells.OriginalLSTMCell]
BATCH, TIME, INPUT_DIM, UNITS = 3, 6, 5, 4
MASK = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 0]], bool)


def _pair(cell_class, **kwargs):
    loop = RNN(cell_class(UNITS), implementation="loop", **kwargs)
    loop.build((None, TIME, INPUT_DIM))
    randomize_weights(loop)
    kit = RNN(cell_class(UNITS), **kwargs)
    kit.build((None, TIME, INPUT_DIM))
    kit.set_weights(loop.get_weights())
    return loop, kit


def _gradient_penalty_gradients(layer, x, mask):
    """WGAN-GP style: ∂/∂weights of (|∂f/∂x|² - 1)², f a scalar of the output."""
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            inner.watch(x)
            score = tf.reduce_sum(tf.sin(layer(x, mask=mask, training=True)))
        slopes = inner.gradient(score, x)
        penalty = tf.reduce_sum((tf.reduce_sum(slopes**2, axis=[1, 2]) - 1.0) ** 2)
    return outer.gradient(penalty, layer.trainable_weights)


def _assert_close(got, want):
    for g, w in zip(got, want, strict=True):
        assert g is not None
        scale = max(1.0, float(np.max(np.abs(w))))
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5 * scale)


@pytest.mark.parametrize("cell_class", COMPILABLE)
@pytest.mark.parametrize("masked", [False, True])
def test_second_order_gradients_equal_the_step_loop(cell_class, masked, rng):
    loop, kit = _pair(cell_class, return_sequences=True)
    assert kit.selected_kernel(tf.zeros((1, TIME, INPUT_DIM))) == "compiled"
    x = tf.constant(rng.normal(size=(BATCH, TIME, INPUT_DIM)), tf.float32)
    mask = tf.constant(MASK) if masked else None
    want = _gradient_penalty_gradients(loop, x, mask)
    _assert_close(_gradient_penalty_gradients(kit, x, mask), want)
    traced = tf.function(_gradient_penalty_gradients)
    _assert_close(traced(kit, x, mask), want)


@pytest.mark.parametrize("cell_class", COMPILABLE)
def test_forward_mode_equals_the_step_loop(cell_class, rng):
    loop, kit = _pair(cell_class, return_sequences=False)
    x = tf.constant(rng.normal(size=(BATCH, TIME, INPUT_DIM)), tf.float32)
    jvps = []
    for layer in (loop, kit):
        primals = [x, *(w.value for w in layer.trainable_weights)]
        tangents = [tf.ones_like(p) for p in primals]
        with tf.autodiff.ForwardAccumulator(primals, tangents) as accumulator:
            y = layer(x, mask=tf.constant(MASK))
        jvps.append(accumulator.jvp(y))
    assert jvps[1] is not None
    np.testing.assert_allclose(jvps[1], jvps[0], rtol=1e-5, atol=1e-5)


def test_forward_mode_watching_only_the_initial_state_equals_the_step_loop(rng):
    loop, kit = _pair(cells.LSTMCell, return_sequences=True)
    x = tf.constant(rng.normal(size=(BATCH, TIME, INPUT_DIM)), tf.float32)
    states = [tf.constant(rng.normal(size=(BATCH, UNITS)), tf.float32)] * 2
    jvps = []
    for layer in (loop, kit):
        with tf.autodiff.ForwardAccumulator(states[0], tf.ones_like(states[0])) as acc:
            y = layer(x, initial_state=states)
        jvps.append(acc.jvp(y))
    assert jvps[1] is not None and np.max(np.abs(jvps[0])) > 1e-3
    np.testing.assert_allclose(jvps[1], jvps[0], rtol=1e-5, atol=1e-5)
