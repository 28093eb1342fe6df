import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit import cells
from keras_rnn_kit.layers.rnn import RNN
from keras_rnn_kit.layers.rnn import cudnn_takes_mask
from tests.cells.cell_fixtures import randomize_weights
from tests.test_case import assert_config_round_trip
from tests.test_case import assert_reloads_in_fresh_process
from tests.test_case import xla_functions


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


@pytest.mark.parametrize(
    "implementation, in_training",
    [("fused", "loop"), ("compiled", "compiled"), ("auto", "compiled")],
)
def test_dropout_in_training_runs_the_compiled_kernel_not_blocklstm(
    implementation, in_training
):
    layer = RNN(cells.LSTMCell(4, dropout=0.5), implementation=implementation)
    x = keras.ops.ones((2, 5, 3))
    layer.build(x.shape)
    assert layer.selected_kernel(x, None, True) == in_training
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


def test_sequences_without_a_time_axis_are_refused_with_the_fix():
    layer = RNN(cells.LSTMCell(3))
    expected = r"rank 3 \(batch, time, features\), got rank 2"
    with pytest.raises(ValueError, match=expected):
        layer(np.zeros((2, 5), "float32"))


def test_an_empty_time_axis_is_refused_even_after_build():
    layer = RNN(cells.LSTMCell(3))
    layer(np.zeros((2, 4, 5), "float32"))
    with pytest.raises(ValueError, match="at least one time step, got shape"):
        layer(np.zeros((2, 0, 5), "float32"))


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
    assert layer.selected_kernel(x, keras.ops.ones((2, 5), "bool"), False) == kernel
    assert layer.selected_kernel(keras.ops.ones((2, 5, 3), "float64"), None, False) == (
        "loop"
    )
    assert layer.selected_kernel(keras.ops.ones((2, 5, 3), "float16"), None, False) == (
        "loop"
    )


def test_auto_runs_keras_lstm_kernel_on_a_gpu_machine(monkeypatch):
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: ["GPU"])
    layer = RNN(cells.LSTMCell(3))
    # Known at construction, before any trace: cuDNN ops have no XLA kernel.
    assert layer.supports_jit is False
    assert RNN(cells.OriginalLSTMCell(3)).supports_jit
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


@pytest.mark.parametrize(
    "rows",
    [
        [[1, 1, 1, 0], [1, 1, 1, 1]],  # right-padded: cuDNN
        [[0, 1, 1, 1], [1, 1, 1, 1]],  # left-padded: the loop
        [[1, 1, 0, 0], [0, 0, 0, 0]],  # an empty row: the loop
    ],
)
def test_cudnn_kernel_runs_every_mask_the_structures_make(rows, rng):
    # On a CPU Keras's kernel is its step loop, so this checks the run-time mask
    # routing (and that no branch crashes), not cuDNN itself: see
    # benchmarks/gpu_checks.py for the GPU run.
    mask = np.array(rows, bool)
    assert bool(cudnn_takes_mask(mask)) is (rows[0] == [1, 1, 1, 0])
    ref = keras.layers.RNN(cells.LSTMCell(4), return_sequences=True)
    kit = RNN(cells.LSTMCell(4), implementation="cudnn", return_sequences=True)
    for layer in (ref, kit):
        layer.build((None, 4, 3))
    randomize_weights(ref)
    kit.set_weights(ref.get_weights())
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    assert kit.selected_kernel(tf.constant(x), mask) == "cudnn"
    np.testing.assert_allclose(kit(x, mask=mask), ref(x, mask=mask), atol=1e-6)
    traced = tf.function(lambda x, m: kit(x, mask=m))
    np.testing.assert_allclose(traced(x, mask), ref(x, mask=mask), atol=1e-6)


def test_keras_export_and_tf_saved_model_save_hold_no_xla_program(tmp_path):
    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(50, 8, mask_zero=True)(inputs)
    x = keras.layers.Bidirectional(RNN(cells.LSTMCell(8)))(x)
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    tokens = np.array([[3, 4, 5, 0], [1, 2, 0, 0]], "int32")
    # Outside an export, the same model traces an XLA program.
    graph = tf.function(model).get_concrete_function(tf.constant(tokens)).graph
    assert any(
        f.definition.attr["_XlaMustCompile"].b for f in graph._functions.values()
    )
    model.export(str(tmp_path / "keras_export"), verbose=False)
    tf.saved_model.save(model, str(tmp_path / "tf_save"))
    assert xla_functions(tmp_path / "keras_export") == []
    assert xla_functions(tmp_path / "tf_save") == []
    loaded = tf.saved_model.load(str(tmp_path / "keras_export"))
    np.testing.assert_allclose(loaded.serve(tokens), model(tokens), atol=1e-6)
