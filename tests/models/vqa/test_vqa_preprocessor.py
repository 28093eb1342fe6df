"""Tests for keras_rnn_kit/models/vqa/vqa_preprocessor.py."""

import logging

import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.models.vqa.vqa_preprocessor import VQAPreprocessor
from tests.test_case import assert_config_round_trip

QUESTIONS = ["what color is the shape?", "is there a red circle?"]


@pytest.fixture(scope="module")
def preprocessor():
    return VQAPreprocessor.from_questions(QUESTIONS, image_size=8)


def test_vocabulary_and_length_come_from_the_questions(preprocessor):
    assert preprocessor.sequence_length == 5
    tokens = preprocessor.text_preprocessor.vocabulary.tokens
    assert set(tokens[4:]) == {
        "what",
        "color",
        "is",
        "the",
        "shape",
        "there",
        "a",
        "red",
        "circle",
    }
    out = preprocessor(
        {
            "images": np.zeros((2, 8, 8, 3), "uint8"),
            "questions": ["is the shape red?", "what color?"],
        }
    )
    ids = out["token_ids"].numpy()
    assert [tokens[i] for i in ids[0]] == ["is", "the", "shape", "red", "<pad>"]
    np.testing.assert_array_equal(out["padding_mask"].numpy()[1], [1, 1, 0, 0, 0])


def test_images_are_scaled_resized_and_gray_becomes_rgb(preprocessor):
    gray = np.full((1, 16, 12, 1), 51, np.uint8)
    images = preprocessor({"images": gray, "questions": ["what color?"]})["images"]
    assert images.shape == (1, 8, 8, 3) and images.dtype == tf.float32
    np.testing.assert_allclose(images.numpy(), 0.2, atol=1e-6)
    floats = np.linspace(0, 1, 8 * 8 * 3, dtype="float32").reshape(1, 8, 8, 3)
    same = preprocessor.preprocess_images(floats)
    np.testing.assert_array_equal(same.numpy(), floats)


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((8, 8, 3), "uint8"), "rank 4"),
        (np.zeros((1, 8, 8, 4), "uint8"), "1 or 3 channels"),
        (np.zeros((1, 8, 8, 3), "int32"), "uint8 or floating"),
    ],
)
def test_bad_images_raise(preprocessor, images, message):
    with pytest.raises(ValueError, match=message):
        preprocessor({"images": images, "questions": ["what color?"]})


def test_too_long_question_raises_by_default(preprocessor):
    with pytest.raises(ValueError, match="sequence_length"):
        preprocessor(
            {
                "images": np.zeros((1, 8, 8, 3), "uint8"),
                "questions": ["is there a red circle in the image?"],
            }
        )


def test_truncate_mode_cuts_and_warns(caplog):
    pre = VQAPreprocessor.from_questions(QUESTIONS, image_size=8, overflow="truncate")
    with caplog.at_level(logging.WARNING):
        out = pre(
            {
                "images": np.zeros((1, 8, 8, 3), "uint8"),
                "questions": ["is there a red circle in the image?"],
            }
        )
    assert out["token_ids"].shape == (1, 5)
    assert "truncated 1" in caplog.text


def test_bad_inputs_and_config_round_trip(preprocessor):
    with pytest.raises(ValueError, match="'images' and 'questions'"):
        preprocessor({"images": np.zeros((1, 8, 8, 3), "uint8")})
    with pytest.raises(TypeError, match="`questions`"):
        preprocessor({"images": np.zeros((1, 8, 8, 3), "uint8"), "questions": [3]})
    with pytest.raises(TypeError, match="`text_preprocessor`"):
        VQAPreprocessor("tokenizer")
    clone = assert_config_round_trip(preprocessor)
    inputs = {"images": np.zeros((1, 8, 8, 3), "uint8"), "questions": ["what color?"]}
    np.testing.assert_array_equal(
        clone(inputs)["token_ids"], preprocessor(inputs)["token_ids"]
    )
