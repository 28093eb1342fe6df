import json
import types

import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.models.sentiment import SentimentBackbone
from keras_rnn_kit.models.sentiment import SentimentClassifier
from keras_rnn_kit.models.sentiment import SentimentPreprocessor
from keras_rnn_kit.models.sentiment.sentiment_export import TEXT_ASSETS_FORMAT
from keras_rnn_kit.models.sentiment.sentiment_export import probabilities
from tests.test_case import xla_functions

TEXTS = ["The food was good. The staff was rude!", "bad soup", "", "zzz"]


def make(num_classes=2, structure="single", class_names=None, max_sentences=None):
    pre = SentimentPreprocessor.from_texts(
        TEXTS, sequence_length=5, max_sentences=max_sentences
    )
    # The recipe's token-pair embedding and pooling where the structure has them.
    flat = structure != "hierarchical"
    backbone = SentimentBackbone(
        len(pre.vocabulary),
        4,
        units=4,
        structure=structure,
        num_layers=1,
        pooling="max_mean" if flat else "last",
        bigram_buckets=8 if flat else 0,
    )
    return SentimentClassifier(backbone, num_classes, pre, class_names=class_names)


def test_probabilities_match_numpy_sigmoid_and_softmax():
    logits = np.array([[0.3, -1.0, 2.0], [-2.0, 0.5, 0.1]], "float32")
    binary = probabilities(types.SimpleNamespace(num_classes=2), logits[:, :1])
    positive = 1.0 / (1.0 + np.exp(-logits[:, 0]))
    want = np.stack([1 - positive, positive], -1)
    np.testing.assert_allclose(binary, want, rtol=1e-6)
    exp = np.exp(logits - logits.max(-1, keepdims=True))
    np.testing.assert_allclose(
        probabilities(types.SimpleNamespace(num_classes=3), logits),
        exp / exp.sum(-1, keepdims=True),
        rtol=1e-6,
    )


@pytest.mark.parametrize(
    "kwargs", [{"class_names": ["neg", "pos"]}, {"num_classes": 3}]
)
def test_serving_default_names_outputs_like_predict_text(kwargs):
    model = make(**kwargs)
    serve = model.serving_signatures()["serving_default"]
    outputs = serve(tf.constant(TEXTS))
    expected = model.predict_text(TEXTS)
    assert sorted(outputs) == ["label_ids", "labels", "probabilities"]
    labels = [s.decode() for s in outputs["labels"].numpy()]
    # Without class names the labels are the class ids written in decimal.
    assert labels == [str(label) for label in expected.labels]
    np.testing.assert_array_equal(outputs["label_ids"].numpy(), expected.label_ids)
    np.testing.assert_allclose(
        outputs["probabilities"].numpy(), expected.probabilities, atol=1e-6
    )


@pytest.mark.slow
def test_hierarchical_signatures_take_sentences():
    model = make(structure="hierarchical", max_sentences=3)
    serve = model.serving_signatures()["serving_default"]
    np.testing.assert_allclose(
        serve(tf.constant(TEXTS))["probabilities"].numpy(),
        model.predict_text(TEXTS).probabilities,
        atol=1e-6,
    )
    spec = model.tflite_signatures()["serving_default"].input_signature[0]
    # Any batch; the sentence axis is static (`max_sentences`) for LiteRT's loop.
    assert spec.name == "token_ids" and spec.shape.as_list() == [None, 3, None]
    assert make().tflite_signatures()["serving_default"].input_signature[
        0
    ].shape.as_list() == [None, None]


def test_tflite_signature_masks_padding_like_the_preprocessor():
    model = make(class_names=["neg", "pos"])
    ids = model.preprocessor(TEXTS[:2])["token_ids"].numpy()
    serve = model.tflite_signatures()["serving_default"]
    for row, want in zip(ids, model.predict_text(TEXTS[:2]).probabilities, strict=True):
        got = serve(tf.constant(row[None]))["probabilities"].numpy()[0]
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_text_assets_describe_the_preprocessor(tmp_path):
    model = make(structure="hierarchical", class_names=["neg", "pos"], max_sentences=2)
    path = model.export_text_assets(tmp_path / "sub" / "assets.json")
    with open(path, encoding="utf-8") as f:
        assets = json.load(f)
    assert assets["format"] == TEXT_ASSETS_FORMAT
    assert assets["vocabulary"] == model.preprocessor.vocabulary.tokens
    assert assets["tokenizer"] == {
        "mode": "auto",
        "lowercase": True,
        "strip_punctuation": True,
    }
    assert (assets["sequence_length"], assets["max_sentences"]) == (5, 2)
    assert (assets["pad_id"], assets["oov_id"]) == (0, 1)
    assert assets["class_names"] == ["neg", "pos"] and assets["num_classes"] == 2
    assert set(assets["sentence_split"]) == {"line_break", "sentence_end"}


def test_keras_export_of_the_recipe_shape_serves_its_probabilities(tmp_path):
    """Keras's own `model.export()` of a classifier with the recipe's pair
    embedding and max+mean pooling: no XLA program, and the served outputs
    equal the model's on the preprocessed inputs."""
    model = make(structure="bidirectional")
    features = model.preprocessor(TEXTS)
    expected = np.asarray(model(features))
    path = str(tmp_path / "sentiment")
    model.export(path, verbose=False)
    assert not xla_functions(path)
    loaded = tf.saved_model.load(path)  # held: its function reads its variables
    np.testing.assert_allclose(np.asarray(loaded.serve(features)), expected, atol=1e-6)
