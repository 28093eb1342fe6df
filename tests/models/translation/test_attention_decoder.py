import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.layers import BahdanauAttention
from keras_rnn_kit.layers import LuongAttention
from keras_rnn_kit.models.translation import AttentionDecoder
from tests.layers.attention_reference import attend
from tests.layers.attention_reference import bahdanau_scores

UNITS, EMBED, MEMORY = 6, 4, 5
MASK = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)


def build_decoder(rng):
    decoder = AttentionDecoder(LSTMCell(UNITS), BahdanauAttention(7), units=UNITS)
    decoder.build((None, 3, EMBED), (None, 4, MEMORY))
    for weight in decoder.weights:
        weight.assign(rng.normal(0, 0.5, size=weight.shape).astype("float32"))
    return decoder


def test_matches_a_reference_loop_with_keras_lstm_and_numpy_attention(rng):
    # Luong et al. 2015 with input feeding; Keras's own LSTMCell (copied weights)
    # and numpy Bahdanau attention step by step; atol 1e-5.
    decoder = build_decoder(rng)
    inputs = rng.normal(size=(2, 3, EMBED)).astype("float32")
    memory = rng.normal(size=(2, 4, MEMORY)).astype("float32")
    h0, c0 = (rng.normal(size=(2, UNITS)).astype("float32") for _ in range(2))
    outputs, weights = decoder(inputs, memory, MASK, [h0, c0])

    reference_cell = keras.layers.LSTMCell(UNITS)
    reference_cell.build((None, EMBED + UNITS))
    reference_cell.set_weights(decoder.cell.get_weights())
    attention_weights = [w.numpy() for w in decoder.attention.weights]
    projection = decoder.projection.kernel.numpy()
    states, feed = [h0, c0], np.zeros((2, UNITS), "float32")
    for t in range(3):
        x = np.concatenate([inputs[:, t], feed], axis=-1)
        h, states = reference_cell(x, states)
        h = np.asarray(h)
        scores = bahdanau_scores(h[:, None], memory, *attention_weights)
        context, step_weights = attend(scores, memory, MASK)
        feed = np.tanh(np.concatenate([context[:, 0], h], axis=-1) @ projection)
        np.testing.assert_allclose(outputs[:, t], feed, atol=1e-5)
        np.testing.assert_allclose(weights[:, t], step_weights[:, 0], atol=1e-5)


def test_config_round_trip_rebuilds_cell_and_attention():
    decoder = AttentionDecoder(LSTMCell(4), LuongAttention("dot"), units=4, name="d")
    clone = AttentionDecoder.from_config(decoder.get_config())
    assert isinstance(clone.cell, LSTMCell) and clone.cell.units == 4
    assert isinstance(clone.attention, LuongAttention)
    assert clone.get_config() == decoder.get_config()


def test_bad_arguments_name_the_argument():
    with pytest.raises(TypeError, match="`cell`"):
        AttentionDecoder(keras.layers.Dense(3), BahdanauAttention(3), units=3)
    with pytest.raises(TypeError, match="`attention`"):
        AttentionDecoder(LSTMCell(3), keras.layers.Dense(3), units=3)
    with pytest.raises(ValueError, match="`units`"):
        AttentionDecoder(LSTMCell(3), BahdanauAttention(3), units=0)


@pytest.mark.parametrize(
    "attention", [BahdanauAttention(7), LuongAttention("general")], ids=str
)
def test_gradients_compile_with_xla_and_equal_the_graph_ones(rng, attention):
    """A train step compiled by XLA (`jit_compile=True`, Keras's `"auto"` on a
    GPU) differentiates the time loop, and gets the graph's numbers to 1e-5."""
    decoder = AttentionDecoder(LSTMCell(UNITS), attention, units=UNITS)
    inputs = tf.constant(rng.normal(size=(2, 3, EMBED)), "float32")
    memory = tf.constant(rng.normal(size=(2, 4, MEMORY)), "float32")
    states = [tf.constant(rng.normal(size=(2, UNITS)), "float32") for _ in range(2)]
    decoder(inputs, memory, MASK, states)

    def loss_and_gradients(inputs, memory, states):
        with tf.GradientTape() as tape:
            tape.watch([inputs, memory, *states])
            outputs, weights = decoder(inputs, memory, MASK, states)
            loss = tf.reduce_sum(outputs**2) + tf.reduce_sum(weights[..., :2])
        watched = [inputs, memory, *states, *decoder.trainable_weights]
        return loss, tape.gradient(loss, watched)

    graph = tf.function(loss_and_gradients)(inputs, memory, states)
    xla = tf.function(loss_and_gradients, jit_compile=True)(inputs, memory, states)
    np.testing.assert_allclose(xla[0], graph[0], rtol=1e-5)
    assert len(xla[1]) == len(graph[1]) == 4 + len(decoder.trainable_weights)
    for got, want in zip(xla[1], graph[1], strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_float64_and_second_order_gradients_equal_an_unrolled_loop(rng):
    """In float64 the scan keeps float64, and a gradient penalty's double tape
    through it (the gradient of a gradient's norm) equals the same steps unrolled
    in Python (`decoder.step` at each step, no loop op), to 1e-10."""
    cell = LSTMCell(UNITS, dtype="float64")
    attention = BahdanauAttention(7, dtype="float64")
    decoder = AttentionDecoder(cell, attention, units=UNITS, dtype="float64")
    inputs = tf.constant(rng.normal(size=(2, 3, EMBED)), "float64")
    memory = tf.constant(rng.normal(size=(2, 4, MEMORY)), "float64")
    states = [tf.constant(rng.normal(size=(2, UNITS)), "float64") for _ in range(2)]
    outputs, weights = decoder(inputs, memory, MASK, states)
    assert outputs.dtype == weights.dtype == tf.float64

    def unrolled(inputs, memory, states):
        keys, feed, per_step = decoder.prepare_memory(memory), None, []
        feed = tf.zeros((2, UNITS), tf.float64)
        for t in range(inputs.shape[1]):
            feed, states, _ = decoder.step(
                inputs[:, t], states, feed, memory, keys, MASK
            )
            per_step.append(feed)
        return tf.stack(per_step, axis=1)

    def penalty_gradients(run):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                inner.watch(inputs)
                loss = tf.reduce_sum(tf.sin(run(inputs, memory, states)))
            slope = inner.gradient(loss, inputs)
            penalty = tf.reduce_sum(slope**2)
        return outer.gradient(penalty, decoder.trainable_weights)

    scanned = penalty_gradients(lambda *args: decoder(*args[:2], MASK, args[2])[0])
    reference = penalty_gradients(unrolled)
    np.testing.assert_allclose(
        decoder(inputs, memory, MASK, states)[0],
        unrolled(inputs, memory, states),
        atol=1e-12,
    )
    for got, want in zip(scanned, reference, strict=True):
        assert want is not None and got is not None
        np.testing.assert_allclose(got, want, atol=1e-10)
