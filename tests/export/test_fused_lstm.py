"""fuse_lstm=True: kit LSTM layers become UNIDIRECTIONAL_SEQUENCE_LSTM."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.cells import OriginalLSTMCell
from keras_rnn_kit.cells import VanillaRNNCell
from keras_rnn_kit.export import TFLiteRunner
from keras_rnn_kit.export import export_tflite
from keras_rnn_kit.export import list_tflite_ops
from keras_rnn_kit.export.fused_lstm import fusable
from keras_rnn_kit.layers import RNN as KitRNN


def _ops(path):
    with open(path, "rb") as f:
        return list_tflite_ops(f.read())


def test_fusable_layers():
    assert fusable(keras.layers.RNN(LSTMCell(3)))
    assert fusable(KitRNN(OriginalLSTMCell(3), go_backwards=True))
    assert not fusable(keras.layers.RNN(LSTMCell(3), return_state=True))
    assert not fusable(keras.layers.RNN(LSTMCell(3, activation="relu")))
    assert not fusable(keras.layers.RNN(VanillaRNNCell(3)))
    assert not fusable(keras.layers.Dense(3))


@pytest.mark.slow
def test_both_lstms_fuse_and_match_keras(tmp_path):
    keras.utils.set_random_seed(13)
    x = keras.Input((None, 3), name="x")
    forget = keras.layers.RNN(LSTMCell(4), return_sequences=True, name="forget")(x)
    original = KitRNN(OriginalLSTMCell(5), go_backwards=True, name="original")(forget)
    model = keras.Model(x, keras.layers.Dense(2, name="y")(original))
    path = export_tflite(model, tmp_path / "fused.tflite", fuse_lstm=True)
    ops = _ops(path)
    assert ops.count("UNIDIRECTIONAL_SEQUENCE_LSTM") == 1  # one op code, two uses
    assert "WHILE" not in ops
    runner = TFLiteRunner(path)
    rng = np.random.default_rng(8)
    for length in (6, 6, 11):
        sample = rng.normal(size=(1, length, 3)).astype("float32")
        np.testing.assert_allclose(
            runner.run(x=sample)["y"], model(sample).numpy(), atol=1e-5
        )


@pytest.mark.slow
def test_fused_state_carries_over_unless_reset(tmp_path):
    x = keras.Input((None, 3), name="x")
    model = keras.Model(x, keras.layers.RNN(LSTMCell(4), name="rnn")(x))
    path = export_tflite(model, tmp_path / "fused.tflite", fuse_lstm=True)
    sample = np.random.default_rng(9).normal(size=(1, 5, 3)).astype("float32")
    raw = Interpreter(model_path=str(path)).get_signature_runner("serving_default")
    first, second = raw(x=sample)["rnn"], raw(x=sample)["rnn"]
    np.testing.assert_allclose(first, model(sample).numpy(), atol=1e-5)
    assert np.abs(second - first).max() > 1e-4  # started from the last state
    runner = TFLiteRunner(path)
    np.testing.assert_allclose(runner.run(x=sample)["rnn"], first, atol=1e-7)
    np.testing.assert_allclose(runner.run(x=sample)["rnn"], first, atol=1e-7)


@pytest.mark.slow
def test_an_initial_state_input_keeps_the_loop(tmp_path):
    x = keras.Input((None, 3), name="x")
    h0 = keras.Input((4,), name="h0")
    c0 = keras.Input((4,), name="c0")
    h = keras.layers.RNN(LSTMCell(4), name="rnn")(x, initial_state=[h0, c0])
    model = keras.Model([x, h0, c0], h)
    path = export_tflite(model, tmp_path / "init.tflite", fuse_lstm=True)
    assert "WHILE" in _ops(path)


@pytest.mark.slow
def test_a_layer_returning_its_state_keeps_the_loop(tmp_path):
    x = keras.Input((None, 3), name="x")
    _, h, c = keras.layers.RNN(LSTMCell(4), return_state=True)(x)
    model = keras.Model(x, {"h": h, "c": c})
    path = export_tflite(model, tmp_path / "state.tflite", fuse_lstm=True)
    assert "WHILE" in _ops(path)
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" not in _ops(path)


@pytest.mark.slow
def test_runner_resets_fused_state_in_a_file_of_several_signatures(tmp_path):
    # LiteRT cannot reset variables until every signature has allocated its
    # own; the runner calls each once first, so any signature may run first.
    keras.utils.set_random_seed(5)
    x = keras.Input((None, 3), name="x")
    model = keras.Model(x, keras.layers.RNN(LSTMCell(4), name="lstm")(x))
    signature = [tf.TensorSpec((1, None, 3), tf.float32, name="x")]
    functions = {
        name: tf.function(lambda x: {"h": model(x)}, input_signature=signature)
        for name in ("first", "second")
    }
    path = export_tflite(
        model, tmp_path / "two.tflite", fuse_lstm=True, signatures=functions
    )
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in _ops(path)
    runner = TFLiteRunner(path)
    sample = np.random.default_rng(1).normal(size=(1, 5, 3)).astype("float32")
    want = model(sample).numpy()
    for name in ("second", "second", "first"):
        np.testing.assert_allclose(runner.run(name, x=sample)["h"], want, atol=1e-5)
