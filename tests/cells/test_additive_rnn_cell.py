import numpy as np
from keras import ops

from keras_rnn_kit.cells import AdditiveRNNCell
from tests.cells.cell_fixtures import build_rnn
from tests.cells.numpy_reference import run_sequence


def test_matches_numpy_equations(rng):
    # c_t = c_{t-1} + tanh(x W + h U + b), h_t = tanh(c_t); atol 1e-5.
    layer = build_rnn("additive", return_sequences=True, return_state=True)
    x = rng.normal(size=(3, 6, 3)).astype("float32")
    want, (h_want, c_want) = run_sequence(
        "additive", x, [w.numpy() for w in layer.weights], 2
    )
    out, h, c = layer(x)
    np.testing.assert_allclose(out, want, atol=1e-5)
    np.testing.assert_allclose(h, h_want, atol=1e-5)
    np.testing.assert_allclose(c, c_want, atol=1e-5)


def test_cell_state_has_an_identity_path():
    # dc_t/dc_{t-1} = I when the increment does not depend on c (it depends on h only).
    import tensorflow as tf

    cell = AdditiveRNNCell(3)
    x = np.ones((1, 2), "float32")
    h = tf.zeros((1, 3))
    c = tf.constant([[0.3, -0.2, 0.1]])
    cell.build((None, 2))
    with tf.GradientTape() as tape:
        tape.watch(c)
        _, (_, c_next) = cell(x, [h, c])
        jacobian = tape.jacobian(c_next, c)
    np.testing.assert_allclose(ops.reshape(jacobian, (3, 3)), np.eye(3), atol=1e-6)
