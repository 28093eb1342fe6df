"""Tests for keras_rnn_kit/layers/keras_lstm_kernel.py: the kit `LSTMCell` run by
`keras.layers.LSTM`'s kernel (cuDNN on a GPU, Keras's loop on this CPU) equals the
step loop, values and gradients, with the cell's own weights (1e-5)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit import cells
from keras_rnn_kit.layers import keras_lstm_kernel
from keras_rnn_kit.layers.rnn import RNN
from tests.cells.cell_fixtures import randomize_weights
from tests.layers.rnn_reference import assert_same_values_and_gradients

BATCH, TIME, INPUT_DIM, UNITS = 3, 6, 5, 4


def _pair(**kwargs):
    loop = RNN(cells.LSTMCell(UNITS), implementation="loop", **kwargs)
    loop.build((None, TIME, INPUT_DIM))
    randomize_weights(loop)
    kit = RNN(cells.LSTMCell(UNITS), implementation="cudnn", **kwargs)
    kit.build((None, TIME, INPUT_DIM))
    kit.set_weights(loop.get_weights())
    return loop, kit


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_equals_the_step_loop_with_gradients(
    return_sequences, go_backwards, masked, rng
):
    loop, kit = _pair(
        return_sequences=return_sequences, go_backwards=go_backwards, return_state=True
    )
    x = tf.constant(rng.normal(size=(BATCH, TIME, INPUT_DIM)), tf.float32)
    states = [tf.constant(rng.normal(size=(BATCH, UNITS)), tf.float32)] * 2
    mask = np.arange(TIME)[None] < np.array([[TIME], [4], [2]]) if masked else None
    assert kit.selected_kernel(x, mask) == "cudnn"
    assert_same_values_and_gradients(loop, kit, x, states, seed=0, mask=mask)


def test_uses_the_cell_weights_and_creates_none(rng):
    _, kit = _pair()
    x = rng.normal(size=(BATCH, TIME, INPUT_DIM)).astype("float32")
    before = kit(x)
    assert len(kit.weights) == 3
    kit.cell.bias.assign(kit.cell.bias + 1.0)  # the next call must see it
    assert not np.allclose(kit(x), before, atol=1e-4)
    assert len(kit.weights) == 3 and kit.supports_jit is False


def test_trains_in_fit_reloads_and_matches_keras_lstm(rng, tmp_path):
    x = rng.normal(size=(32, TIME, INPUT_DIM)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None] / 10.0
    kit = keras.Sequential(
        [
            keras.Input((TIME, INPUT_DIM)),
            RNN(cells.LSTMCell(UNITS), implementation="cudnn"),
            keras.layers.Dense(1),
        ]
    )
    reference = keras.Sequential(
        [
            keras.Input((TIME, INPUT_DIM)),
            keras.layers.LSTM(UNITS),
            keras.layers.Dense(1),
        ]
    )
    reference.set_weights(kit.get_weights())
    for model in (kit, reference):
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    history = kit.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    reference.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    for got, want in zip(kit.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)
    path = tmp_path / "kit.keras"
    kit.save(path)
    reloaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        reloaded.predict(x, verbose=0), kit.predict(x, verbose=0), atol=1e-6
    )
    assert len(reloaded.weights) == len(kit.weights) == 5
    # The file holds each variable once, so it loads where "auto" runs no twin.
    loop_twin = keras.Sequential(
        [
            keras.Input((TIME, INPUT_DIM)),
            RNN(cells.LSTMCell(UNITS), implementation="loop"),
            keras.layers.Dense(1),
        ]
    )
    kit.save_weights(tmp_path / "kit.weights.h5")
    loop_twin.load_weights(tmp_path / "kit.weights.h5")
    np.testing.assert_allclose(
        loop_twin.predict(x, verbose=0), kit.predict(x, verbose=0), atol=1e-5
    )


@pytest.mark.parametrize(
    "cell, applies",
    [
        (cells.LSTMCell(3), True),
        (cells.LSTMCell(3, use_bias=False), False),
        (cells.LSTMCell(3, recurrent_activation="hard_sigmoid"), False),
        (cells.OriginalLSTMCell(3), False),
        (cells.VanillaRNNCell(3), False),
        (keras.layers.LSTMCell(3), False),
    ],
)
def test_applies_only_where_keras_lstm_computes_the_cell(cell, applies):
    assert keras_lstm_kernel.keras_lstm_applies(cell) is applies


def test_auto_runs_it_for_lstm_cells_on_a_gpu_machine(monkeypatch):
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: ["GPU"])
    x = keras.ops.ones((2, 5, 3))
    mask = keras.ops.ones((2, 5), "bool")
    assert RNN(cells.LSTMCell(3)).selected_kernel(x, mask, True) == "cudnn"
    assert RNN(cells.OriginalLSTMCell(3)).selected_kernel(x, None, True) == "loop"
    assert RNN(cells.VanillaRNNCell(3)).selected_kernel(x, None, True) == "loop"
    dropout = RNN(cells.LSTMCell(3, dropout=0.5))
    assert dropout.selected_kernel(x, None, True) == "loop"
