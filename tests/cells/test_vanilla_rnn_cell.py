import keras
import numpy as np

from keras_rnn_kit.cells import VanillaRNNCell
from tests.cells.cell_fixtures import build_rnn
from tests.cells.numpy_reference import run_sequence


def test_matches_numpy_equations(rng):
    # h_t = tanh(x_t W + h_{t-1} U + b) written in numpy; atol 1e-5 in float32.
    layer = build_rnn("vanilla", return_sequences=True)
    x = rng.normal(size=(4, 6, 3)).astype("float32")
    want, _ = run_sequence("vanilla", x, [w.numpy() for w in layer.weights], 1)
    np.testing.assert_allclose(layer(x), want, atol=1e-5)


def test_matches_keras_simple_rnn_with_copied_weights(rng):
    kit = build_rnn("vanilla", return_sequences=True)
    reference = keras.layers.RNN(keras.layers.SimpleRNNCell(5), return_sequences=True)
    reference.build((None, 6, 3))
    reference.set_weights(kit.get_weights())
    x = rng.normal(size=(2, 6, 3)).astype("float32")
    np.testing.assert_allclose(kit(x), reference(x), atol=1e-6)


def test_weight_layout_is_documented_shape():
    cell = VanillaRNNCell(7)
    cell.build((None, 3))
    assert tuple(cell.kernel.shape) == (3, 7)
    assert tuple(cell.recurrent_kernel.shape) == (7, 7)
    assert tuple(cell.bias.shape) == (7,)
    assert cell.state_size == [7]


def test_activation_is_configurable(rng):
    # With a linear activation the cell is an affine recurrence we can unroll by hand.
    cell = VanillaRNNCell(2, activation="linear")
    layer = keras.layers.RNN(cell, return_sequences=True)
    x = rng.normal(size=(1, 3, 2)).astype("float32")
    out = layer(x).numpy()
    w, u, b = (v.numpy() for v in cell.weights)
    h = np.zeros((1, 2))
    for t in range(3):
        h = x[:, t] @ w + h @ u + b
        np.testing.assert_allclose(out[:, t], h, atol=1e-5)
