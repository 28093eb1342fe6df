"""StackedRNN: numpy and Keras references, residuals, dropout, masks, saving."""

import keras
import numpy as np
import pytest

from keras_rnn_kit.cells import get_cell
from keras_rnn_kit.layers import RNN
from keras_rnn_kit.layers import StackedRNN
from tests.cells.cell_fixtures import randomize_weights
from tests.layers.rnn_reference import cell_weights
from tests.layers.rnn_reference import pad_with_garbage
from tests.layers.rnn_reference import run_stack
from tests.test_case import assert_config_round_trip
from tests.test_case import assert_reloads_in_fresh_process

NAMES = ["lstm", "vanilla", "original_lstm"]
ATOL = 1e-5


def make_stack(input_dim=3, units=4, names=NAMES, seed=0, **kwargs):
    stack = StackedRNN([get_cell(n, units) for n in names], **kwargs)
    stack.build((None, None, input_dim))
    randomize_weights(stack, seed=seed)
    return stack


def reference(stack, names, inputs, **kwargs):
    weights = [cell_weights(cell) for cell in stack.cells]
    return run_stack(names, inputs, weights, **kwargs)


def test_sequences_and_states_match_numpy(rng):
    stack = make_stack(return_sequences=True, return_state=True)
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    outputs = stack(x)
    want_seq, want_states = reference(stack, NAMES, x)
    np.testing.assert_allclose(outputs[0], want_seq, atol=ATOL)
    # [h_1, c_1, h_2, h_3, c_3]: every layer's final states, bottom first.
    assert len(outputs) == 1 + 5
    for got, want in zip(outputs[1:], want_states, strict=True):
        np.testing.assert_allclose(got, want, atol=ATOL)
    last_only = StackedRNN.from_config(
        {**stack.get_config(), "return_sequences": False, "return_state": False}
    )
    last_only.build((None, None, 3))
    last_only.set_weights(stack.get_weights())
    np.testing.assert_allclose(last_only(x), want_seq[:, -1], atol=ATOL)


def test_keras_cells_match_keras_layers(rng):
    stack = StackedRNN([keras.layers.LSTMCell(4), keras.layers.GRUCell(3)])
    lstm = keras.layers.LSTM(4, return_sequences=True)
    gru = keras.layers.GRU(3)
    x = rng.normal(size=(2, 6, 5)).astype("float32")
    want = gru(lstm(x))
    stack.build((None, None, 5))
    stack.set_weights(lstm.get_weights() + gru.get_weights())
    np.testing.assert_allclose(stack(x), want, atol=ATOL)


@pytest.mark.parametrize("input_dim", [3, 4])
def test_residual_matches_numpy(rng, input_dim):
    # With input_dim == units the first layer gets a skip too; otherwise not.
    stack = make_stack(input_dim=input_dim, residual=True, return_sequences=True)
    x = rng.normal(size=(2, 5, input_dim)).astype("float32")
    want, _ = reference(stack, NAMES, x, residual=True)
    np.testing.assert_allclose(stack(x), want, atol=ATOL)
    plain, _ = reference(stack, NAMES, x)
    assert np.abs(want - plain).max() > 1e-2


def test_residual_width_mismatch_names_the_layer():
    with pytest.raises(ValueError, match=r"layer 2 .*got 6"):
        StackedRNN(
            [get_cell("lstm", 4), get_cell("lstm", 4), get_cell("lstm", 6)],
            residual=True,
        )


def test_initial_state_matches_numpy(rng):
    stack = make_stack(return_state=True)
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    init = [rng.normal(size=(2, 4)).astype("float32") for _ in range(5)]
    outputs = stack(x, initial_state=init)
    want_seq, want_states = reference(stack, NAMES, x, initial_states=init)
    np.testing.assert_allclose(outputs[0], want_seq[:, -1], atol=ATOL)
    for got, want in zip(outputs[1:], want_states, strict=True):
        np.testing.assert_allclose(got, want, atol=ATOL)
    with pytest.raises(ValueError, match=r"`initial_state` must list 5 tensors.*got 2"):
        stack(x, initial_state=init[:2])


def stack_and_last_only(residual, go_backwards):
    """A sequence-and-states stack over 4 features, and a twin (same weights)
    that returns only the last output."""
    stack = make_stack(
        input_dim=4,
        residual=residual,
        go_backwards=go_backwards,
        return_sequences=True,
        return_state=True,
    )
    last_only = StackedRNN.from_config(
        {**stack.get_config(), "return_sequences": False, "return_state": False}
    )
    last_only.build((None, None, 4))
    last_only.set_weights(stack.get_weights())
    return stack, last_only


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_padded_garbage_matches_unpadded(rng, residual, go_backwards):
    stack, last_only = stack_and_last_only(residual, go_backwards)
    lengths = [6, 3, 1]
    rows = [rng.normal(size=(n, 4)) for n in lengths]
    x, mask = pad_with_garbage(rows, 6, rng)
    outputs = stack(x, mask=mask)
    last = last_only(x, mask=mask)
    for i, row in enumerate(rows):
        # go_backwards: the reference runs forwards over the reversed real steps.
        row = row[::-1] if go_backwards else row
        want_seq, want_states = reference(stack, NAMES, row[None], residual=residual)
        n = lengths[i]
        got_seq = np.asarray(outputs[0][i])
        got_real = got_seq[-n:] if go_backwards else got_seq[:n]
        np.testing.assert_allclose(got_real, want_seq[0], atol=ATOL)
        np.testing.assert_allclose(last[i], want_seq[0, -1], atol=ATOL)
        for got, want in zip(outputs[1:], want_states, strict=True):
            np.testing.assert_allclose(got[i], want[0], atol=ATOL)


def flipped_forward_stack(cells, x, mask, residual):
    """`StackedRNN(go_backwards=True)` as first written: flip the input and the
    mask, then run a forwards stack of `keras.layers.RNN` over the same cells.

    Returns:
        `(zero-padded sequence, last real output, flat states, output mask)`.
    """
    x, mask = np.flip(x, axis=1).copy(), np.flip(mask, axis=1).copy()
    states = []
    for cell in cells:
        rnn = keras.layers.RNN(cell, return_sequences=True, return_state=True)
        sequence, *layer_states = rnn(x, mask=mask)
        sequence = np.asarray(sequence)
        if residual and sequence.shape[-1] == x.shape[-1]:
            sequence = sequence + x
        states += [np.asarray(s) for s in layer_states]
        x = sequence
    last = [
        x[i, np.flatnonzero(m)[-1]] if m.any() else 0 * x[i, 0]
        for i, m in enumerate(mask)
    ]
    return np.where(mask[..., None], x, 0.0), np.stack(last), states, mask


@pytest.mark.parametrize("residual", [False, True])
def test_go_backwards_matches_flipped_input_and_mask(rng, residual):
    # Each layer runs backwards itself, with the same results as flipping the
    # input and mask. Rows: full, right-padded, one step, and empty (an
    # all-padding segment).
    stack, last_only = stack_and_last_only(residual, go_backwards=True)
    rows = [rng.normal(size=(n, 4)) for n in (6, 4, 1, 0)]
    x, mask = pad_with_garbage(rows, 6, rng)
    want_seq, want_last, want_states, want_mask = flipped_forward_stack(
        stack.cells, x, mask, residual
    )
    outputs = stack(x, mask=mask)
    np.testing.assert_allclose(outputs[0], want_seq, atol=ATOL)
    np.testing.assert_allclose(last_only(x, mask=mask), want_last, atol=ATOL)
    assert len(outputs) == 1 + len(want_states)
    for got, want in zip(outputs[1:], want_states, strict=True):
        np.testing.assert_allclose(got, want, atol=ATOL)
    np.testing.assert_array_equal(stack.compute_mask(x, mask)[0], want_mask)


def test_go_backwards_passes_the_mask_unflipped(rng, monkeypatch):
    # cuDNN accepts right-padded masks only: every layer must get the mask as
    # given (and reverse it itself), never a flipped, left-padded one.
    seen = []
    inner_loop = RNN.inner_loop

    def spy(self, sequences, initial_state, mask, training=False):
        seen.append(np.asarray(mask))
        return inner_loop(self, sequences, initial_state, mask, training=training)

    monkeypatch.setattr(RNN, "inner_loop", spy)
    stack = make_stack(go_backwards=True, residual=True, dropout_between=0.5)
    x, mask = pad_with_garbage([rng.normal(size=(n, 3)) for n in (5, 2)], 5, rng)
    stack(x, mask=mask, training=True)
    assert [layer.go_backwards for layer in stack.rnn_layers] == [True] * 3
    assert len(seen) == 3
    for got in seen:
        np.testing.assert_array_equal(got, mask)


def test_mask_propagates_from_embedding():
    ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(20, 3, mask_zero=True)(ids)
    x = StackedRNN(
        [get_cell("lstm", 4), get_cell("vanilla", 4)], return_sequences=True
    )(x)
    y = StackedRNN([get_cell("lstm", 5)])(x)
    model = keras.Model(ids, y)
    short = np.array([[3, 4, 5]])
    padded = np.array([[3, 4, 5, 0, 0, 0]])
    np.testing.assert_allclose(model(short), model(padded), atol=ATOL)
    unmasked_model_output = model(np.array([[3, 4, 5, 7, 7, 7]]))
    assert np.abs(np.asarray(unmasked_model_output - model(short))).max() > 1e-4


def test_dropout_between_only_in_training(rng):
    stack = make_stack(dropout_between=0.5, seed=3, return_sequences=True)
    plain = StackedRNN.from_config({**stack.get_config(), "dropout_between": 0.0})
    plain.build((None, None, 3))
    plain.set_weights(stack.get_weights())
    x = rng.normal(size=(4, 5, 3)).astype("float32")
    np.testing.assert_allclose(stack(x, training=False), plain(x), atol=ATOL)
    trained = np.asarray(stack(x, training=True))
    assert np.abs(trained - np.asarray(plain(x))).max() > 1e-3
    # Dropout sits between layers only: a single-layer stack has none.
    single = make_stack(names=["lstm"], dropout_between=0.5, return_sequences=True)
    np.testing.assert_allclose(single(x, training=True), single(x), atol=ATOL)


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"cells": []}, ValueError, "`cells` must be a non-empty list"),
        (
            {"cells": [keras.layers.Dense(3)]},
            ValueError,
            r"`cells\[0\]` must be an RNN",
        ),
        (
            {"cells": [get_cell("lstm", 2)], "dropout_between": 1.5},
            ValueError,
            "`dropout_between` must be a float in",
        ),
    ],
)
def test_bad_arguments_are_named(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        StackedRNN(**kwargs)


def test_bad_inputs_are_named():
    stack = StackedRNN([get_cell("lstm", 2)])
    with pytest.raises(ValueError, match=r"`inputs` must have rank 3.*got rank 2"):
        stack(np.zeros((2, 3), "float32"))
    with pytest.raises(TypeError, match=r"`inputs` must be a floating-point.*int32"):
        stack(np.zeros((2, 3, 1), "int32"))


def test_config_round_trip_keeps_kit_cells():
    stack = StackedRNN(
        [get_cell("original_lstm", 4), keras.layers.GRUCell(4)],
        return_sequences=True,
        residual=True,
        dropout_between=0.25,
        go_backwards=True,
        seed=7,
    )
    clone = assert_config_round_trip(stack)
    assert [type(c).__name__ for c in clone.cells] == ["OriginalLSTMCell", "GRUCell"]
    assert clone.residual and clone.go_backwards and clone.dropout_between == 0.25


@pytest.mark.slow
def test_reloads_in_fresh_process(tmp_path, rng):
    inputs = keras.Input((None, 3), name="sequences")
    mask = keras.Input((None,), dtype="bool", name="mask")
    outputs = StackedRNN(
        [get_cell("lstm", 4), get_cell("additive", 4)],
        residual=True,
        dropout_between=0.2,
        return_state=True,
    )(inputs, mask=mask)
    model = keras.Model({"sequences": inputs, "mask": mask}, outputs)
    randomize_weights(model, seed=5)
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    m = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], bool)
    assert_reloads_in_fresh_process(model, {"sequences": x, "mask": m}, tmp_path)
