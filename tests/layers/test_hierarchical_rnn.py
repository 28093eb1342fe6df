"""HierarchicalRNN: numpy reference, padding at both levels, masks, saving."""

import keras
import numpy as np
import pytest

from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.cells import VanillaRNNCell
from keras_rnn_kit.layers import BidirectionalRNN
from keras_rnn_kit.layers import HierarchicalRNN
from tests.cells.cell_fixtures import randomize_weights
from tests.layers.rnn_reference import cell_weights
from tests.layers.rnn_reference import run_cell
from tests.test_case import assert_config_round_trip
from tests.test_case import assert_reloads_in_fresh_process

ATOL = 1e-5
# Real tokens per segment; batch row 0 has an all-padding segment in the middle.
LENGTHS = [[5, 0, 2, 0], [3, 1, 4, 0]]
CONFIGS = {
    "last": dict(inner_pooling="last"),
    "attention": dict(inner_pooling="attention", outer_pooling="attention"),
    "sequences": dict(inner_pooling="last", return_sequences=True),
}


def make_layer(config, features=3, seed=0, **kwargs):
    layer = HierarchicalRNN(
        LSTMCell(4), VanillaRNNCell(3), attention_units=5, **CONFIGS[config], **kwargs
    )
    layer.build((None, None, None, features))
    randomize_weights(layer, seed=seed)
    return layer


def garbage_batch(rng, lengths=LENGTHS, tokens=5, features=3, extra_segments=0):
    """Real tokens shared across calls (seeded), garbage everywhere else."""
    real = np.random.default_rng(42).normal(size=(len(lengths), 4, tokens, features))
    segments = len(lengths[0]) + extra_segments
    x = rng.normal(0.0, 50.0, size=(len(lengths), segments, tokens, features))
    mask = np.zeros((len(lengths), segments, tokens), bool)
    for b, row in enumerate(lengths):
        for s, n in enumerate(row):
            x[b, s, :n] = real[b, s, :n]
            mask[b, s, :n] = True
    return x.astype("float32"), mask


def attention_pool(h, layer):
    kernel, bias, context = (np.asarray(w, "float64") for w in layer.get_weights())
    scores = (np.tanh(h @ kernel + bias) @ context)[:, 0]
    a = np.exp(scores - scores.max())
    return (a / a.sum()) @ h


def reference(layer, x, mask):
    """Runs the two levels in numpy over the real tokens and segments only."""
    inner_w = cell_weights(layer.inner_rnn.cell)
    outer_w = cell_weights(layer.outer_rnn.cell)
    results = []
    for b in range(x.shape[0]):
        vectors = []
        for s in range(x.shape[1]):
            n = int(mask[b, s].sum())
            if n == 0:
                continue
            seq, _ = run_cell("lstm", x[b : b + 1, s, :n], inner_w, state_count=2)
            if layer.inner_pooling == "attention":
                vectors.append(attention_pool(seq[0], layer.inner_attention))
            else:
                vectors.append(seq[0, -1])
        outer, _ = run_cell("vanilla", np.stack(vectors)[None], outer_w, state_count=1)
        if layer.outer_pooling == "attention":
            results.append(attention_pool(outer[0], layer.outer_attention))
        elif layer.return_sequences:
            results.append(outer[0])
        else:
            results.append(outer[0, -1])
    return results


def real_segments(output, mask):
    """Per batch row, the per-segment outputs at real segments, in order."""
    return [np.asarray(output[b])[mask[b].any(-1)] for b in range(len(mask))]


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_matches_numpy_and_ignores_padding_garbage(rng, config):
    layer = make_layer(config)
    x, mask = garbage_batch(rng)
    x2, _ = garbage_batch(np.random.default_rng(7))
    assert np.abs(x - x2).max() > 1.0
    out, out2 = layer(x, padding_mask=mask), layer(x2, padding_mask=mask)
    np.testing.assert_allclose(out, out2, atol=ATOL)
    want = reference(layer, x, mask)
    got = real_segments(out, mask) if layer.return_sequences else out
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, atol=ATOL)


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_extra_padding_segments_change_nothing(rng, config):
    layer = make_layer(config)
    x, mask = garbage_batch(rng)
    x_more, mask_more = garbage_batch(rng, extra_segments=3)
    out, out_more = layer(x, padding_mask=mask), layer(x_more, padding_mask=mask_more)
    if layer.return_sequences:
        assert out_more.shape[1] == out.shape[1] + 3
        out_more = out_more[:, : out.shape[1]]
    np.testing.assert_allclose(out, out_more, atol=ATOL)


def test_mask_sources_agree(rng):
    ids = rng.integers(1, 20, size=(2, 3, 4))
    ids[0, 1:] = 0
    ids[1, 0, 2:] = 0
    ids[1, 2] = 0
    embedding = keras.layers.Embedding(20, 3, mask_zero=True)
    built_in = HierarchicalRNN(
        LSTMCell(4), VanillaRNNCell(3), inner_pooling="attention", embedding=embedding
    )
    want = np.asarray(built_in(ids))
    # The same weights fed by a Keras mask (Embedding outside) and by padding_mask.
    outside = HierarchicalRNN.from_config({**built_in.get_config(), "embedding": None})
    outside.build((None, None, None, 3))
    outside.set_weights(built_in.get_weights()[1:])
    token_ids = keras.Input((None, None), dtype="int32")
    model = keras.Model(token_ids, outside(embedding(token_ids)))
    np.testing.assert_allclose(model(ids), want, atol=ATOL)
    # The compiled (graph-mode) path agrees with the eager one.
    np.testing.assert_allclose(model.predict(ids, verbose=0), want, atol=ATOL)
    vectors = np.asarray(embedding(ids))
    np.testing.assert_allclose(outside(vectors, padding_mask=ids != 0), want, atol=ATOL)
    unmasked = np.asarray(outside(vectors))
    assert np.abs(unmasked - want).max() > 1e-4


@pytest.mark.parametrize("mask_source", ["keras_mask", "padding_mask"])
def test_per_segment_outputs_carry_a_segment_mask(rng, mask_source):
    ids_in = keras.Input((None, None), dtype="int32", name="token_ids")
    pm_in = keras.Input((None, None), dtype="int32", name="padding_mask")
    hier = HierarchicalRNN(LSTMCell(4), LSTMCell(3), return_sequences=True)
    if mask_source == "keras_mask":
        x = keras.layers.Embedding(20, 3, mask_zero=True)(ids_in)
        turns = hier(x)
    else:
        x = keras.layers.Embedding(20, 3)(ids_in)
        turns = hier(x, padding_mask=pm_in)
    # The symbolic output carries the segment mask (Keras keeps it in _keras_mask).
    assert getattr(turns, "_keras_mask", None) is not None
    # A downstream RNN over the turns only sees real turns through the mask.
    y = keras.layers.RNN(keras.layers.SimpleRNNCell(2))(turns)
    model = keras.Model({"token_ids": ids_in, "padding_mask": pm_in}, y)
    ids = rng.integers(1, 20, size=(2, 2, 3))
    ids[1, 1, 1:] = 0
    more = np.concatenate([ids, np.zeros((2, 2, 3), ids.dtype)], axis=1)
    out = model({"token_ids": ids, "padding_mask": (ids != 0).astype("int32")})
    out_more = model({"token_ids": more, "padding_mask": (more != 0).astype("int32")})
    np.testing.assert_allclose(out, out_more, atol=ATOL)


def test_bidirectional_inner_encoder(rng):
    layer = HierarchicalRNN(
        BidirectionalRNN(LSTMCell(2)), VanillaRNNCell(3), return_sequences=True
    )
    x, mask = garbage_batch(rng)
    out = layer(x, padding_mask=mask)
    x2, _ = garbage_batch(np.random.default_rng(3))
    np.testing.assert_allclose(out, layer(x2, padding_mask=mask), atol=ATOL)
    assert out.shape == (2, 4, 3)
    assert layer.inner_rnn.return_sequences is False


def test_wrong_ranks_and_dtypes_are_named():
    layer = HierarchicalRNN(LSTMCell(2), LSTMCell(2))
    with pytest.raises(ValueError, match=r"`inputs` must have rank 4 .*got rank 3"):
        layer(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(TypeError, match=r"`inputs` must be a floating-point"):
        layer(np.zeros((2, 3, 4, 1), "int32"))
    with pytest.raises(ValueError, match=r"`padding_mask` must have rank 3 .*rank 2"):
        layer(np.zeros((2, 3, 4, 1), "float32"), padding_mask=np.ones((2, 3)))
    with_ids = HierarchicalRNN(
        LSTMCell(2), LSTMCell(2), embedding=keras.layers.Embedding(5, 2)
    )
    with pytest.raises(ValueError, match=r"`inputs` must have rank 3 .*got rank 4"):
        with_ids(np.zeros((2, 3, 4, 1), "int32"))


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"inner_pooling": "max"}, "`inner_pooling` must be one of"),
        ({"outer_pooling": "mean"}, "`outer_pooling` must be one of"),
        (
            {"outer_pooling": "last", "return_sequences": True},
            "`outer_pooling` must be None",
        ),
        ({"attention_units": 0}, "`attention_units` must be a positive integer"),
        ({"embedding": "glove"}, "`embedding` must be a Keras layer"),
        ({"inner": keras.layers.Dense(2)}, "`inner` must be a recurrent cell"),
    ],
)
def test_bad_arguments_are_named(kwargs, pattern):
    arguments = {"inner": LSTMCell(2), "outer": LSTMCell(2), **kwargs}
    with pytest.raises(ValueError, match=pattern):
        HierarchicalRNN(**arguments)


def test_config_round_trip_with_embedding_and_kit_cells():
    layer = HierarchicalRNN(
        BidirectionalRNN(LSTMCell(3), merge_mode="sum"),
        VanillaRNNCell(4),
        inner_pooling="attention",
        outer_pooling="attention",
        embedding=keras.layers.Embedding(10, 2, mask_zero=True),
        attention_units=6,
    )
    clone = assert_config_round_trip(layer)
    assert isinstance(clone.inner_rnn, BidirectionalRNN)
    assert clone.embedding.mask_zero and clone.outer_attention.units == 6


@pytest.mark.slow
def test_reloads_in_fresh_process(tmp_path, rng):
    ids_in = keras.Input((None, None), dtype="int32", name="token_ids")
    pm_in = keras.Input((None, None), dtype="int32", name="padding_mask")
    hier = HierarchicalRNN(
        LSTMCell(4),
        VanillaRNNCell(3),
        inner_pooling="attention",
        outer_pooling="attention",
        embedding=keras.layers.Embedding(20, 3),
        attention_units=4,
    )
    model = keras.Model(
        {"token_ids": ids_in, "padding_mask": pm_in}, hier(ids_in, padding_mask=pm_in)
    )
    randomize_weights(model, seed=8)
    ids = rng.integers(1, 20, size=(2, 3, 4)).astype("int32")
    ids[0, 2] = 0
    ids[1, 0, 1:] = 0
    inputs = {"token_ids": ids, "padding_mask": (ids != 0).astype("int32")}
    assert_reloads_in_fresh_process(model, inputs, tmp_path)
