"""Tests for keras_rnn_kit/models/visual_dialog/visual_dialog_backbone.py."""

import keras
import numpy as np
import pytest

from keras_rnn_kit.models.image_encoder import ImageEncoder
from keras_rnn_kit.models.visual_dialog import VisualDialogBackbone
from tests.test_case import assert_config_round_trip


def _backbone(encoder):
    return VisualDialogBackbone(
        12,
        encoder=encoder,
        embedding_dim=4,
        units=5,
        image_size=8,
        answer_length=2,
        image_encoder=ImageEncoder(filters=(3,), image_size=8),
    )


def _inputs(rng):
    history_mask = np.ones((2, 3, 4), bool)
    history_mask[0, 2] = False  # an empty round
    history_mask[1, :, 3] = False  # a shorter round
    candidate_mask = np.ones((2, 5, 2), bool)
    candidate_mask[:, :, 1] = [True, False, True, False, True]
    return {
        "images": rng.uniform(size=(2, 8, 8, 3)).astype("float32"),
        "token_ids": rng.integers(1, 12, size=(2, 3)).astype("int32"),
        "padding_mask": np.array([[1, 1, 1], [1, 1, 0]], bool),
        "history_token_ids": rng.integers(1, 12, size=(2, 3, 4)).astype("int32"),
        "history_padding_mask": history_mask,
        "candidate_token_ids": rng.integers(1, 12, size=(2, 5, 2)).astype("int32"),
        "candidate_padding_mask": candidate_mask,
    }


def _keras_lstm(cell):
    lstm = keras.layers.LSTM(cell.units)
    lstm.build((None, None, cell.kernel.shape[0]))
    lstm.set_weights(
        [cell.kernel.numpy(), cell.recurrent_kernel.numpy(), cell.bias.numpy()]
    )
    return lstm


def test_late_fusion_matches_keras_lstms_and_numpy(rng):
    backbone = _backbone("late_fusion")
    inputs = _inputs(rng)
    out = backbone(inputs)
    table = backbone.get_layer("token_embedding").get_weights()[0]
    question_lstm = _keras_lstm(backbone.get_layer("question_rnn").cell)
    history_lstm = _keras_lstm(backbone.get_layer("history_rnn").cell)
    answer_lstm = _keras_lstm(backbone.get_layer("answer_rnn").layer.cell)
    grid = np.asarray(backbone.image_encoder(inputs["images"]))
    image_kernel, image_bias = backbone.get_layer("image_projection").get_weights()
    fusion_kernel, fusion_bias = backbone.get_layer("fusion").get_weights()
    for row in range(2):
        q_ids = inputs["token_ids"][row][inputs["padding_mask"][row]]
        question = np.asarray(question_lstm(table[q_ids][None]))[0]
        h_mask = inputs["history_padding_mask"][row].reshape(-1)
        h_ids = inputs["history_token_ids"][row].reshape(-1)[h_mask]
        history = np.asarray(history_lstm(table[h_ids][None]))[0]
        pooled = grid[row].max(axis=(0, 1))
        image = np.tanh(pooled / np.linalg.norm(pooled) @ image_kernel + image_bias)
        fused = np.concatenate([image, question, history]) @ fusion_kernel
        np.testing.assert_allclose(
            out["encoding"][row], np.tanh(fused + fusion_bias), atol=1e-5
        )
        for option in range(5):
            c_mask = inputs["candidate_padding_mask"][row, option]
            c_ids = inputs["candidate_token_ids"][row, option][c_mask]
            expected = np.asarray(answer_lstm(table[c_ids][None]))[0]
            np.testing.assert_allclose(
                out["candidate_encodings"][row, option], expected, atol=1e-5
            )


@pytest.mark.parametrize("encoder", ["late_fusion", "hre"])
def test_empty_history_rounds_and_padding_change_nothing(rng, encoder):
    backbone = _backbone(encoder)
    inputs = _inputs(rng)
    before = np.asarray(backbone(inputs)["encoding"])
    inputs["history_token_ids"][0, 2] = 7  # inside an all-padding round
    inputs["history_token_ids"][1, :, 3] = 9  # padded positions
    inputs["token_ids"][1, 2] = 4
    np.testing.assert_allclose(backbone(inputs)["encoding"], before, atol=1e-6)
    inputs["history_token_ids"][0, 0, 0] += 1  # a real token: must matter
    assert not np.allclose(backbone(inputs)["encoding"][0], before[0], atol=1e-6)


def test_hre_encodes_rounds_hierarchically(rng):
    backbone = _backbone("hre")
    inputs = _inputs(rng)
    encoding = np.asarray(backbone(inputs)["encoding"])
    # Swapping two real rounds changes an HRE (order matters) ...
    swapped = {k: v.copy() for k, v in inputs.items()}
    swapped["history_token_ids"][0, [0, 1]] = inputs["history_token_ids"][0, [1, 0]]
    assert not np.allclose(backbone(swapped)["encoding"][0], encoding[0], atol=1e-6)
    clone = assert_config_round_trip(backbone)
    clone.set_weights(backbone.get_weights())
    np.testing.assert_allclose(clone(inputs)["encoding"], encoding, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"encoder": "memory_network"}, "`encoder`"),
        ({"answer_length": 0}, "`answer_length`"),
        ({"image_encoder": "cnn"}, "`image_encoder`"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VisualDialogBackbone(10, **kwargs)
