"""Tests for keras_rnn_kit/models/captioning/captioning_preprocessor.py."""

import numpy as np
import pytest

from keras_rnn_kit.data import TextPreprocessor
from keras_rnn_kit.data import TextTokenizer
from keras_rnn_kit.models.captioning import CaptioningPreprocessor
from tests.test_case import assert_config_round_trip

CAPTIONS = ["a red circle", "a blue square above a red circle"]


@pytest.fixture(scope="module")
def preprocessor():
    return CaptioningPreprocessor.from_captions(CAPTIONS, image_size=8)


def test_inputs_and_targets_are_shifted_by_one(preprocessor):
    x, y, weights = preprocessor(
        {"images": np.zeros((2, 8, 8, 3), "uint8"), "captions": CAPTIONS}
    )
    vocabulary = preprocessor.vocabulary
    assert preprocessor.sequence_length == 8  # 7 words + <eos>
    ids = x["decoder_token_ids"].numpy()
    assert ids.shape == (2, 8) and y.shape == (2, 8)
    assert ids[0, 0] == vocabulary.go_id
    np.testing.assert_array_equal(ids[:, 1:], y.numpy()[:, :-1])
    assert vocabulary.decode(y.numpy()[0]) == ["a", "red", "circle"]
    np.testing.assert_array_equal(weights.numpy()[0], [1, 1, 1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(
        x["decoder_padding_mask"].numpy()[0], [1, 1, 1, 1, 0, 0, 0, 0]
    )


def test_long_captions_raise_and_images_are_checked(preprocessor):
    with pytest.raises(ValueError, match="sequence_length"):
        preprocessor(
            {
                "images": np.zeros((1, 8, 8, 3), "uint8"),
                "captions": ["a red circle " * 4],
            }
        )
    with pytest.raises(ValueError, match="rank 4"):
        preprocessor({"images": np.zeros((8, 8, 3), "uint8"), "captions": ["a"]})
    with pytest.raises(ValueError, match="'images' and 'captions'"):
        preprocessor({"images": np.zeros((1, 8, 8, 3), "uint8")})


def test_needs_go_and_eos_markers(preprocessor):
    plain = TextPreprocessor(TextTokenizer(), preprocessor.vocabulary, 5)
    with pytest.raises(ValueError, match="add_go=True, add_eos=True"):
        CaptioningPreprocessor(plain)


def test_config_round_trip(preprocessor):
    clone = assert_config_round_trip(preprocessor)
    inputs = {"images": np.zeros((1, 8, 8, 3), "uint8"), "captions": ["a red circle"]}
    np.testing.assert_array_equal(clone(inputs)[1], preprocessor(inputs)[1])
