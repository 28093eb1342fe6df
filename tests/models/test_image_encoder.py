"""Tests for keras_rnn_kit/models/image_encoder.py."""

import keras
import numpy as np
import pytest

from keras_rnn_kit.models.image_encoder import ImageEncoder
from tests.test_case import assert_config_round_trip


@pytest.mark.parametrize("batch_norm", [True, False])
def test_small_cnn_matches_keras_layers(rng, batch_norm):
    encoder = ImageEncoder(filters=(3, 5), image_size=8, batch_norm=batch_norm)
    images = rng.uniform(size=(2, 8, 8, 3)).astype("float32")
    encoder(images)  # builds
    if batch_norm:  # non-trivial moving statistics
        encoder.set_weights(
            [
                rng.uniform(0.5, 1.5, size=w.shape).astype("float32")
                for w in encoder.get_weights()
            ]
        )
    grid = np.asarray(encoder(images, training=False))
    assert grid.shape == (2, 2, 2, 5)
    layers = [keras.Input((8, 8, 3))]
    for width in (3, 5):
        if batch_norm:
            layers += [
                keras.layers.Conv2D(width, 3, padding="same", use_bias=False),
                keras.layers.BatchNormalization(),
                keras.layers.ReLU(),
            ]
        else:
            layers.append(
                keras.layers.Conv2D(width, 3, padding="same", activation="relu")
            )
        layers.append(keras.layers.MaxPooling2D(2))
    reference = keras.Sequential(layers)
    reference.set_weights(encoder.get_weights())
    np.testing.assert_allclose(grid, reference(images, training=False), atol=1e-5)
    clone = assert_config_round_trip(encoder)
    assert clone.compute_output_shape((None, 8, 8, 3)) == (None, 2, 2, 5)


def test_application_backbone_is_frozen_and_preprocessed():
    encoder = ImageEncoder(application="MobileNetV2", image_size=32)
    grid = encoder(np.zeros((1, 32, 32, 3), "float32"))
    assert grid.shape == (1, 1, 1, 1280)
    assert encoder.trainable_weights == []
    assert ImageEncoder.from_config(encoder.get_config()).application == "MobileNetV2"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"filters": (4, 0)}, "`filters`"),
        ({"application": "AlexNet"}, "`application`"),
        ({"image_size": -1}, "`image_size`"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ImageEncoder(**kwargs)


def test_rank_is_checked():
    with pytest.raises(ValueError, match="`images`.*rank 4"):
        ImageEncoder(filters=(2,))(np.zeros((8, 8, 3), "float32"))
