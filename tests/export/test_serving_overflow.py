"""export_saved_model(overflow=...): served text longer than `sequence_length` is
cut by default, so one over-long request cannot fail a whole TF Serving batch."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.export import export_saved_model
from keras_rnn_kit.export.signatures import text_overflow
from keras_rnn_kit.models.sentiment import SentimentBackbone
from keras_rnn_kit.models.sentiment import SentimentClassifier
from keras_rnn_kit.models.sentiment import SentimentPreprocessor

TEXTS = ["the food was good", "the soup was cold", "bland"]
LONG = "the food was good and the soup was cold and the staff was rude"
NORMAL = "the soup was good"


@pytest.fixture(scope="module")
def classifier():
    """Its preprocessor raises on text over 4 tokens (overflow="error")."""
    keras.utils.set_random_seed(8)
    pre = SentimentPreprocessor.from_texts(TEXTS, sequence_length=4, overflow="error")
    backbone = SentimentBackbone(
        len(pre.vocabulary), 4, units=4, structure="single", num_layers=1
    )
    return SentimentClassifier(backbone, preprocessor=pre)


def _serve(path):
    return tf.saved_model.load(path).signatures["serving_default"]


def test_default_truncates_and_leaves_the_layer_alone(classifier, tmp_path):
    serve = _serve(export_saved_model(classifier, tmp_path / "classifier"))
    both = serve(text=tf.constant([LONG, NORMAL]))["probabilities"].numpy()
    alone = serve(text=tf.constant([NORMAL]))["probabilities"].numpy()
    np.testing.assert_allclose(both[1], alone[0], atol=1e-6)
    # The long row is its first four tokens, as the Keras layer cuts it.
    cut = " ".join(LONG.split()[:4])
    np.testing.assert_allclose(
        both[0], classifier.predict_text([cut]).probabilities[0], atol=1e-5
    )
    pre = classifier.preprocessor
    assert pre.overflow == pre.text_preprocessor.overflow == "error"
    with pytest.raises(ValueError, match="`sequence_length`=4 is too short"):
        classifier.predict_text([LONG])


def test_overflow_error_fails_the_request(classifier, tmp_path):
    path = export_saved_model(classifier, tmp_path / "strict", overflow="error")
    serve = _serve(path)
    assert serve(text=tf.constant([NORMAL]))["probabilities"].shape == (1, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="too short"):
        serve(text=tf.constant([LONG, NORMAL]))


def test_bad_overflow_is_named(classifier, tmp_path):
    with pytest.raises(ValueError, match="`overflow` must be one of 'error', "):
        export_saved_model(classifier, tmp_path / "bad", overflow="drop")
    assert not (tmp_path / "bad").exists()


def test_text_overflow_sets_and_restores_every_text_layer():
    pre = SentimentPreprocessor.from_texts(TEXTS, 4, max_sentences=1, overflow="error")
    model = SentimentClassifier(
        SentimentBackbone(len(pre.vocabulary), 4, units=4, structure="hierarchical"),
        preprocessor=pre,
    )
    layers = (pre, pre.text_preprocessor)
    with text_overflow(model, "truncate"):
        assert [layer.overflow for layer in layers] == ["truncate", "truncate"]
        # Traced (as a served graph is), two sentences fit `max_sentences=1`.
        ids = tf.function(pre)(tf.constant(["good. bad."]))["token_ids"]
        assert ids.shape == (1, 1, 4)
    assert [layer.overflow for layer in layers] == ["error", "error"]
    with pytest.raises(ValueError, match="`overflow` must be one of"):
        with text_overflow(model, "cut"):
            pass
