"""Tests for keras_rnn_kit/models/captioning/captioning_backbone.py."""

import keras
import numpy as np
import pytest

from keras_rnn_kit.models.captioning import CaptioningBackbone
from keras_rnn_kit.models.image_encoder import ImageEncoder
from tests.test_case import assert_config_round_trip


def _backbone(attention, cell="lstm"):
    return CaptioningBackbone(
        15,
        embedding_dim=4,
        units=6,
        cell=cell,
        attention=attention,
        image_size=8,
        image_encoder=ImageEncoder(filters=(3,), image_size=8),
    )


def _inputs(rng, batch=2, time=4):
    return {
        "images": rng.uniform(size=(batch, 8, 8, 3)).astype("float32"),
        "decoder_token_ids": rng.integers(1, 15, size=(batch, time)).astype("int32"),
        "decoder_padding_mask": np.ones((batch, time), bool),
    }


def test_show_and_tell_matches_a_keras_lstm_with_copied_weights(rng):
    backbone = _backbone(None)
    inputs = _inputs(rng)
    sequence = np.asarray(backbone(inputs)["sequence_output"])
    # Initial state: tanh(mean region W + b), split into h and c.
    grid = np.asarray(backbone.image_encoder(inputs["images"]))
    mean = grid.reshape(2, -1, 3).mean(axis=1)
    kernel, bias = backbone.state_bridge.get_weights()
    h0, c0 = np.split(np.tanh(mean @ kernel + bias), 2, axis=-1)
    cell = backbone.decoder.cell
    lstm = keras.layers.LSTM(6, return_sequences=True)
    lstm.build((None, None, 4))
    lstm.set_weights(
        [cell.kernel.numpy(), cell.recurrent_kernel.numpy(), cell.bias.numpy()]
    )
    embedded = backbone.token_embedding.get_weights()[0][inputs["decoder_token_ids"]]
    expected = lstm(embedded, initial_state=[h0, c0])
    np.testing.assert_allclose(sequence, expected, atol=1e-5)


@pytest.mark.parametrize("attention", [None, "bahdanau", "luong_general"])
def test_step_by_step_decoding_matches_teacher_forcing(rng, attention):
    backbone = _backbone(attention, cell="original_lstm")
    inputs = _inputs(rng)
    full = backbone(inputs)
    state = backbone.encode(inputs["images"])
    for t in range(4):
        features, state, weights = backbone.step(
            inputs["decoder_token_ids"][:, t], state
        )
        np.testing.assert_allclose(features, full["sequence_output"][:, t], atol=1e-5)
        if attention is not None:
            np.testing.assert_allclose(
                weights, full["attention_weights"][:, t], atol=1e-5
            )
            np.testing.assert_allclose(np.sum(weights, axis=-1), 1.0, atol=1e-5)


def test_padding_after_the_caption_does_not_change_earlier_steps(rng):
    backbone = _backbone(None)
    inputs = _inputs(rng)
    before = np.asarray(backbone(inputs)["sequence_output"])[:, :2]
    inputs["decoder_token_ids"][:, 2:] = 0
    inputs["decoder_padding_mask"][:, 2:] = False
    after = np.asarray(backbone(inputs)["sequence_output"])[:, :2]
    np.testing.assert_allclose(after, before, atol=1e-6)


def test_config_round_trip(rng):
    backbone = _backbone("bahdanau")
    clone = assert_config_round_trip(backbone)
    clone.set_weights(backbone.get_weights())
    inputs = _inputs(rng)
    np.testing.assert_allclose(
        clone(inputs)["sequence_output"],
        backbone(inputs)["sequence_output"],
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"attention": "dot"}, "`attention`"),
        ({"cell": "gru"}, "`cell`"),
        ({"units": 0}, "`units`"),
        ({"image_encoder": "vgg"}, "`image_encoder`"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CaptioningBackbone(10, **kwargs)
