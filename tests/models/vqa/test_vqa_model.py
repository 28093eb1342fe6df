"""Tests for keras_rnn_kit/models/vqa/vqa_model.py and vqa_training.py."""

import json

import keras
import numpy as np
import pytest

from keras_rnn_kit.data.scene_generator import SceneGenerator
from keras_rnn_kit.data.scene_generator import scenes_to_vqa_split
from keras_rnn_kit.models.image_encoder import ImageEncoder
from keras_rnn_kit.models.vqa import VQABackbone
from keras_rnn_kit.models.vqa import VQAModel
from keras_rnn_kit.models.vqa import VQAPreprocessor
from keras_rnn_kit.models.vqa.vqa_training import preprocessed_dataset
from tests.test_case import run_python

ANSWERS = ["yes", "no", "red", "circle"]


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(3)
    pre = VQAPreprocessor.from_questions(
        ["is it red?", "what color is the circle?"], image_size=16
    )
    backbone = VQABackbone(
        pre.vocabulary_size,
        image_size=16,
        fusion_dim=6,
        hidden_dim=6,
        image_encoder=ImageEncoder(filters=(4,), image_size=16),
    )
    return VQAModel(backbone, ANSWERS, preprocessor=pre, hidden_dim=8)


def test_answer_returns_the_argmax_strings_and_softmax_scores(model, rng):
    images = rng.integers(0, 256, size=(3, 16, 16, 3), dtype=np.uint8)
    questions = ["is it red?", "what color is the circle?", "is the circle red?"]
    answers, scores = model.answer(images, questions, batch_size=2)
    logits = np.asarray(
        model(model.preprocessor({"images": images, "questions": questions}))
    )
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    assert answers == [ANSWERS[i] for i in probabilities.argmax(-1)]
    np.testing.assert_allclose(scores, probabilities.max(-1), rtol=1e-5)
    top, top_scores = model.answer(images, questions, top_k=3)
    assert [row[0] for row in top] == answers
    assert top_scores.shape == (3, 3) and np.all(np.diff(top_scores, axis=1) <= 0)


def test_answer_resizes_other_image_sizes(model, rng):
    small = rng.integers(0, 256, size=(1, 16, 16, 3), dtype=np.uint8)
    large = np.repeat(np.repeat(small, 2, axis=1), 2, axis=2)  # (1, 32, 32, 3)
    _, scores = model.answer(large, ["is it red?"])
    assert scores.shape == (1,) and 0.0 < scores[0] <= 1.0


def test_one_image_without_a_batch_axis_is_refused_with_the_fix(model, rng):
    image = rng.integers(0, 256, size=(16, 16, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"rank 4 .* Wrap a single image as images"):
        model.answer(image, ["is it red?"])


def test_bad_answer_inputs_raise(model):
    image = np.zeros((1, 16, 16, 3), np.uint8)
    with pytest.raises(ValueError, match="one entry per image"):
        model.answer(image, ["is it red?", "is it red?"])
    with pytest.raises(ValueError, match="sequence_length"):
        model.answer(image, ["is the circle to the left of the red square?"])
    with pytest.raises(ValueError, match="`top_k`"):
        model.answer(image, ["is it red?"], top_k=0)
    with pytest.raises(ValueError, match="unknown \\['blue'\\]"):
        model.answer_ids(["yes", "blue"])
    with pytest.raises(ValueError, match=r"\[0, 4\).*\[4, -1\]"):
        model.check_answer_ids([0, 4, -1])
    no_pre = VQAModel(model.backbone, ANSWERS)
    with pytest.raises(ValueError, match="preprocessor"):
        no_pre.answer(image, ["is it red?"])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"answers": []}, ValueError, "`answers`"),
        ({"answers": ["yes", "yes"]}, ValueError, "unique"),
        ({"hidden_dim": 0}, ValueError, "`hidden_dim`"),
        ({"preprocessor": "pre"}, TypeError, "`preprocessor`"),
    ],
)
def test_bad_constructor_arguments(model, kwargs, error, message):
    arguments = {"backbone": model.backbone, "answers": ANSWERS, **kwargs}
    with pytest.raises(error, match=message):
        VQAModel(**arguments)


@pytest.mark.slow
def test_saved_model_reloads_in_a_fresh_process(model, rng, tmp_path):
    path = str(tmp_path / "vqa.keras")
    images_path = str(tmp_path / "images.npy")
    images = rng.integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    np.save(images_path, images)
    questions = ["is it red?", "what color is the circle?"]
    model.save(path)
    answers, scores = model.answer(images, questions)
    output = run_python(
        f"""
        import json, keras, numpy as np
        import keras_rnn_kit.models  # registers the VQA classes
        model = keras.saving.load_model({path!r})
        answers, scores = model.answer(np.load({images_path!r}), {questions!r})
        print(json.dumps([answers, scores.tolist()]))
        """
    )
    got_answers, got_scores = json.loads(output.strip().splitlines()[-1])
    assert got_answers == answers
    np.testing.assert_allclose(got_scores, scores, rtol=1e-5)


def test_pipeline_rejects_answer_ids_outside_the_vocabulary(model):
    generator = SceneGenerator(image_size=16, max_objects=1, seed=0)
    split = scenes_to_vqa_split(generator.generate(2), generator.answer_vocabulary())
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        preprocessed_dataset(model.preprocessor, model.answers, split, 4, False)


