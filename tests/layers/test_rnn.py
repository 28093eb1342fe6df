import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit import cells
from keras_rnn_kit.layers.rnn import RNN
from tests.cells.cell_fixtures import randomize_weights
from tests.test_case import assert_config_round_trip
from tests.test_case import assert_reloads_in_fresh_process


def test_masked_input_falls_back_to_the_loop_and_matches_keras(rng):
    kit = RNN(cells.LSTMCell(4), implementation="fused", return_state=True)
    ref = keras.layers.RNN(cells.LSTMCell(4), return_state=True)
    kit.build((None, 6, 3))
    ref.build((None, 6, 3))
    randomize_weights(ref)
    kit.set_weights(ref.get_weights())
    x = rng.normal(size=(2, 6, 3)).astype("float32")
    mask = np.array([[True] * 6, [True] * 3 + [False] * 3])
    for got, want in zip(kit(x, mask=mask), ref(x, mask=mask), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)


@pytest.mark.parametrize("implementation", ["fused", "compiled", "auto"])
def test_dropout_in_training_uses_the_loop(implementation):
    layer = RNN(cells.LSTMCell(4, dropout=0.5), implementation=implementation)
    x = keras.ops.ones((2, 5, 3))
    layer.build(x.shape)
    assert layer.selected_kernel(x, None, True) == "loop"
    assert layer.selected_kernel(x, None, False) == (
        "fused" if implementation == "fused" else "compiled"
    )


def test_fit_trains_through_the_fused_kernel(rng):
    x = rng.normal(size=(64, 10, 3)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None] / 10.0
    model = keras.Sequential(
        [
            keras.Input((10, 3)),
            RNN(cells.OriginalLSTMCell(8), implementation="fused"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(keras.optimizers.Adam(0.02), "mse")
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.3 * history.history["loss"][0]


def test_bad_implementation_is_reported():
    with pytest.raises(ValueError, match="`implementation` must be one of 'auto'"):
        RNN(cells.LSTMCell(3), implementation="cudn")


def test_config_round_trip_keeps_implementation():
    layer = RNN(cells.LSTMCell(3), implementation="loop", return_sequences=True)
    clone = assert_config_round_trip(layer)
    assert clone.implementation == "loop" and clone.return_sequences


@pytest.mark.slow
def test_reloads_in_fresh_process(tmp_path, rng):
    inputs = keras.Input((5, 3))
    model = keras.Model(inputs, RNN(cells.OriginalLSTMCell(4))(inputs))
    randomize_weights(model.layers[-1])
    assert_reloads_in_fresh_process(
        model, rng.normal(size=(2, 5, 3)).astype("float32"), tmp_path
    )


@pytest.mark.parametrize(
    "cell, kernel",
    [
        (cells.VanillaRNNCell(3), "compiled"),
        (cells.LSTMCell(3), "compiled"),
        (cells.OriginalLSTMCell(3), "compiled"),
        (cells.AdditiveRNNCell(3), "loop"),
        (cells.LSTMCell(3, activation="relu"), "loop"),
        (keras.layers.SimpleRNNCell(3), "loop"),
    ],
)
def test_auto_runs_the_compiled_kernel_on_cpu_when_it_applies(cell, kernel):
    layer = RNN(cell)
    x = keras.ops.ones((2, 5, 3))
    layer.build(x.shape)
    assert layer.selected_kernel(x, None, True) == kernel
    assert layer.selected_kernel(x, None, False) == kernel
    assert layer.selected_kernel(x, keras.ops.ones((2, 5), "bool"), False) == "loop"
    assert layer.selected_kernel(keras.ops.ones((2, 5, 3), "float16"), None, False) == (
        "loop"
    )


def test_auto_runs_keras_lstm_kernel_on_a_gpu_machine(monkeypatch):
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: ["GPU"])
    layer = RNN(cells.LSTMCell(3))
    assert layer.selected_kernel(keras.ops.ones((2, 5, 3)), None, True) == "cudnn"
    compiled = RNN(cells.LSTMCell(3), implementation="compiled")
    assert compiled.selected_kernel(keras.ops.ones((2, 5, 3)), None, True) == "compiled"


@pytest.mark.parametrize(
    "implementation, supports_jit",
    [
        ("auto", True),
        ("compiled", True),
        ("loop", True),
        ("fused", False),
        ("cudnn", False),
    ],
)
def test_supports_jit_unless_blocklstm_or_cudnn_may_run(implementation, supports_jit):
    assert RNN(cells.LSTMCell(3), implementation=implementation).supports_jit is (
        supports_jit
    )
    assert RNN(cells.VanillaRNNCell(3), implementation=implementation).supports_jit
