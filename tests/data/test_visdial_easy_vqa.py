"""Tests for keras_rnn_kit/data/visdial_easy_vqa.py."""

import numpy as np
import pytest

from keras_rnn_kit.data.easy_vqa_dataset import VQASplit
from keras_rnn_kit.data.visdial_easy_vqa import dialog_view


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
