"""Lean `.tflite` files: no dead vocabulary tables, and an unknown batch axis where
the signatures allow one, checked against Keras at batch 8.

Only the frozen signatures go into the converter's SavedModel, so a
`TextPreprocessor`'s lookup table no longer becomes a `HASHTABLE` initializer
holding the vocabulary as strings. Sentiment and VQA run their rows through
`tf.map_fn` at batch 1 (a recurrent `WHILE` loop needs a static batch), the
captioner has no loop over time in `encode`/`step` and takes a real batch, and
the translator, whose `encode` returns per-row tensors of unknown length, stays
at batch 1 with a clear error for any other batch.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.export import ExportError
from keras_rnn_kit.export import TFLiteRunner
from keras_rnn_kit.export import export_tflite
from keras_rnn_kit.export import list_tflite_ops
from keras_rnn_kit.export import tflite
from keras_rnn_kit.models.captioning.captioning_export import flatten_state
from keras_rnn_kit.models.captioning.captioning_training import build_captioner
from keras_rnn_kit.models.sentiment import SentimentBackbone
from keras_rnn_kit.models.sentiment import SentimentClassifier
from keras_rnn_kit.models.sentiment import SentimentPreprocessor
from keras_rnn_kit.models.visual_dialog.visual_dialog_export import MAX_HISTORY_ROUNDS
from tests.models.translation.translation_fixtures import build_translator
from tests.models.visual_dialog.dialog_fixtures import tiny_dialog_model
from tests.models.vqa.vqa_fixtures import tiny_vqa_model

RARE = "zyxwvutrare"
TEXTS = [
    "the food was good",
    "the soup was cold and bland",
    f"one {RARE} review",
    "good",
    "",
    "bland food was cold",
    "was the soup good",
    "the food",
]
SIZE = 8


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _tracking_save(model):
    """How `export_tflite` saved before: the model tracked next to its signatures."""

    def save(signatures, folder):
        module = tf.Module()
        module.model = model
        module.functions = signatures
        tf.saved_model.save(module, folder, signatures=signatures)

    return save


@pytest.fixture(scope="module")
def classifier():
    keras.utils.set_random_seed(1)
    pre = SentimentPreprocessor.from_texts(TEXTS, sequence_length=6)
    # The shape `SentimentRecipe` builds: token pairs, max and mean pooling.
    backbone = SentimentBackbone(
        len(pre.vocabulary),
        4,
        units=4,
        structure="bidirectional",
        num_layers=1,
        pooling="max_mean",
        bigram_buckets=16,
    )
    return SentimentClassifier(backbone, preprocessor=pre)


@pytest.fixture(scope="module")
def classifier_tflite(classifier, tmp_path_factory):
    folder = tmp_path_factory.mktemp("lean")
    return _read(export_tflite(classifier, folder / "classifier.tflite"))


def test_no_vocabulary_table_in_the_file(
    classifier, classifier_tflite, tmp_path, monkeypatch
):
    assert RARE in classifier.preprocessor.vocabulary.tokens
    ops = list_tflite_ops(classifier_tflite)
    assert not [op for op in ops if op.startswith("HASHTABLE") or op == "CALL_ONCE"]
    assert RARE.encode() not in classifier_tflite
    # Tracking the model brought its lookup table in as an initializer subgraph.
    monkeypatch.setattr(tflite, "_save_signatures", _tracking_save(classifier))
    before = _read(export_tflite(classifier, tmp_path / "before.tflite"))
    table_ops = {"CALL_ONCE", "HASHTABLE", "HASHTABLE_IMPORT"}
    assert table_ops <= set(list_tflite_ops(before))
    assert RARE.encode() in before
    assert len(classifier_tflite) < len(before)


def test_a_variable_the_model_does_not_own_is_named(tmp_path):
    x = keras.Input((None, 3), name="x")
    model = keras.Model(x, keras.layers.RNN(LSTMCell(4))(x))
    stranger = keras.layers.Dense(2, name="stranger")
    stranger.build((None, 4))
    spec = [tf.TensorSpec((1, None, 3), tf.float32, name="x")]
    signature = tf.function(lambda x: {"y": stranger(model(x))}, input_signature=spec)
    with pytest.raises(ExportError, match="'stranger/kernel'.* does not own") as info:
        export_tflite(
            model, tmp_path / "m.tflite", signatures={"serving_default": signature}
        )
    assert info.value.ops == ["VAR_HANDLE", "READ_VARIABLE"]
    assert not (tmp_path / "m.tflite").exists()


def test_sentiment_takes_any_batch_like_keras(classifier, classifier_tflite):
    runner = TFLiteRunner(model_content=classifier_tflite)
    assert runner.input_specs("serving_default") == {
        "token_ids": ((None, None), np.int32)
    }
    token_ids = classifier.preprocessor(TEXTS)["token_ids"].numpy()  # (8, 6)
    want = classifier.predict_text(TEXTS).probabilities
    for batch in (8, 1, 3):
        got = runner.run(token_ids=token_ids[:batch])["probabilities"]
        np.testing.assert_allclose(got, want[:batch], atol=1e-5)


@pytest.mark.slow
def test_hierarchical_sentiment_converts_with_a_static_sentence_axis(tmp_path):
    keras.utils.set_random_seed(2)
    texts = ["good food. bad soup!", "the soup was cold", "", "good. good. bad"] * 2
    pre = SentimentPreprocessor.from_texts(texts, sequence_length=4, max_sentences=2)
    backbone = SentimentBackbone(
        len(pre.vocabulary), 4, units=4, structure="hierarchical", num_layers=1
    )
    model = SentimentClassifier(backbone, 3, pre)
    runner = TFLiteRunner(export_tflite(model, tmp_path / "hierarchical.tflite"))
    assert runner.input_specs("serving_default") == {
        "token_ids": ((None, 2, None), np.int32)
    }
    got = runner.run(token_ids=pre(texts)["token_ids"].numpy())["probabilities"]
    np.testing.assert_allclose(got, model.predict_text(texts).probabilities, atol=1e-5)
    with pytest.raises(ValueError, match="needs its preprocessor's `max_sentences`"):
        SentimentClassifier(backbone, 3).tflite_signatures()


@pytest.mark.slow
def test_vqa_takes_any_batch_like_keras(tmp_path):
    keras.utils.set_random_seed(3)
    model = tiny_vqa_model(TEXTS, SIZE, ["yes", "no", "red"], sequence_length=6)
    pre = model.preprocessor
    runner = TFLiteRunner(export_tflite(model, tmp_path / "vqa.tflite"))
    images = np.random.default_rng(0).random((8, SIZE, SIZE, 3)).astype("float32")
    text = {k: v.numpy() for k, v in pre.text_preprocessor(TEXTS).items()}
    want = keras.ops.softmax(model({"images": images, **text}), axis=-1).numpy()
    token_ids = text["token_ids"]
    for batch in (8, 2):
        got = runner.run(images=images[:batch], token_ids=token_ids[:batch])
        np.testing.assert_allclose(got["probabilities"], want[:batch], atol=1e-5)


@pytest.mark.slow
def test_captioner_encodes_and_steps_a_batch_like_keras(tmp_path):
    keras.utils.set_random_seed(4)
    captioner = build_captioner([t for t in TEXTS if t], SIZE, units=8, filters=(4,))
    runner = TFLiteRunner(export_tflite(captioner, tmp_path / "captioner.tflite"))
    assert runner.input_specs("step")["token_ids"] == ((None,), np.int32)
    images = np.random.default_rng(1).random((8, SIZE, SIZE, 3)).astype("float32")
    state = flatten_state(captioner.backbone.encode(images))
    encoded = runner.run("encode", images=images)
    for name, value in state.items():
        np.testing.assert_allclose(encoded[name], value, atol=1e-5)
    tokens = np.arange(8, dtype="int32") % len(captioner.preprocessor.vocabulary)
    got = runner.run("step", token_ids=tokens, **encoded)
    want, _ = captioner.step(tokens, captioner.backbone.encode(images))
    np.testing.assert_allclose(got["logits"], want, atol=1e-5)
    # The decoders feed one hypothesis per call, whatever batch ran before.
    ids = runner.greedy_decode({"images": images[:1]}, 2, 3, max_length=4)
    assert all(isinstance(i, int) for i in ids)


@pytest.mark.slow
def test_dialog_scores_every_candidate_in_one_call_like_rank_answers(tmp_path):
    keras.utils.set_random_seed(5)
    model = tiny_dialog_model(TEXTS, SIZE)
    pre = model.preprocessor
    runner = TFLiteRunner(export_tflite(model, tmp_path / "dialog.tflite"))
    images = np.random.default_rng(2).integers(0, 256, (2, SIZE, SIZE, 3), "uint8")
    questions, histories = TEXTS[:2], [[TEXTS[2], ""], ["", TEXTS[3]]]
    candidates = [TEXTS[3:6], TEXTS[5:8]]
    _, want = model.rank_answers(images, questions, histories, candidates)
    inputs = pre(
        {
            "images": images,
            "questions": questions,
            "histories": histories,
            "candidates": candidates,
        }
    )
    rounds = inputs["history_token_ids"].numpy()
    padded = np.zeros((2, MAX_HISTORY_ROUNDS, rounds.shape[-1]), "int32")
    padded[:, : rounds.shape[1]] = rounds
    encoding = runner.run(
        "encode",
        images=inputs["images"].numpy(),
        token_ids=inputs["token_ids"].numpy(),
        history_token_ids=padded,
    )["encoding"]
    # (2 dialogs x 3 candidates) rows: each candidate next to its encoding.
    scores = runner.run(
        "score",
        encoding=np.repeat(encoding, 3, axis=0),
        candidate_token_ids=inputs["candidate_token_ids"].numpy().reshape(6, -1),
    )["score"]
    np.testing.assert_allclose(scores.reshape(2, 3), want, atol=1e-5)


@pytest.mark.slow
def test_translator_keeps_batch_1_and_names_it(tmp_path):
    translator = build_translator()
    runner = TFLiteRunner(export_tflite(translator, tmp_path / "translator.tflite"))
    assert runner.input_specs("encode")["token_ids"] == ((1, None), np.int32)
    with pytest.raises(ValueError) as error:
        runner.run(
            "encode",
            token_ids=np.ones((2, 3), "int32"),
            padding_mask=np.ones((2, 3), bool),
        )
    message = str(error.value)
    assert message.startswith("Signature 'encode' input ")
    assert "The file was exported at batch 1: feed 1 row at a time" in message
