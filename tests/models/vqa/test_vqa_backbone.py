"""Tests for keras_rnn_kit/models/vqa/vqa_backbone.py."""

import keras
import numpy as np
import pytest

from keras_rnn_kit.models.image_encoder import ImageEncoder
from keras_rnn_kit.models.vqa.vqa_backbone import VQABackbone
from tests.test_case import assert_config_round_trip


def _inputs(rng, batch=3, tokens=5, vocabulary=12, image_size=16):
    return {
        "images": rng.uniform(size=(batch, image_size, image_size, 3)).astype(
            "float32"
        ),
        "token_ids": rng.integers(1, vocabulary, size=(batch, tokens)).astype("int32"),
        "padding_mask": np.ones((batch, tokens), bool),
    }


def test_matches_keras_lstms_and_numpy_with_copied_weights(rng):
    backbone = VQABackbone(
        vocabulary_size=12,
        embedding_dim=4,
        hidden_dim=6,
        num_layers=2,
        fusion_dim=5,
        image_feature_dim=7,
        image_scale=False,
    )
    features = rng.normal(size=(3, 7)).astype("float32")
    token_ids = rng.integers(1, 12, size=(3, 5)).astype("int32")
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], bool)
    fused = backbone(
        {"image_features": features, "token_ids": token_ids, "padding_mask": mask}
    )
    # Question side: two built-in Keras LSTMs, run on the unpadded tokens.
    embeddings = backbone.get_layer("token_embedding").get_weights()[0]
    reference = []
    for i in range(2):
        cell = backbone.get_layer("question_rnn").cells[i]
        reference.append(keras.layers.LSTM(6, return_sequences=True, return_state=True))
        reference[-1].build((None, None, 4 if i == 0 else 6))
        reference[-1].set_weights(
            [cell.kernel.numpy(), cell.recurrent_kernel.numpy(), cell.bias.numpy()]
        )
    q_kernel, q_bias = backbone.get_layer("question_projection").get_weights()
    i_kernel, i_bias = backbone.get_layer("image_projection").get_weights()
    for row in range(3):
        x = embeddings[token_ids[row][mask[row]]][None]
        states = []
        for lstm in reference:
            x, h, c = lstm(x)
            states += [np.asarray(h), np.asarray(c)]
        question = np.tanh(np.concatenate(states, axis=-1) @ q_kernel + q_bias)
        unit = features[row] / np.linalg.norm(features[row])
        image = np.tanh(unit @ i_kernel + i_bias)
        np.testing.assert_allclose(fused[row], (question * image)[0], atol=1e-5)


def test_image_scale_multiplies_by_sqrt_of_the_feature_width(rng):
    scaled = VQABackbone(12, fusion_dim=4, image_feature_dim=9, num_layers=1)
    inputs = {
        "image_features": rng.normal(size=(2, 9)).astype("float32"),
        "token_ids": np.ones((2, 3), "int32"),
        "padding_mask": np.ones((2, 3), bool),
    }
    layer = scaled.get_layer("image_scale")
    assert layer.scale == pytest.approx(3.0)
    probe = keras.Model(scaled.input, layer.output)
    norms = np.linalg.norm(np.asarray(probe(inputs)), axis=-1)
    np.testing.assert_allclose(norms, 3.0, rtol=1e-5)


def test_padding_is_ignored(rng):
    backbone = VQABackbone(12, image_size=16, fusion_dim=4, hidden_dim=4)
    inputs = _inputs(rng)
    inputs["padding_mask"][0, 3:] = False
    before = np.asarray(backbone(inputs))
    inputs["token_ids"][0, 3:] = 0
    np.testing.assert_allclose(backbone(inputs), before, atol=1e-6)


@pytest.mark.parametrize("cell", ["vanilla", "original_lstm"])
@pytest.mark.parametrize("pooling", ["average", "max"])
def test_cells_and_poolings_build_and_round_trip(rng, cell, pooling):
    backbone = VQABackbone(
        12,
        image_size=16,
        fusion_dim=4,
        hidden_dim=4,
        cell=cell,
        pooling=pooling,
        image_encoder=ImageEncoder(filters=(4,), image_size=16),
    )
    inputs = _inputs(rng)
    clone = assert_config_round_trip(backbone)
    clone.set_weights(backbone.get_weights())
    np.testing.assert_allclose(clone(inputs), backbone(inputs), atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"cell": "gru"}, "`cell`"),
        ({"pooling": "mean"}, "`pooling`"),
        ({"hidden_dim": 0}, "`hidden_dim`"),
        ({"dropout": 1.5}, "`dropout`"),
        ({"image_encoder": "cnn"}, "`image_encoder`"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VQABackbone(12, **kwargs)
