"""`CompileWhenRepaid` rents the plain-op function until it has cost a compile,
then runs the XLA one; the kit RNN's traced inference goes through it and equals
the Keras step loop on both sides of that switch."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit import cells
from keras_rnn_kit.layers import compiled_sequence
from keras_rnn_kit.layers.compile_when_repaid import CompileWhenRepaid
from keras_rnn_kit.layers.rnn import RNN


def _marked_pair():
    """A plain and a compiled function that differ, to tell which one ran; the
    plain one keeps busy for at least 5 ms (longer when descheduled), so that
    time is spent."""

    def plain(x):
        start = tf.timestamp()
        busy = tf.while_loop(
            lambda t: tf.timestamp() - start < 0.005,
            lambda t: t + 1,
            [tf.constant(0)],
        )
        with tf.control_dependencies([busy]):
            return (x + 1.0,)

    compiled = tf.function(lambda x: (x + 2.0,), jit_compile=True)
    return plain, compiled


def test_rents_until_the_time_spent_reaches_a_compile_then_runs_compiled():
    tier = CompileWhenRepaid(compile_seconds=0.02)
    plain, compiled = _marked_pair()
    run = tf.function(lambda x: tier(plain, compiled, x, length=64, batch=3)[0])
    results, spent = [], []
    for _ in range(12):
        results.append(float(run(tf.zeros([]))))
        spent.append(tier.seconds_spent(length=64, batch=3))
    first_compiled = results.index(2.0)
    assert set(results[:first_compiled]) == {1.0}
    assert set(results[first_compiled:]) == {2.0}
    # Each plain call (busy >= 5 ms) adds at least its busy time, so 0.02 s is
    # reached within 4 calls (fewer when a busy machine stretches the calls).
    counted = np.diff([0.0, *spent[:first_compiled]])
    assert (counted >= 0.005 - 1e-9).all(), counted
    assert 1 <= first_compiled <= 4, results
    # It switches on the call after the count reached a compile, not earlier.
    before = spent[first_compiled - 2] if first_compiled >= 2 else 0.0
    assert spent[first_compiled - 1] >= 0.02 > before
    # Once repaid, nothing more is counted.
    assert spent[first_compiled:] == [spent[first_compiled - 1]] * len(
        spent[first_compiled:]
    )


def test_time_is_counted_per_padded_length_and_batch_size():
    tier = CompileWhenRepaid(compile_seconds=0.01)
    plain, compiled = _marked_pair()
    run = tf.function(
        lambda x, length, batch: tier(plain, compiled, x, length=length, batch=batch)
    )
    for _ in range(4):
        run(tf.zeros([]), tf.constant(128), tf.constant(2))
    assert tier.seconds_spent(length=128, batch=2) >= 0.01
    assert float(run(tf.zeros([]), tf.constant(128), tf.constant(2))[0]) == 2.0
    for length, batch in ((64, 2), (128, 1), (256, 2)):
        assert tier.seconds_spent(length=length, batch=batch) == 0.0
        assert float(run(tf.zeros([]), tf.constant(length), tf.constant(batch))[0]) == (
            1.0
        )


def test_applies_only_in_traced_functions_outside_xla_and_strategies():
    tier = CompileWhenRepaid()
    seen = {}
    tf.function(lambda: seen.setdefault("traced", tier.applies()))()
    tf.function(lambda: seen.setdefault("xla", tier.applies()), jit_compile=True)()
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    strategy.run(tf.function(lambda: seen.setdefault("strategy", tier.applies())))
    assert seen == {"traced": True, "xla": False, "strategy": False}
    assert tier.applies() is False  # eager


def test_refuses_a_negative_compile_cost():
    with pytest.raises(ValueError, match="`compile_seconds`.*-1"):
        CompileWhenRepaid(compile_seconds=-1)


@pytest.mark.parametrize(
    "cell_class, batch, return_sequences",
    [
        (cells.VanillaRNNCell, 5, True),
        (cells.LSTMCell, 6, True),
        (cells.OriginalLSTMCell, 7, True),
        (cells.LSTMCell, 8, False),
    ],
)
def test_traced_inference_equals_the_step_loop_before_and_after_compiling(
    cell_class, batch, return_sequences, rng
):
    # 300 steps (padded to 512) at batches 5-8: slots no other test fills. The
    # plain loop runs the 300 steps unpadded; the XLA branch pads to 512.
    tier = compiled_sequence.INFERENCE_TIER
    kit = RNN(cell_class(4), return_sequences=return_sequences, return_state=True)
    x = rng.normal(size=(batch, 300, 3)).astype("float32")
    lengths = rng.integers(1, 301, size=batch)
    lengths[:2] = 300, 1
    mask = np.arange(300)[None, :] < lengths[:, None]
    kit(x, mask=mask)
    loop = keras.layers.RNN(
        kit.cell, return_sequences=return_sequences, return_state=True
    )
    expected = loop(x, mask=mask)
    infer = tf.function(lambda x, mask: kit(x, mask=mask, training=False))
    spent = []
    for _ in range(400):
        for got, want in zip(infer(x, mask), expected, strict=True):
            np.testing.assert_allclose(got, want, atol=1e-5)
        spent.append(tier.seconds_spent(length=512, batch=batch))
        if len(spent) > 3 and spent[-1] == spent[-3]:
            break
    # It rented (time was counted), then ran compiled (the count stopped).
    assert spent[0] > 0.0
    assert spent[-1] == spent[-3] >= tier.compile_seconds


def test_refuses_a_function_that_captures_a_tensor():
    tier = CompileWhenRepaid()
    offset = tf.constant(3.0)
    plain = lambda x: (x + offset,)  # noqa: E731
    compiled = tf.function(lambda x: (x + 3.0,), jit_compile=True)
    run = tf.function(lambda x: tier(plain, compiled, x, length=32, batch=1))
    with pytest.raises(ValueError, match="`plain` must take every tensor.*captures 1"):
        run(tf.zeros([]))


def test_gradients_of_traced_inference_equal_the_step_loop(rng):
    # Traced inference (training=False) feeds the loop unpadded; a tape over it
    # differentiates through the kernel's own gradient all the same.
    kit = RNN(cells.LSTMCell(4), return_sequences=True)
    x = tf.constant(rng.normal(size=(3, 11, 2)).astype("float32"))
    mask = tf.constant(np.arange(11)[None, :] < np.array([[11], [4], [7]]))
    kit(x, mask=mask)
    loop = keras.layers.RNN(kit.cell, return_sequences=True)

    def gradients(layer):
        @tf.function
        def run(x, mask):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_sum(tf.sin(layer(x, mask=mask, training=False)))
            return tape.gradient(loss, [x, *kit.cell.trainable_weights])

        return run(x, mask)

    for got, want in zip(gradients(kit), gradients(loop), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)
