import keras
import numpy as np
import tensorflow as tf

from keras_rnn_kit.cells import OriginalLSTMCell
from tests.cells.cell_fixtures import build_rnn
from tests.cells.numpy_reference import run_sequence


def test_matches_numpy_equations(rng):
    # Hochreiter & Schmidhuber 1997 (gates [i, g, o], no forget gate); atol 1e-5.
    layer = build_rnn("original_lstm", return_sequences=True, return_state=True)
    x = rng.normal(size=(4, 6, 3)).astype("float32")
    want, (h_want, c_want) = run_sequence(
        "original_lstm", x, [w.numpy() for w in layer.weights], 2
    )
    out, h, c = layer(x)
    np.testing.assert_allclose(out, want, atol=1e-5)
    np.testing.assert_allclose(h, h_want, atol=1e-5)
    np.testing.assert_allclose(c, c_want, atol=1e-5)


def test_weight_layout_is_three_gates():
    cell = OriginalLSTMCell(4)
    cell.build((None, 3))
    assert tuple(cell.kernel.shape) == (3, 12)
    assert tuple(cell.recurrent_kernel.shape) == (4, 12)
    assert tuple(cell.bias.shape) == (12,)
    assert cell.state_size == [4, 4]


def test_cell_state_never_forgets():
    # No forget gate: dc_t/dc_{t-1} is exactly the identity, whatever the weights.
    cell = OriginalLSTMCell(3)
    cell.build((None, 2))
    x = np.array([[0.5, -1.0]], "float32")
    h = tf.constant([[0.1, 0.2, -0.3]])
    c = tf.constant([[2.0, -1.0, 0.5]])
    with tf.GradientTape() as tape:
        tape.watch(c)
        _, (_, c_next) = cell(x, [h, c])
    jacobian = tape.jacobian(c_next, c)
    np.testing.assert_allclose(tf.reshape(jacobian, (3, 3)), np.eye(3), atol=1e-6)


def test_gates_use_recurrent_activation(rng):
    # hard_sigmoid gates change the result: the argument is really used.
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    default = build_rnn("original_lstm")
    hard = build_rnn("original_lstm")
    hard.cell.recurrent_activation = keras.activations.hard_sigmoid
    assert not np.allclose(default(x), hard(x))
