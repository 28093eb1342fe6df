"""The structures' own sublayers follow their dtype policy: float64 stays float64.

`StackedRNN`, `BidirectionalRNN` and `HierarchicalRNN` wrap the cells they are
given in `RNN` layers (and pooling) of their own; those wrappers take the
structure's dtype policy, so a float64 structure of float64 cells never rounds
through float32. A float32 wrapper around a float64 cell steps the cell in the
loop, as `keras.layers.RNN` does (it used to send float64 weights to the float32
kernel and fail).
"""

import keras
import numpy as np

from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.cells import OriginalLSTMCell
from keras_rnn_kit.layers import RNN
from keras_rnn_kit.layers import BidirectionalRNN
from keras_rnn_kit.layers import HierarchicalRNN
from keras_rnn_kit.layers import StackedRNN
from tests.cells.cell_fixtures import randomize_weights
from tests.layers.rnn_reference import cell_weights
from tests.layers.rnn_reference import run_cell
from tests.layers.rnn_reference import run_stack

F64 = "float64"
# float64 against a float64 numpy reference: only summation order differs.
ATOL = 1e-12


def _sublayer_policies(layer):
    return {s.dtype_policy.name for s in layer._flatten_layers(include_self=False)}


def test_float64_stack_equals_numpy_in_float64(rng):
    stack = StackedRNN(
        [LSTMCell(4, dtype=F64), OriginalLSTMCell(4, dtype=F64)],
        return_sequences=True,
        dtype=F64,
    )
    x = rng.normal(size=(2, 5, 3))
    stack.build(x.shape)
    randomize_weights(stack)
    got = stack(x)
    assert got.dtype == F64 and _sublayer_policies(stack) == {F64}
    weights = [cell_weights(cell) for cell in stack.cells]
    want, _ = run_stack(["lstm", "original_lstm"], x, weights)
    np.testing.assert_allclose(got, want, atol=ATOL)


def test_float64_bidirectional_equals_numpy_in_float64(rng):
    bi = BidirectionalRNN(LSTMCell(4, dtype=F64), dtype=F64)
    x = rng.normal(size=(2, 5, 3))
    bi.build(x.shape)
    randomize_weights(bi)
    got = bi(x)
    assert got.dtype == F64 and _sublayer_policies(bi) == {F64}
    forward, _ = run_cell("lstm", x, cell_weights(bi.forward_layer.cell), state_count=2)
    backward, _ = run_cell(
        "lstm", x[:, ::-1], cell_weights(bi.backward_layer.cell), state_count=2
    )
    want = np.concatenate([forward[:, -1], backward[:, -1]], axis=-1)
    np.testing.assert_allclose(got, want, atol=ATOL)


def test_float64_hierarchical_keeps_float64_in_every_sublayer(rng):
    han = HierarchicalRNN(
        LSTMCell(4, dtype=F64),
        LSTMCell(3, dtype=F64),
        inner_pooling="attention",
        outer_pooling="attention",
        attention_units=5,
        dtype=F64,
    )
    x = rng.normal(size=(2, 3, 4, 2))  # (batch, sentences, tokens, features)
    got = han(x)
    assert got.dtype == F64 and _sublayer_policies(han) == {F64}
    assert {w.dtype for w in han.weights} == {F64}


def test_float32_wrapper_steps_a_float64_cell_like_keras(rng):
    kit = RNN(LSTMCell(4, dtype=F64), return_sequences=True)
    keras_rnn = keras.layers.RNN(
        keras.layers.LSTMCell(4, dtype=F64), return_sequences=True
    )
    x = rng.normal(size=(2, 6, 3)).astype("float32")
    kit.build(x.shape)
    keras_rnn.build(x.shape)
    randomize_weights(kit)
    keras_rnn.set_weights(kit.get_weights())
    assert kit.selected_kernel(keras.ops.convert_to_tensor(x)) == "loop"
    np.testing.assert_allclose(kit(x), keras_rnn(x), atol=1e-6)
