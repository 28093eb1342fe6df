"""Tests for keras_rnn_kit/data/easy_vqa_dataset.py (reads the installed package)."""

import json
import os

import easy_vqa
import numpy as np
import pytest
from PIL import Image

from keras_rnn_kit.data.easy_vqa_dataset import easy_vqa_answers
from keras_rnn_kit.data.easy_vqa_dataset import load_easy_vqa
from keras_rnn_kit.data.easy_vqa_dataset import vqa_dataset

DATA_DIR = os.path.join(os.path.dirname(easy_vqa.__file__), "data")


@pytest.fixture(scope="module")
def small_test_split():
    return load_easy_vqa("test", max_images=3)


def test_answers_match_the_package_file():
    with open(os.path.join(DATA_DIR, "answers.txt")) as handle:
        expected = [line.strip() for line in handle if line.strip()]
    assert easy_vqa_answers() == expected and len(expected) == 13


def test_small_split_matches_the_raw_json_and_pngs(small_test_split):
    data = small_test_split
    with open(os.path.join(DATA_DIR, "test", "questions.json")) as handle:
        raw = [q for q in json.load(handle) if q[2] in (0, 1, 2)]
    assert data.images.shape == (3, 64, 64, 3) and data.images.dtype == np.uint8
    assert data.image_ids.tolist() == [0, 1, 2]
    assert data.questions == [q[0] for q in raw]
    assert data.answers == [q[1] for q in raw]
    assert [data.answer_vocabulary[i] for i in data.answer_ids] == data.answers
    assert data.image_index.tolist() == [q[2] for q in raw]
    png = np.asarray(
        Image.open(os.path.join(DATA_DIR, "test", "images", "2.png")).convert("RGB")
    )
    np.testing.assert_array_equal(data.images[2], png)
    np.testing.assert_array_equal(data.question_images()[-1], png)


def test_full_test_split_has_the_published_sizes():
    data = load_easy_vqa("test")
    assert data.images.shape[0] == 1000 and len(data) == 9673
    assert sum(a in ("yes", "no") for a in data.answers) == 7136


def test_pipeline_batches_pair_images_questions_and_answers(small_test_split):
    data = small_test_split
    batches = list(vqa_dataset(data, batch_size=4))
    questions = [q.decode() for f, _ in batches for q in f["questions"].numpy()]
    assert questions == data.questions
    answers = np.concatenate([a.numpy() for _, a in batches])
    np.testing.assert_array_equal(answers, data.answer_ids)
    images = np.concatenate([f["images"].numpy() for f, _ in batches])
    np.testing.assert_array_equal(images, data.question_images())


def test_shuffled_pipeline_keeps_every_pairing(small_test_split):
    data = small_test_split
    pairs = set()
    for features, answers in vqa_dataset(data, batch_size=5, shuffle=True, seed=1):
        for question, image, answer in zip(
            features["questions"].numpy(),
            features["images"].numpy(),
            answers.numpy(),
            strict=True,
        ):
            row = int(np.flatnonzero((data.images == image).all(axis=(1, 2, 3)))[0])
            pairs.add((question.decode(), row, int(answer)))
    expected = set(
        zip(data.questions, data.image_index.tolist(), data.answer_ids, strict=True)
    )
    assert pairs == {(q, int(r), int(a)) for q, r, a in expected}


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="`split`.*'validation'"):
        load_easy_vqa("validation")
    with pytest.raises(ValueError, match="`max_images`"):
        load_easy_vqa("test", max_images=0)
