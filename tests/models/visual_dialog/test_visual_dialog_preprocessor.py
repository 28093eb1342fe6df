"""Tests for keras_rnn_kit/models/visual_dialog/visual_dialog_preprocessor.py."""

import numpy as np
import pytest

from keras_rnn_kit.models.visual_dialog import VisualDialogPreprocessor
from tests.test_case import assert_config_round_trip

TEXTS = ["what color is it", "is it red yes", "yes", "no", "red"]


@pytest.fixture(scope="module")
def preprocessor():
    return VisualDialogPreprocessor.from_texts(TEXTS, image_size=8)


def _inputs(**overrides):
    inputs = {
        "images": np.zeros((2, 8, 8, 3), "uint8"),
        "questions": ["what color is it", "is it red"],
        "histories": [["", ""], ["is it red yes", ""]],
        "candidates": [["yes", "no", "red"], ["red", "yes", "no"]],
    }
    return {**inputs, **overrides}


def test_shapes_and_masks(preprocessor):
    out = preprocessor(_inputs())
    length = preprocessor.question_length
    assert out["token_ids"].shape == (2, length)
    assert out["history_token_ids"].shape == (2, 2, length)
    assert out["candidate_token_ids"].shape == (2, 3, length)
    mask = out["history_padding_mask"].numpy()
    assert not mask[0].any() and mask[1, 0].all() and not mask[1, 1].any()
    vocabulary = preprocessor.vocabulary
    ids = out["candidate_token_ids"].numpy()
    assert [vocabulary.decode(ids[1, i]) for i in range(3)] == [
        ["red"],
        ["yes"],
        ["no"],
    ]


def test_bad_inputs_raise(preprocessor):
    with pytest.raises(ValueError, match="`histories` must have rank 2"):
        preprocessor(_inputs(histories=["", ""]))
    with pytest.raises(ValueError, match="keys"):
        preprocessor({"images": np.zeros((1, 8, 8, 3), "uint8")})
    with pytest.raises(ValueError, match="sequence_length"):
        preprocessor(_inputs(questions=["what color is it red or not", "no"]))
    with pytest.raises(ValueError, match="`question_length`"):
        VisualDialogPreprocessor(
            preprocessor.tokenizer, preprocessor.vocabulary, 0, 1, 1
        )


def test_config_round_trip(preprocessor):
    clone = assert_config_round_trip(preprocessor)
    np.testing.assert_array_equal(
        clone(_inputs())["history_token_ids"],
        preprocessor(_inputs())["history_token_ids"],
    )
