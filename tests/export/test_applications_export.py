"""The text applications export: SavedModel on raw strings, TFLite on token ids.

A sentiment classifier and a translator are trained for a few seconds, exported
once per module (SavedModel; TFLite float32, and dynamic / float16 for the
classifier) and checked with `verify_export` (float32 within 1e-5 of Keras,
relative to max(1, max |output|)), in a fresh process that cannot import keras,
and, for TFLite, from the outside: pure-Python tokenization with the exported
JSON text assets, and `TFLiteRunner` greedy and beam decoding.
"""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.data.text_rules import TextEncoder
from keras_rnn_kit.export import TFLiteRunner
from keras_rnn_kit.export import export_saved_model
from keras_rnn_kit.export import export_tflite
from keras_rnn_kit.export import verify_export
from keras_rnn_kit.models.sentiment import SentimentBackbone
from keras_rnn_kit.models.sentiment import SentimentClassifier
from keras_rnn_kit.models.sentiment import SentimentPreprocessor
from tests.models.sentiment.test_sentiment_classifier import ADVERBS
from tests.models.sentiment.test_sentiment_classifier import NEGATIVE
from tests.models.sentiment.test_sentiment_classifier import NOUNS
from tests.models.sentiment.test_sentiment_classifier import POSITIVE
from tests.models.translation.translation_fixtures import SOURCES
from tests.models.translation.translation_fixtures import TARGETS
from tests.models.translation.translation_fixtures import train_on_corpus
from tests.test_case import run_python

QUANTIZATIONS = (None, "dynamic", "float16")
# Accuracy the quantized .tflite files may lose on the held-out reviews.
MAX_ACCURACY_DROP = 0.05
EDGE_TEXTS = [
    "The FOOD was really, really good!",
    "",
    "zzz qqq",
    "!!!",
    "the soup was cold and the staff was rude and the room was bland today",
]


def reviews(count, seed):
    """`the <noun> was [adverb] <adjective>`: the adjective decides the label."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(count):
        positive = rng.random() < 0.5
        words = ["the", rng.choice(NOUNS), "was", rng.choice(ADVERBS)]
        words.append(rng.choice(POSITIVE if positive else NEGATIVE))
        texts.append(" ".join(w for w in words if w))
        labels.append(int(positive))
    return texts, np.array(labels)


@pytest.fixture(scope="module")
def classifier():
    keras.utils.set_random_seed(3)
    texts, labels = reviews(192, seed=0)
    preprocessor = SentimentPreprocessor.from_texts(texts, sequence_length=8)
    backbone = SentimentBackbone(
        len(preprocessor.vocabulary), 16, units=32, structure="single", num_layers=1
    )
    model = SentimentClassifier(
        backbone, preprocessor=preprocessor, class_names=["neg", "pos"]
    )
    model.compile(optimizer=keras.optimizers.Adam(3e-2))
    model.fit(texts, labels, epochs=4, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="module")
def held_out():
    return reviews(64, seed=1)


@pytest.fixture(scope="module")
def sentiment_files(classifier, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sentiment")
    files = {"saved_model": export_saved_model(classifier, folder / "classifier")}
    for quantization in QUANTIZATIONS:
        files[quantization] = export_tflite(
            classifier, folder / f"classifier_{quantization}.tflite", quantization
        )
    files["assets"] = classifier.export_text_assets(folder / "classifier.json")
    return files


@pytest.fixture(scope="module")
def translator():
    return train_on_corpus(steps=100)


@pytest.fixture(scope="module")
def translator_files(translator, tmp_path_factory):
    folder = tmp_path_factory.mktemp("translator")
    return {
        "saved_model": export_saved_model(translator, folder / "translator"),
        "tflite": export_tflite(translator, folder / "translator.tflite"),
    }


def python_token_ids(settings, text):
    """Text -> `(1, sequence_length)` ids with no TensorFlow: the device's view."""
    return np.array([TextEncoder(settings).encode(text)], dtype=np.int32)


def test_sentiment_saved_model_serves_raw_strings(classifier, sentiment_files):
    texts = np.array(reviews(6, seed=2)[0] + EDGE_TEXTS)
    report = verify_export(classifier, sentiment_files["saved_model"], texts)
    assert report["passed"] and report["tolerance"] == pytest.approx(1e-5)
    assert report["ops"] and not any("Wordpiece" in op for op in report["ops"])
    served = tf.saved_model.load(sentiment_files["saved_model"]).signatures
    outputs = served["serving_default"](text=tf.constant(texts))
    expected = classifier.predict_text(list(texts))
    assert [s.decode() for s in outputs["labels"].numpy()] == expected.labels
    np.testing.assert_array_equal(outputs["label_ids"].numpy(), expected.label_ids)
    np.testing.assert_allclose(
        outputs["probabilities"].numpy(), expected.probabilities, atol=1e-5
    )
    # Named after the layer (Keras numbers names per process: `..._1`, ...).
    vocab = os.path.join(
        sentiment_files["saved_model"],
        "assets",
        f"{classifier.preprocessor.name}.vocab.txt",
    )
    with open(vocab, encoding="utf-8") as f:
        assert f.read().split("\n")[:-1] == classifier.preprocessor.vocabulary.tokens


@pytest.mark.slow
@pytest.mark.parametrize("quantization", QUANTIZATIONS)
def test_sentiment_tflite_parity_and_accuracy(
    classifier, sentiment_files, held_out, quantization
):
    texts, labels = held_out
    token_ids = classifier.preprocessor(texts)["token_ids"].numpy()
    report = verify_export(classifier, sentiment_files[quantization], token_ids[:8])
    assert report["passed"], report["per_output"]
    assert report["quantization"] == quantization
    runner = TFLiteRunner(sentiment_files[quantization])
    probabilities = np.concatenate(
        [runner.run(token_ids=row[None])["probabilities"] for row in token_ids]
    )
    keras_accuracy = np.mean(classifier.predict_text(texts).label_ids == labels)
    tflite_accuracy = np.mean(np.argmax(probabilities, axis=-1) == labels)
    print(
        f"sentiment tflite quantization={quantization}: "
        f"{report['size_bytes']:,} bytes, max |diff| {report['max_abs_diff']:.3g}, "
        f"accuracy keras {keras_accuracy:.3f} tflite {tflite_accuracy:.3f}"
    )
    assert keras_accuracy >= 0.9
    assert keras_accuracy - tflite_accuracy <= MAX_ACCURACY_DROP


def test_float32_tflite_with_python_tokenization_matches_predict_text(
    classifier, sentiment_files
):
    with open(sentiment_files["assets"], encoding="utf-8") as f:
        assets = json.load(f)
    assert assets["vocabulary"] == classifier.preprocessor.vocabulary.tokens
    assert assets["class_names"] == ["neg", "pos"]
    runner = TFLiteRunner(sentiment_files[None])
    texts = reviews(4, seed=3)[0] + EDGE_TEXTS
    probabilities = np.concatenate(
        [
            runner.run(token_ids=python_token_ids(assets, text))["probabilities"]
            for text in texts
        ]
    )
    expected = classifier.predict_text(texts)
    np.testing.assert_allclose(probabilities, expected.probabilities, atol=1e-5)
    labels = [assets["class_names"][i] for i in np.argmax(probabilities, axis=-1)]
    assert labels == expected.labels


def test_text_assets_need_a_preprocessor_and_a_json_path(classifier, tmp_path):
    bare = SentimentClassifier(classifier.backbone)
    with pytest.raises(ValueError, match="preprocessor"):
        bare.export_text_assets(tmp_path / "bare.json")
    with pytest.raises(ValueError, match="preprocessor"):
        bare.serving_signatures()
    with pytest.raises(ValueError, match=r"`path` must name a \.json file"):
        classifier.export_text_assets(tmp_path / "assets.txt")


@pytest.mark.slow
def test_translator_saved_model_greedy_and_beam_parity(translator, translator_files):
    for signature in ("serving_default", "beam_search"):
        report = verify_export(
            translator,
            translator_files["saved_model"],
            np.array(SOURCES[:8]),
            signature=signature,
        )
        assert report["passed"], (signature, report["per_output"])
        assert report["max_abs_diff"] == 0


@pytest.mark.slow
def test_translator_tflite_greedy_and_beam_decode_like_translate(
    translator, translator_files
):
    x = {k: np.asarray(v) for k, v in translator.preprocessor(SOURCES).items()}
    report = verify_export(
        translator, translator_files["tflite"], x, signature="encode"
    )
    assert report["passed"], report["per_output"]
    runner = TFLiteRunner(translator_files["tflite"])
    target = TextEncoder(translator.text_assets()["target"])
    max_length = translator.preprocessor.target_sequence_length
    greedy = translator.translate(SOURCES, beam_width=1)
    beam = translator.translate(SOURCES, beam_width=4)
    assert sum(g == t for g, t in zip(greedy, TARGETS, strict=True)) >= 15
    for row in range(len(SOURCES)):
        length = int(np.sum(x["padding_mask"][row]))
        inputs = {key: value[row : row + 1, :length] for key, value in x.items()}
        ids = runner.greedy_decode(inputs, go_id=2, eos_id=3, max_length=max_length)
        assert target.decode(ids) == greedy[row]
        (ids, _), *_ = runner.beam_decode(
            inputs, go_id=2, eos_id=3, max_length=max_length, beam_size=4
        )
        assert target.decode(ids) == beam[row]


@pytest.mark.slow
def test_fresh_process_without_keras_serves_both_saved_models(
    classifier, sentiment_files, translator, translator_files, tmp_path
):
    texts = reviews(4, seed=4)[0] + EDGE_TEXTS
    out = tmp_path / "served.npz"
    run_python(
        f"""
        import sys
        BANNED = ("keras", "keras_rnn_kit", "tensorflow_text")
        sys.modules.update(dict.fromkeys(BANNED))
        import numpy as np
        import tensorflow as tf
        sentiment = tf.saved_model.load({sentiment_files["saved_model"]!r})
        served = sentiment.signatures["serving_default"](text=tf.constant({texts!r}))
        translator = tf.saved_model.load({translator_files["saved_model"]!r})
        sources = tf.constant({SOURCES[:6]!r})
        greedy = translator.signatures["serving_default"](text=sources)
        beam = translator.signatures["beam_search"](text=sources)
        text = lambda t: np.array([s.decode() for s in t.numpy()])
        np.savez({str(out)!r}, labels=text(served["labels"]),
                 probabilities=served["probabilities"].numpy(),
                 greedy=text(greedy["translation"]), beam=text(beam["translation"]))
        loaded = [m for m, module in sys.modules.items()
                  if m.split(".")[0] in BANNED and module is not None]
        assert not loaded, loaded
        """
    )
    served = np.load(out)
    expected = classifier.predict_text(texts)
    assert served["labels"].tolist() == expected.labels
    np.testing.assert_allclose(
        served["probabilities"], expected.probabilities, atol=1e-5
    )
    for name, width in (("greedy", 1), ("beam", 4)):
        want = translator.translate(SOURCES[:6], beam_width=width)
        assert served[name].tolist() == want
