"""The compiled kernel with masks, dropout and padded lengths equals the Keras step
loop (`keras.layers.RNN`), values and gradients, to 1e-5."""

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

# Every kind of mask the kit's structures produce.
MASKS = {
    "right_padded": [
        [1, 1, 1, 1, 1, 1, 1],
        [1, 1, 1, 0, 0, 0, 0],
        [1, 1, 1, 1, 1, 0, 0],
    ],
    "left_padded": [
        [1, 1, 1, 1, 1, 1, 1],
        [0, 0, 0, 1, 1, 1, 1],
        [0, 0, 1, 1, 1, 1, 1],
    ],
    "empty_row_and_holes": [
        [1, 1, 1, 1, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0],
        [1, 0, 1, 0, 1, 1, 0],
    ],
}


def _pair(cell_factory, **kwargs):
    """A Keras step-loop RNN and a compiled kit RNN sharing random weights."""
    loop = keras.layers.RNN(cell_factory(), **kwargs)
    loop.build((None, TIME, INPUT_DIM))
    randomize_weights(loop)
    kit = RNN(cell_factory(), implementation="compiled", **kwargs)
    kit.build((None, TIME, INPUT_DIM))
    kit.set_weights(loop.get_weights())
    return loop, kit


def _inputs(rng, state_count):
    x = tf.constant(rng.normal(size=(BATCH, TIME, INPUT_DIM)), tf.float32)
    states = [
        tf.constant(rng.normal(size=(BATCH, UNITS)), tf.float32)
        for _ in range(state_count)
    ]
    return x, states


@pytest.mark.parametrize("cell_class", COMPILABLE)
@pytest.mark.parametrize("mask_kind", sorted(MASKS))
@pytest.mark.parametrize(
    "return_sequences, go_backwards, zero_output_for_mask",
    [
        (True, False, False),
        (False, True, False),
        (True, True, True),
        (False, False, True),
    ],
)
def test_masked_equals_step_loop_with_gradients(
    cell_class, mask_kind, return_sequences, go_backwards, zero_output_for_mask, rng
):
    # Nonzero initial states: a masked step must keep them, and an output before
    # the first real step must be zero (Keras's loop), not h_0.
    loop, kit = _pair(
        lambda: cell_class(UNITS),
        return_sequences=return_sequences,
        go_backwards=go_backwards,
        zero_output_for_mask=zero_output_for_mask,
        return_state=True,
    )
    mask = tf.constant(np.array(MASKS[mask_kind], bool))
    assert kit.selected_kernel(tf.zeros((1, TIME, INPUT_DIM)), mask, True) == "compiled"
    x, states = _inputs(rng, loop.cell.state_count)
    for training in (True, False):
        assert_same_values_and_gradients(
            loop, kit, x, states, seed=3, mask=mask, training=training
        )


@pytest.mark.parametrize("cell_class", COMPILABLE)
def test_variational_dropout_equals_step_loop_with_gradients(cell_class, rng):
    # Same seed, same draws: both layers' cells make the same per-sequence masks.
    loop, kit = _pair(
        lambda: cell_class(UNITS, dropout=0.3, recurrent_dropout=0.4, seed=7),
        return_sequences=True,
        return_state=True,
    )
    assert kit.selected_kernel(tf.zeros((1, TIME, INPUT_DIM)), None, True) == "compiled"
    x, states = _inputs(rng, loop.cell.state_count)
    mask = tf.constant(np.array(MASKS["right_padded"], bool))
    assert_same_values_and_gradients(
        loop, kit, x, states, seed=5, mask=mask, training=True
    )


def test_dropout_changes_the_result_only_in_training(rng):
    loop, kit = _pair(
        lambda: cells.LSTMCell(UNITS, dropout=0.5, recurrent_dropout=0.5, seed=1)
    )
    x, _ = _inputs(rng, 2)
    plain = RNN(cells.LSTMCell(UNITS), implementation="compiled")
    plain.build((None, TIME, INPUT_DIM))
    plain.set_weights(kit.get_weights())
    np.testing.assert_allclose(kit(x, training=False), plain(x), atol=1e-6)
    assert np.max(np.abs(kit(x, training=True) - plain(x))) > 1e-3


@pytest.mark.parametrize(
    "steps, padded",
    [(1, 8), (8, 8), (9, 16), (17, 32), (32, 32), (33, 64), (65, 128), (100, 128)],
)
def test_bucket_length_is_the_next_power_of_two(steps, padded):
    assert int(compiled_sequence.bucket_length(steps)) == padded
    assert int(tf.function(compiled_sequence.bucket_length)(tf.constant(steps))) == (
        padded
    )


def test_many_lengths_share_few_compiled_programs(rng):
    # Lengths 40..47 pad to 64: one forward and one backward program in all.
    layer = RNN(cells.LSTMCell(UNITS), implementation="compiled", return_sequences=True)
    layer.build((None, None, INPUT_DIM))
    layer(tf.zeros((2, 40, INPUT_DIM)))  # trace once at this batch and flags
    forward_traces = compiled_sequence._forward.experimental_get_tracing_count()
    for length in range(40, 48):
        x = tf.constant(rng.normal(size=(2, length, INPUT_DIM)), tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
        tape.gradient(y, x)
        reference = keras.layers.RNN(layer.cell, return_sequences=True)
        np.testing.assert_allclose(y, reference(x), atol=1e-5)
    # One more forward trace: the storing (training) variant.
    assert compiled_sequence._forward.experimental_get_tracing_count() <= (
        forward_traces + 1
    )


def test_retraced_predict_reuses_one_forward_function(rng):
    # Keras retraces `predict` for each new static length; each retrace must
    # call the same concrete `_forward` (XLA caches per concrete function), so
    # that the padded length, not the caller's tracing, decides the compiles.
    inputs = keras.Input((None, INPUT_DIM))
    model = keras.Model(inputs, RNN(cells.OriginalLSTMCell(UNITS + 1))(inputs))
    reference = keras.Model(inputs, keras.layers.RNN(model.layers[-1].cell)(inputs))
    forward_traces = compiled_sequence._forward.experimental_get_tracing_count()
    for length in (3, 5, 9, 17):
        x = rng.normal(size=(1, length, INPUT_DIM)).astype("float32")
        np.testing.assert_allclose(model.predict(x, verbose=0), reference(x), atol=1e-5)
    assert compiled_sequence._forward.experimental_get_tracing_count() <= (
        forward_traces + 1
    )


def test_masked_fit_trains_under_jit_compile(rng):
    tokens = rng.integers(1, 30, size=(48, 12)).astype("int32")
    lengths = rng.integers(2, 13, size=48)
    tokens[np.arange(12)[None, :] >= lengths[:, None]] = 0
    labels = (tokens[:, 0] % 2).astype("float32")[:, None]
    inputs = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(30, 8, mask_zero=True)(inputs)
    h = keras.layers.Bidirectional(RNN(cells.LSTMCell(8, dropout=0.1)))(h)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(h))
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy", jit_compile=True)
    history = model.fit(tokens, labels, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
