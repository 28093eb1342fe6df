import logging

import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.data import TextTokenizer
from keras_rnn_kit.models.sentiment import SentimentPreprocessor
from tests.test_case import assert_config_round_trip

TEXTS = ["the food was good", "the soup was bad", "good good service"]


@pytest.fixture(scope="module")
def flat():
    return SentimentPreprocessor.from_texts(TEXTS, sequence_length=5)


def ids_of(pre, text):
    """Independent reference: Python tokenizer + Vocabulary.encode."""
    return pre.vocabulary.encode(TextTokenizer().tokenize_python(text))


def test_flat_outputs_match_python_reference_and_pass_labels(flat):
    x, y = flat(["The FOOD was good!", ""], np.array([1, 0]))
    want = [ids_of(flat, "The FOOD was good!") + [0], [0] * 5]
    assert x["token_ids"].numpy().tolist() == want
    np.testing.assert_array_equal(x["padding_mask"], np.array(want) != 0)
    assert y.numpy().tolist() == [1, 0]


def test_from_texts_caps_vocabulary(flat):
    assert flat.vocabulary.tokens[4:6] == ["good", "the"]
    small = SentimentPreprocessor.from_texts(TEXTS, 5, vocabulary_size=6)
    assert len(small.vocabulary) == 6


def test_long_text_is_truncated_and_counted(flat, caplog):
    with caplog.at_level(logging.WARNING):
        x = flat(["good " * 9])
    assert x["token_ids"].numpy().tolist() == [[ids_of(flat, "good")[0]] * 5]
    assert int(flat.text_preprocessor.truncated_count.numpy()) >= 1
    assert "truncated 1 of 1 inputs" in caplog.text


def test_hierarchical_splits_sentences_and_drops_empty_ones():
    pre = SentimentPreprocessor.from_texts(TEXTS, 3, max_sentences=3)
    x = pre(["Good food. Bad soup!! <br /><br />the service", "", "good"])
    ids = x["token_ids"].numpy()
    assert ids.shape == (3, 3, 3)
    assert ids[0].tolist() == [
        ids_of(pre, "good food") + [0],
        ids_of(pre, "bad soup") + [0],
        ids_of(pre, "the service") + [0],
    ]
    assert not x["padding_mask"].numpy()[1].any()
    assert ids[2].tolist() == [ids_of(pre, "good") + [0, 0], [0] * 3, [0] * 3]


def test_hierarchical_sentence_overflow(caplog):
    pre = SentimentPreprocessor.from_texts(TEXTS, 3, max_sentences=2)
    with caplog.at_level(logging.WARNING):
        x = pre(["good. bad. the. food."])
    assert x["token_ids"].numpy()[0, :, 0].tolist() == ids_of(pre, "good bad")
    assert int(pre.truncated_documents.numpy()) == 1
    assert "kept the first 2 sentences of 1 documents" in caplog.text
    strict = SentimentPreprocessor.from_texts(TEXTS, 3, max_sentences=2,
                                              overflow="error")
    with pytest.raises(ValueError, match="`max_sentences`=2"):
        strict(["good. bad. food."])
    dataset = tf.data.Dataset.from_tensor_slices(["a. b. c."]).batch(1).map(strict)
    with pytest.raises(tf.errors.InvalidArgumentError, match="`max_sentences`=2"):
        list(dataset)


def test_non_string_input_names_argument(flat):
    with pytest.raises(TypeError, match="`x`"):
        flat([1, 2])


def test_config_round_trip(flat):
    pre = SentimentPreprocessor.from_texts(TEXTS, 4, max_sentences=2,
                                           tokenizer=TextTokenizer(lowercase=False))
    clone = assert_config_round_trip(pre)
    assert clone.vocabulary == pre.vocabulary and not clone.tokenizer.lowercase
    text = ["Good food. the soup"]
    np.testing.assert_array_equal(clone(text)["token_ids"], pre(text)["token_ids"])
