import keras
import numpy as np
import pytest

from keras_rnn_kit.models.sentiment import SentimentBackbone
from keras_rnn_kit.models.sentiment.sentiment_backbone import bigram_ids

IDS = np.array([[5, 7, 9, 3], [4, 6, 0, 0], [0, 0, 0, 0]], "int32")


def inputs(ids):
    return {"token_ids": ids, "padding_mask": ids != 0}


def make(**kwargs):
    args = {"vocabulary_size": 12, "embedding_dim": 4, "units": 5}
    return SentimentBackbone(**{**args, **kwargs})


def test_single_lstm_last_matches_keras_lstm_with_copied_weights():
    backbone = make(cell="lstm", structure="single", num_layers=1)
    got = backbone(inputs(IDS[:2]))
    table = backbone.token_embedding.embeddings.numpy()
    reference = keras.layers.LSTM(5)
    reference.build((None, 4, 4))
    kit_rnn = backbone.get_layer("rnn")
    reference.set_weights(kit_rnn.get_weights())
    want = reference(table[IDS[:2]], mask=IDS[:2] != 0)
    np.testing.assert_allclose(got, want, atol=1e-6)


def _vanilla_outputs(backbone, rows):
    """Each row's Elman outputs, from numpy (the reference for the poolings)."""
    w, u, b = backbone.get_layer("rnn").get_weights()
    outputs = []
    for row, inputs_ in rows:
        h, steps = np.zeros(u.shape[0]), []
        for t in np.flatnonzero(row != 0):
            # Elman 1990: h_t = tanh(x_t W + h_{t-1} U + b)
            h = np.tanh(inputs_[t] @ w + h @ u + b)
            steps.append(h)
        outputs.append(np.array(steps))
    return outputs


def test_mean_pooling_matches_numpy_masked_mean():
    backbone = make(cell="vanilla", structure="single", num_layers=1, pooling="mean")
    table = backbone.token_embedding.embeddings.numpy()
    rows = [(row, table[row]) for row in IDS[:2]]
    want = [o.mean(axis=0) for o in _vanilla_outputs(backbone, rows)]
    np.testing.assert_allclose(backbone(inputs(IDS[:2])), want, atol=1e-5)


def test_max_mean_pooling_with_bigrams_matches_numpy():
    buckets = 7
    backbone = make(
        cell="vanilla",
        structure="single",
        num_layers=1,
        pooling="max_mean",
        bigram_buckets=buckets,
    )
    tokens = backbone.token_embedding.embeddings.numpy()
    bigrams = backbone.get_layer("bigram_embedding").embeddings.numpy()
    rows = []
    for row in IDS[:2]:
        real = row != 0
        # bucket of (a, b): (a * V + b) mod (buckets - 1) + 1; 0 without a next token
        pairs = [
            (a * 12 + b) % (buckets - 1) + 1
            if real[t] and t + 1 < len(row) and real[t + 1]
            else 0
            for t, (a, b) in enumerate(zip(row, np.append(row[1:], 0), strict=True))
        ]
        rows.append((row, np.concatenate([tokens[row], bigrams[pairs]], axis=-1)))
    want = [
        np.concatenate([o.max(0), o.mean(0)]) for o in _vanilla_outputs(backbone, rows)
    ]
    got = backbone(inputs(IDS[:2]))
    assert backbone.output_dim == 10
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_bigram_ids_stay_in_range_for_large_vocabularies():
    backbone = make(
        vocabulary_size=200_000, bigram_buckets=16, structure="single", num_layers=1
    )
    ids = np.array([[199_999, 199_998, 123_456, 0]], "int32")
    out = backbone(inputs(ids)).numpy()
    assert np.isfinite(out).all()
    pairs = bigram_ids(ids, ids != 0, vocabulary_size=200_000, buckets=16).numpy()
    # (199999 * 200000 + 199998) overflows int32; in int64 it folds into [1, 16).
    want = [
        (a * 200_000 + b) % 15 + 1 for a, b in ((199_999, 199_998), (199_998, 123_456))
    ]
    assert pairs.tolist() == [[*want, 0, 0]]


@pytest.mark.parametrize("buckets", [1, 0, -4, 2.5, True])
def test_bigram_ids_refuse_fewer_than_two_buckets(buckets):
    ids = np.array([[3, 4, 0]])
    with pytest.raises(ValueError, match=r"`bigram_buckets` must be 0 .* got"):
        bigram_ids(ids, ids != 0, vocabulary_size=10, buckets=buckets)


@pytest.mark.parametrize(
    "structure, num_layers, pooling, width",
    [
        ("single", 1, "attention", 5),
        ("stacked", 2, "last", 5),
        ("stacked", 2, "mean", 5),
        ("bidirectional", 2, "last", 10),
        ("bidirectional", 1, "attention", 10),
        ("bidirectional", 1, "max_mean", 20),
    ],
)
def test_structures_ignore_padding_and_handle_empty_texts(
    structure, num_layers, pooling, width
):
    backbone = make(
        cell="original_lstm",
        structure=structure,
        num_layers=num_layers,
        pooling=pooling,
    )
    out = backbone(inputs(IDS)).numpy()
    assert out.shape == (3, width) and backbone.output_dim == width
    assert np.isfinite(out).all()
    padded = np.pad(IDS, ((0, 0), (0, 3)))
    np.testing.assert_allclose(backbone(inputs(padded)), out, atol=1e-6)


@pytest.mark.parametrize("pooling", ["last", "attention"])
def test_hierarchical_reads_sentences(pooling):
    backbone = make(cell="additive", structure="hierarchical", pooling=pooling)
    ids = np.array([[[5, 7, 0], [4, 0, 0]], [[6, 0, 0], [0, 0, 0]], [[0] * 3] * 2])
    out = backbone(inputs(ids)).numpy()
    assert out.shape == (3, 5) and np.isfinite(out).all()
    more_sentences = np.pad(ids, ((0, 0), (0, 2), (0, 1)))
    np.testing.assert_allclose(backbone(inputs(more_sentences)), out, atol=1e-6)


@pytest.mark.parametrize("pooling", ["mean", "max_mean"])
def test_config_round_trip_rebuilds_same_architecture(pooling):
    backbone = make(
        structure="bidirectional", num_layers=2, pooling=pooling, bigram_buckets=9
    )
    clone = SentimentBackbone.from_config(backbone.get_config())
    assert clone.get_config() == backbone.get_config()
    clone.set_weights(backbone.get_weights())
    np.testing.assert_allclose(clone(inputs(IDS)), backbone(inputs(IDS)), atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cell": "gru"}, "`cell` must be one of 'vanilla'"),
        ({"structure": "tree"}, "`structure`"),
        ({"structure": "single", "num_layers": 2}, "`num_layers` must be 1"),
        ({"structure": "hierarchical", "pooling": "mean"}, "`pooling`"),
        ({"structure": "hierarchical", "pooling": "max_mean"}, "`pooling`"),
        ({"bigram_buckets": 1}, "`bigram_buckets` must be 0"),
        ({"bigram_buckets": -3}, "`bigram_buckets`"),
        ({"units": 0}, "`units`"),
        ({"dropout": 1.5}, "`dropout`"),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make(**kwargs)


def test_max_mean_pooling_under_mixed_precision_follows_float32():
    """The recipe's backbone under `mixed_float16`: float16 outputs within
    float16 rounding of the float32 model with the same weights, an all-padding
    row included (its max is never the -inf fill)."""
    args = {"structure": "bidirectional", "num_layers": 1, "pooling": "max_mean"}
    reference = make(bigram_buckets=8, **args)
    keras.mixed_precision.set_global_policy("mixed_float16")
    mixed = make(bigram_buckets=8, **args)
    mixed.set_weights(reference.get_weights())
    got = mixed(inputs(IDS))
    assert got.dtype == "float16"
    got = np.asarray(got, "float32")
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, reference(inputs(IDS)), atol=5e-3)
