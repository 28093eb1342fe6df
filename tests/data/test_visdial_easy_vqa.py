"""Tests for keras_rnn_kit/data/visdial_easy_vqa.py."""

import numpy as np
import pytest

from keras_rnn_kit.data.easy_vqa_dataset import VQASplit
from keras_rnn_kit.data.scene_generator import SceneGenerator
from keras_rnn_kit.data.visdial_easy_vqa import dialog_view
from keras_rnn_kit.data.visdial_easy_vqa import scene_dialog_view


@pytest.fixture
def split():
    return VQASplit(
        images=np.zeros((2, 4, 4, 3), np.uint8),
        image_ids=np.array([10, 11]),
        questions=["q1 a?", "q2 b?", "q3 a?", "q4 b?", "q5 a?"],
        answers=["yes", "no", "red", "yes", "no"],
        answer_ids=np.array([0, 1, 2, 0, 1]),
        image_index=np.array([0, 1, 0, 1, 0]),
        answer_vocabulary=["yes", "no", "red"],
    )


def test_rounds_follow_the_file_order_per_image(split):
    view = dialog_view(split, max_rounds=10)
    assert len(view) == 5 and view.histories.shape == (5, 9)
    assert view.questions == ["q1 a?", "q3 a?", "q5 a?", "q2 b?", "q4 b?"]
    assert view.rounds.tolist() == [0, 1, 2, 0, 1]
    assert view.image_index.tolist() == [0, 0, 0, 1, 1]
    assert view.histories[0].tolist() == [""] * 9
    assert view.histories[2, :2].tolist() == ["q1 a? yes", "q3 a? red"]
    assert view.histories[2, 2:].tolist() == [""] * 7
    assert view.histories[4, 0] == "q2 b? no"
    assert view.answer_ids.tolist() == [0, 2, 1, 1, 0]
    assert view.candidates == ["yes", "no", "red"]


def test_max_rounds_keeps_the_first_rounds(split):
    view = dialog_view(split, max_rounds=2)
    assert view.questions == ["q1 a?", "q3 a?", "q2 b?", "q4 b?"]
    assert view.histories.shape == (4, 1)
    with pytest.raises(ValueError, match="`max_rounds`"):
        dialog_view(split, max_rounds=0)


def test_dialog_view_marks_no_round_history_dependent(split):
    assert not dialog_view(split).history_dependent.any()


@pytest.fixture(scope="module")
def generated():
    generator = SceneGenerator(image_size=32, max_objects=3, seed=2)
    return generator.generate(12), generator.answer_vocabulary()


def test_scene_view_opens_with_the_caption_and_keeps_every_round(generated):
    scenes, vocabulary = generated
    view = scene_dialog_view(scenes, vocabulary, max_rounds=10)
    assert len(view) == sum(len(s.questions) for s in scenes)
    assert view.histories.shape[1] == 10  # the caption and up to 9 earlier rounds
    row = 0
    for index, scene in enumerate(scenes):
        for r, (question, answer) in enumerate(scene.dialog()):
            assert view.image_index[row] == index and view.rounds[row] == r
            assert view.questions[row] == question
            assert view.candidates[view.answer_ids[row]] == answer
            assert view.history_dependent[row] == scene.history_dependent[r]
            expected = [scene.caption] + [f"{q} {a}" for q, a in scene.dialog()[:r]]
            assert [h for h in view.histories[row] if h] == expected
            row += 1
    np.testing.assert_array_equal(view.images, np.stack([s.image for s in scenes]))
    assert view.history_dependent.any()


def test_scene_view_without_caption_and_with_fewer_rounds(generated):
    scenes, vocabulary = generated
    view = scene_dialog_view(scenes, vocabulary, max_rounds=2, caption=False)
    assert view.histories.shape == (2 * len(scenes), 1)
    assert view.histories[0, 0] == ""
    assert view.histories[1, 0] == " ".join(scenes[0].dialog()[0])


def test_scene_view_bad_input_names_the_argument(generated):
    scenes, vocabulary = generated
    with pytest.raises(ValueError, match="`answer_vocabulary` must contain"):
        scene_dialog_view(scenes, ["yes", "no"])
    with pytest.raises(ValueError, match="`scenes`"):
        scene_dialog_view([], vocabulary)
    with pytest.raises(ValueError, match="`max_rounds`"):
        scene_dialog_view(scenes, vocabulary, max_rounds=0)
