import keras
import numpy as np
import pytest

from keras_rnn_kit.models.sentiment import SentimentBackbone

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


def test_mean_pooling_matches_numpy_masked_mean():
    backbone = make(cell="vanilla", structure="single", num_layers=1, pooling="mean")
    table = backbone.token_embedding.embeddings.numpy()
    w, u, b = backbone.get_layer("rnn").get_weights()
    want = []
    for row in IDS[:2]:
        h, outputs = np.zeros(5), []
        for token in row[row != 0]:
            # Elman 1990: h_t = tanh(x_t W + h_{t-1} U + b)
            h = np.tanh(table[token] @ w + h @ u + b)
            outputs.append(h)
        want.append(np.mean(outputs, axis=0))
    np.testing.assert_allclose(backbone(inputs(IDS[:2])), want, atol=1e-5)


@pytest.mark.parametrize(
    "structure, num_layers, pooling, width",
    [
        ("single", 1, "attention", 5),
        ("stacked", 2, "last", 5),
        ("stacked", 2, "mean", 5),
        ("bidirectional", 2, "last", 10),
        ("bidirectional", 1, "attention", 10),
    ],
)
def test_structures_ignore_padding_and_handle_empty_texts(
    structure, num_layers, pooling, width
):
    backbone = make(
        cell="original_lstm", structure=structure, num_layers=num_layers,
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


def test_config_round_trip_rebuilds_same_architecture():
    backbone = make(structure="bidirectional", num_layers=2, pooling="mean")
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
        ({"units": 0}, "`units`"),
        ({"dropout": 1.5}, "`dropout`"),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make(**kwargs)
