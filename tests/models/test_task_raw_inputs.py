"""Every task's `fit`, `evaluate` and `predict` take raw inputs (keras-hub style).

The reference for each task is the same call on inputs its preprocessor made
up front (numpy arrays), in the same batches: raw inputs must give the same
losses, metrics, predictions and trained weights. (`SentimentClassifier`'s raw
texts are tested in `tests/models/sentiment/test_sentiment_classifier.py`.)
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.data.image_io import encode_png
from keras_rnn_kit.models import raw_samples
from tests.models.captioning.captioning_fixtures import tiny_captioner
from tests.models.translation.translation_fixtures import SOURCES
from tests.models.translation.translation_fixtures import TARGETS
from tests.models.translation.translation_fixtures import build_translator
from tests.models.visual_dialog.dialog_fixtures import tiny_dialog_model
from tests.models.vqa.vqa_fixtures import tiny_vqa_model

COUNT = 10
IMAGE_SIZE = 8


def _images(seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (COUNT, IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)


def _translation():
    model = build_translator(seed=1, embedding_dim=4, units=4)
    sources, targets = SOURCES[:COUNT], TARGETS[:COUNT]
    return model, sources, targets, lambda: model.preprocessor(sources, targets)


def _captioning():
    captions = ["a red circle", "a blue square", "a red circle above a square"]
    captions = (captions * 4)[:COUNT]
    model = tiny_captioner(captions, IMAGE_SIZE)
    images = _images(1)
    return (
        model,
        images,
        captions,
        lambda: model.preprocessor({"images": images, "captions": captions}),
    )


def _vqa():
    questions = (["what color is it?", "is it round?"] * COUNT)[:COUNT]
    answers = (["red", "yes", "blue", "no", "yes"] * 2)[:COUNT]
    model = tiny_vqa_model(
        questions, IMAGE_SIZE, ["red", "blue", "yes", "no"], dropout=0.0
    )
    x = {"images": _images(2), "questions": questions}
    return (
        model,
        x,
        answers,
        lambda: (
            dict(model.preprocessor(x)),
            model.answer_ids(answers),
            None,
        ),
    )


def _visual_dialog():
    questions = (["what color is it", "is it red"] * COUNT)[:COUNT]
    histories = [["is it round yes", ""]] * COUNT
    candidates = [["red", "yes", "no"]] * COUNT
    texts = questions + ["is it round yes", "red", "yes", "no"]
    model = tiny_dialog_model(texts, IMAGE_SIZE)
    x = {
        "images": _images(3),
        "questions": questions,
        "histories": histories,
        "candidates": candidates,
    }
    labels = np.arange(COUNT) % 3
    return model, x, labels, lambda: (dict(model.preprocessor(x)), labels, None)


TASKS = {
    "translation": _translation,
    "captioning": _captioning,
    "vqa": _vqa,
    "visual_dialog": _visual_dialog,
}
TEACHER_FORCED = {"translation", "captioning"}


def _numpy(structure):
    return keras.tree.map_structure(
        lambda t: None if t is None else np.asarray(t), structure
    )


@pytest.mark.parametrize("name", sorted(TASKS))
def test_raw_inputs_give_what_preprocessed_inputs_give(name):
    keras.utils.set_random_seed(0)
    model, x, y, preprocessed = TASKS[name]()
    px, py, pw = _numpy(preprocessed())
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    start = model.get_weights()
    # evaluate: the same loss and metrics.
    raw = model.evaluate(x, y, batch_size=4, return_dict=True, verbose=0)
    want = model.evaluate(
        px, py, sample_weight=pw, batch_size=4, return_dict=True, verbose=0
    )
    assert raw.keys() == want.keys()
    for key in want:
        np.testing.assert_allclose(raw[key], want[key], rtol=1e-5, err_msg=key)
    # predict: the same scores (teacher-forced tasks read `(x, y)`).
    scores = model.predict((x, y) if name in TEACHER_FORCED else x, verbose=0)
    np.testing.assert_allclose(scores, model(px, training=False), atol=1e-6)
    # fit, with raw validation data: the same losses and weights.
    got = model.fit(
        x, y, batch_size=4, validation_data=(x, y), shuffle=False, verbose=0
    )
    trained = model.get_weights()
    model.set_weights(start)
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    want = model.fit(
        px,
        py,
        sample_weight=pw,
        batch_size=4,
        validation_data=(px, py) if pw is None else (px, py, pw),
        shuffle=False,
        verbose=0,
    )
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(got.history[key], want.history[key], rtol=1e-5)
    assert not np.allclose(trained[0], start[0])  # it did train
    for weights, expected in zip(trained, model.get_weights(), strict=True):
        np.testing.assert_allclose(weights, expected, atol=1e-5)
    # Missing or mismatched labels raise naming the argument.
    with pytest.raises(ValueError, match="`y` is required with raw `x`"):
        model.fit(x, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"`x` and `y` must hold the same number"):
        model.evaluate(x, y[:-1], verbose=0)
    if name in TEACHER_FORCED:
        with pytest.raises(ValueError, match="teacher forcing"):
            model.predict(x, verbose=0)


def test_vqa_reads_encoded_image_bytes_and_answer_strings_in_datasets():
    keras.utils.set_random_seed(0)
    model, x, answers, _ = _vqa()
    model.compile()
    encoded = dict(x, images=[encode_png(image) for image in x["images"]])
    np.testing.assert_allclose(
        model.predict(encoded, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )
    by_name = tf.data.Dataset.from_tensor_slices((x, answers)).batch(4)
    by_id = tf.data.Dataset.from_tensor_slices((x, model.answer_ids(answers))).batch(4)
    np.testing.assert_allclose(
        model.evaluate(by_name, verbose=0), model.evaluate(by_id, verbose=0)
    )
    with pytest.raises(ValueError, match=r"`y` must hold answers .* \['purple'\]"):
        model.fit(x, ["purple"] * COUNT, verbose=0)
    unknown = tf.data.Dataset.from_tensor_slices((x, ["purple"] * COUNT)).batch(4)
    with pytest.raises(tf.errors.InvalidArgumentError, match="`y` must hold answers"):
        model.evaluate(unknown, verbose=0)


def test_visual_dialog_refuses_candidate_indices_out_of_range():
    keras.utils.set_random_seed(0)
    model, x, labels, _ = _visual_dialog()
    model.compile()
    with pytest.raises(ValueError, match="`y` must hold the index"):
        model.fit(x, -labels - 1, verbose=0)
    too_far = tf.data.Dataset.from_tensor_slices((x, labels + 3)).batch(4)
    with pytest.raises(tf.errors.InvalidArgumentError, match="right candidate"):
        model.evaluate(too_far, verbose=0)


def test_raw_batches_checks_its_arguments():
    def identity(*batch):
        return batch

    with pytest.raises(ValueError, match="`x` must hold at least one sample"):
        raw_samples.raw_batches(identity, [], [])
    with pytest.raises(ValueError, match=r"Every entry of `x` .* \{'a': 2, 'b': 3\}"):
        raw_samples.raw_batches(identity, {"a": [1, 2], "b": [1, 2, 3]})
    with pytest.raises(ValueError, match="`sample_weight` needs `y`"):
        raw_samples.raw_batches(identity, [1, 2], sample_weight=[1.0, 1.0])
    dataset = tf.data.Dataset.from_tensor_slices([1, 2]).batch(2)
    with pytest.raises(ValueError, match="`y` and `sample_weight` must be None"):
        raw_samples.raw_batches(identity, dataset, [1, 2])
    with pytest.raises(ValueError, match="`x` must hold one entry per sample"):
        raw_samples.raw_batches(identity, "one text")
    with pytest.raises(ValueError, match="`batch_size`"):
        raw_samples.raw_batches(identity, [1, 2], batch_size=0)
    batches = list(raw_samples.raw_batches(identity, [1, 2, 3], [4, 5, 6], None, 2))
    assert [b[1].numpy().tolist() for b in batches] == [[4, 5], [6]]
