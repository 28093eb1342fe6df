import keras
import numpy as np

from keras_rnn_kit.cells import LSTMCell
from tests.cells.cell_fixtures import build_rnn
from tests.cells.numpy_reference import run_sequence


def test_matches_numpy_equations(rng):
    # Gers et al. 2000 in numpy (gates [i, f, g, o]); atol 1e-5.
    layer = build_rnn("lstm", return_sequences=True, return_state=True)
    x = rng.normal(size=(4, 6, 3)).astype("float32")
    want, (h_want, c_want) = run_sequence(
        "lstm", x, [w.numpy() for w in layer.weights], 2
    )
    out, h, c = layer(x)
    np.testing.assert_allclose(out, want, atol=1e-5)
    np.testing.assert_allclose(h, h_want, atol=1e-5)
    np.testing.assert_allclose(c, c_want, atol=1e-5)


def test_matches_keras_lstm_with_copied_weights(rng):
    kit = build_rnn("lstm", return_sequences=True, return_state=True)
    reference = keras.layers.LSTM(5, return_sequences=True, return_state=True)
    reference.build((None, 6, 3))
    reference.set_weights(kit.get_weights())
    x = rng.normal(size=(3, 6, 3)).astype("float32")
    for got, want in zip(kit(x), reference(x), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_unit_forget_bias_initialises_forget_gate_to_one():
    cell = LSTMCell(3)
    cell.build((None, 2))
    np.testing.assert_array_equal(cell.bias.numpy(), [0, 0, 0, 1, 1, 1] + [0] * 6)
    plain = LSTMCell(3, unit_forget_bias=False)
    plain.build((None, 2))
    np.testing.assert_array_equal(plain.bias.numpy(), np.zeros(12))


def test_keyword_arguments_match_keras_lstm_cell():
    # A user can swap keras.layers.LSTMCell for ours without editing arguments.
    kwargs = dict(
        units=4,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer="l2",
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.1,
        recurrent_dropout=0.1,
        seed=3,
    )
    ours, theirs = LSTMCell(**kwargs), keras.layers.LSTMCell(**kwargs)
    shared = set(theirs.get_config()) - {"implementation", "name"}
    for key in shared:
        assert ours.get_config()[key] == theirs.get_config()[key], key
