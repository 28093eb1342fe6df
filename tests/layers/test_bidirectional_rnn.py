"""BidirectionalRNN: Keras Bidirectional parity, padding, merged states, saving."""

import keras
import numpy as np
import pytest

from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.cells import VanillaRNNCell
from keras_rnn_kit.layers import BidirectionalRNN
from keras_rnn_kit.layers import StackedRNN
from tests.cells.cell_fixtures import randomize_weights
from tests.layers.rnn_reference import cell_weights
from tests.layers.rnn_reference import pad_with_garbage
from tests.layers.rnn_reference import run_cell
from tests.layers.rnn_reference import run_stack
from tests.test_case import assert_config_round_trip
from tests.test_case import assert_reloads_in_fresh_process

ATOL = 1e-5
MERGES = {
    "concat": lambda f, b: np.concatenate([f, b], axis=-1),
    "sum": lambda f, b: f + b,
    "ave": lambda f, b: (f + b) / 2,
    "mul": lambda f, b: f * b,
}


def keras_reference(units, merge_mode, x, mask, weights=None):
    """`keras.layers.Bidirectional(LSTM)` outputs and its (unmerged) states."""
    bi = keras.layers.Bidirectional(
        keras.layers.LSTM(units, return_sequences=True, return_state=True),
        merge_mode=merge_mode,
    )
    bi.build(x.shape)
    randomize_weights(bi, seed=1)
    return bi, bi(x, mask=mask)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul", None])
@pytest.mark.parametrize("cell_or_layer", ["kit_cell", "keras_lstm"])
def test_matches_keras_bidirectional_lstm(rng, merge_mode, cell_or_layer):
    x, mask = pad_with_garbage([rng.normal(size=(n, 3)) for n in (5, 2)], 5, rng)
    bi_keras, want = keras_reference(4, merge_mode, x, mask)
    layer = LSTMCell(4) if cell_or_layer == "kit_cell" else keras.layers.LSTM(4)
    bi = BidirectionalRNN(
        layer, merge_mode=merge_mode, return_sequences=True, return_state=True
    )
    bi.build(x.shape)
    bi.set_weights(bi_keras.get_weights())
    got = bi(x, mask=mask)
    if merge_mode is None:
        # [forward, backward, h_f, c_f, h_b, c_b]: the Keras layout exactly.
        assert len(got) == len(want) == 6
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, atol=ATOL)
        return
    # Keras: [output, h_f, c_f, h_b, c_b]; kit: [output, merge(h), merge(c)].
    assert len(got) == 3
    np.testing.assert_allclose(got[0], want[0], atol=ATOL)
    merge = MERGES[merge_mode]
    np.testing.assert_allclose(got[1], merge(want[1], want[3]), atol=ATOL)
    np.testing.assert_allclose(got[2], merge(want[2], want[4]), atol=ATOL)


def test_backward_starts_at_last_real_token(rng):
    lengths = [6, 4, 1]
    rows = [rng.normal(size=(n, 3)) for n in lengths]
    x, mask = pad_with_garbage(rows, 6, rng)
    bi = BidirectionalRNN(
        VanillaRNNCell(5), merge_mode=None, return_sequences=True, return_state=True
    )
    bi.build(x.shape)
    randomize_weights(bi, seed=2)
    forward, backward, h_forward, h_backward = bi(x, mask=mask)
    w_forward = cell_weights(bi.forward_layer.cell)
    w_backward = cell_weights(bi.backward_layer.cell)
    for i, row in enumerate(rows):
        n = lengths[i]
        want_f, [want_hf] = run_cell("vanilla", row[None], w_forward, state_count=1)
        rev, [want_hb] = run_cell("vanilla", row[None, ::-1], w_backward, state_count=1)
        np.testing.assert_allclose(forward[i, :n], want_f[0], atol=ATOL)
        np.testing.assert_allclose(h_forward[i], want_hf[0], atol=ATOL)
        # Backward outputs are back in time order: step t holds ←h_t.
        np.testing.assert_allclose(backward[i, :n], rev[0, ::-1], atol=ATOL)
        np.testing.assert_allclose(h_backward[i], want_hb[0], atol=ATOL)


def test_wraps_stacked_rnn_with_merged_states(rng):
    names = ["lstm", "vanilla"]
    bi = BidirectionalRNN(
        StackedRNN([LSTMCell(3), VanillaRNNCell(3)], residual=True),
        merge_mode="sum",
        return_state=True,
    )
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    bi.build(x.shape)
    randomize_weights(bi, seed=3)
    output, h1, c1, h2 = bi(x)
    fw = [cell_weights(c) for c in bi.forward_layer.cells]
    bw = [cell_weights(c) for c in bi.backward_layer.cells]
    f_seq, f_states = run_stack(names, x, fw, residual=True)
    b_seq, b_states = run_stack(names, x[:, ::-1], bw, residual=True)
    np.testing.assert_allclose(output, f_seq[:, -1] + b_seq[:, -1], atol=ATOL)
    for got, f, b in zip([h1, c1, h2], f_states, b_states, strict=True):
        np.testing.assert_allclose(got, f + b, atol=ATOL)


def test_initial_state_splits_forward_then_backward(rng):
    bi = BidirectionalRNN(VanillaRNNCell(3), merge_mode=None, return_state=True)
    x = rng.normal(size=(2, 4, 2)).astype("float32")
    bi.build(x.shape)
    randomize_weights(bi, seed=4)
    h0_f, h0_b = (rng.normal(size=(2, 3)).astype("float32") for _ in range(2))
    _, _, h_f, h_b = bi(x, initial_state=[h0_f, h0_b])
    w_f = cell_weights(bi.forward_layer.cell)
    w_b = cell_weights(bi.backward_layer.cell)
    np.testing.assert_allclose(
        h_f, run_cell("vanilla", x, w_f, [h0_f])[1][0], atol=ATOL
    )
    np.testing.assert_allclose(
        h_b, run_cell("vanilla", x[:, ::-1], w_b, [h0_b])[1][0], atol=ATOL
    )


def test_functional_model_propagates_mask(rng):
    ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(30, 3, mask_zero=True)(ids)
    x = BidirectionalRNN(LSTMCell(4), return_sequences=True)(x)
    y = BidirectionalRNN(LSTMCell(2), merge_mode="ave")(x)
    model = keras.Model(ids, y)
    short = np.array([[5, 6, 7, 8]])
    np.testing.assert_allclose(
        model(short), model(np.array([[5, 6, 7, 8, 0, 0]])), atol=ATOL
    )


def test_unknown_merge_mode_is_named():
    with pytest.raises(ValueError, match=r"`merge_mode` must be one of.*'max'"):
        BidirectionalRNN(LSTMCell(2), merge_mode="max")


def test_bad_layers_and_inputs_are_named():
    with pytest.raises(ValueError, match=r"`cell_or_layer` must be a recurrent cell"):
        BidirectionalRNN(keras.layers.Dense(3))
    built = keras.layers.LSTM(2)
    built.build((None, 3, 1))
    with pytest.raises(ValueError, match=r"`cell_or_layer` must not be built"):
        BidirectionalRNN(built)
    bi = BidirectionalRNN(LSTMCell(2))
    with pytest.raises(ValueError, match=r"`inputs` must have rank 3.*got rank 4"):
        bi(np.zeros((1, 2, 3, 4), "float32"))
    with pytest.raises(TypeError, match=r"`inputs` must be a floating-point"):
        bi(np.zeros((1, 2, 3), "int64"))


def test_config_round_trip_with_kit_cell():
    bi = BidirectionalRNN(
        StackedRNN([LSTMCell(3, dropout=0.1), VanillaRNNCell(3)]),
        merge_mode="mul",
        return_sequences=True,
    )
    clone = assert_config_round_trip(bi)
    assert isinstance(clone.forward_layer, StackedRNN)
    assert clone.backward_layer.go_backwards and not clone.forward_layer.go_backwards
    assert type(clone.forward_layer.cells[0]).__name__ == "LSTMCell"


@pytest.mark.slow
def test_reloads_in_fresh_process(tmp_path, rng):
    inputs = keras.Input((None, 3), name="sequences")
    mask = keras.Input((None,), dtype="bool", name="mask")
    outputs = BidirectionalRNN(
        StackedRNN([LSTMCell(4), VanillaRNNCell(4)]), return_state=True
    )(inputs, mask=mask)
    model = keras.Model({"sequences": inputs, "mask": mask}, outputs)
    randomize_weights(model, seed=6)
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    m = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], bool)
    assert_reloads_in_fresh_process(model, {"sequences": x, "mask": m}, tmp_path)
