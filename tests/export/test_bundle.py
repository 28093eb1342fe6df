"""`export_tflite_bundle` and `Bundle`: files, metadata, errors, hierarchical text.

The five applications run from their bundle without TensorFlow in
tests/test_cli_matrix.py (`test_tflite_bundle_runs_like_keras_without_tensorflow`);
here a tiny hierarchical sentiment classifier covers sentence splitting, and the
error paths are checked.
"""

import json
import os

import keras
import numpy as np
import pytest

from keras_rnn_kit.export import Bundle
from keras_rnn_kit.export import export_tflite_bundle
from keras_rnn_kit.export.bundle import application_of
from keras_rnn_kit.export.bundle_metadata import signature_of_subgraph_zero
from keras_rnn_kit.export.tflite_metadata import read_metadata
from keras_rnn_kit.models.sentiment import SentimentBackbone
from keras_rnn_kit.models.sentiment import SentimentClassifier
from keras_rnn_kit.models.sentiment import SentimentPreprocessor
from tests.export.test_applications_export import reviews

DOCUMENTS = [
    "The food was good. The staff was rude!<br />fine",
    "one. two. three. four. five.",
    "",
    "zzz qqq",
]


@pytest.fixture(scope="module")
def hierarchical(tmp_path_factory):
    keras.utils.set_random_seed(0)
    texts, labels = reviews(48, seed=0)
    preprocessor = SentimentPreprocessor.from_texts(
        texts, sequence_length=6, max_sentences=3, overflow="truncate"
    )
    backbone = SentimentBackbone(
        len(preprocessor.vocabulary), 8, units=8, structure="hierarchical"
    )
    model = SentimentClassifier(backbone, preprocessor=preprocessor, num_classes=3)
    model.compile()
    model.fit(texts, labels, epochs=1, batch_size=16, verbose=0)
    folder = tmp_path_factory.mktemp("bundle") / "sentiment_tflite"
    return model, export_tflite_bundle(model, folder)


def test_hierarchical_sentiment_bundle_classifies_like_predict_text(hierarchical):
    model, folder = hierarchical
    labels, probabilities = Bundle(folder).classify(DOCUMENTS)
    want = model.predict_text(DOCUMENTS)
    assert labels == [int(label) for label in want.labels]
    np.testing.assert_allclose(probabilities, want.probabilities, atol=1e-5)


def test_bundle_files_and_metadata(hierarchical):
    model, folder = hierarchical
    assert sorted(os.listdir(folder)) == [
        "README.md",
        "bundle.json",
        "labels.txt",
        "model.tflite",
        "rnnkit_bundle.py",
        "text_rules.py",
        "tflite_runner.py",
        "vocab.txt",
    ]
    with open(os.path.join(folder, "bundle.json"), encoding="utf-8") as f:
        config = json.load(f)
    assert config["application"] == "sentiment"
    assert config["files"] == {"text_vocabulary": "vocab.txt", "labels": "labels.txt"}
    assert config["signatures"]["serving_default"]["outputs"] == ["probabilities"]
    with open(os.path.join(folder, "vocab.txt"), encoding="utf-8") as f:
        assert f.read().splitlines() == model.preprocessor.vocabulary.tokens
    with open(os.path.join(folder, "labels.txt"), encoding="utf-8") as f:
        assert f.read().splitlines() == ["0", "1", "2"]
    with open(os.path.join(folder, "model.tflite"), "rb") as f:
        content = f.read()
    assert signature_of_subgraph_zero(content) == "serving_default"
    metadata, files = read_metadata(content)
    (token_ids,) = metadata["input_tensor_metadata"]
    (probabilities,) = metadata["output_tensor_metadata"]
    assert token_ids["associated_files"] == [
        {"name": "vocab.txt", "type": "VOCABULARY"}
    ]
    assert probabilities["associated_files"][0]["name"] == "labels.txt"
    assert files["labels.txt"] == b"0\n1\n2\n"
    with open(os.path.join(folder, "vocab.txt"), "rb") as f:
        assert files["vocab.txt"] == f.read()


def test_errors_name_the_problem(hierarchical, tmp_path):
    model, folder = hierarchical
    with pytest.raises(FileExistsError, match="already exists; pass `overwrite=True`"):
        export_tflite_bundle(model, folder)
    inputs = keras.Input((3,))
    with pytest.raises(TypeError, match="must be an application task"):
        export_tflite_bundle(keras.Model(inputs, inputs), tmp_path / "plain")
    with pytest.raises(FileNotFoundError, match="holds no bundle.json"):
        Bundle(tmp_path)
    bundle = Bundle(folder)
    with pytest.raises(ValueError, match="`translate` runs translation bundles"):
        bundle.translate(["x"])
    with pytest.raises(ValueError, match="unknown application|Unknown application"):
        application_of({"format": "keras_rnn_kit.poetry_text_assets/1"})
    with pytest.raises(ValueError, match="must look like"):
        application_of({"format": "something/1"})
    assert not os.path.exists(tmp_path / "plain")


def test_images_must_have_the_model_size_and_range():
    from keras_rnn_kit.export.bundle_runner import _check_images

    gray = np.full((1, 4, 4, 1), 255, np.uint8)
    np.testing.assert_array_equal(_check_images(gray, 4), np.ones((1, 4, 4, 3)))
    with pytest.raises(ValueError, match="must be 4x4 .* got 5x4: resize them"):
        _check_images(np.zeros((1, 5, 4, 3), np.uint8), 4)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        _check_images(np.full((1, 4, 4, 3), 2.0, np.float32), 4)
    with pytest.raises(ValueError, match=r"shape \(batch, height, width, 1 or 3\)"):
        _check_images(np.zeros((4, 4, 3), np.uint8), 4)
