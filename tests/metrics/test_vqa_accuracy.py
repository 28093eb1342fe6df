"""Tests for keras_rnn_kit/metrics/vqa_accuracy.py (hand-computed values)."""

import numpy as np
import pytest

from keras_rnn_kit.metrics.vqa_accuracy import VQAAccuracy
from keras_rnn_kit.metrics.vqa_accuracy import mean_vqa_accuracy
from keras_rnn_kit.metrics.vqa_accuracy import normalize_vqa_answer
from keras_rnn_kit.metrics.vqa_accuracy import vqa_accuracy


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Two", "2"),
        ("the dog", "dog"),
        ("A Red Ball.", "red ball"),
        ("yes!", "yes"),
        ("dont know", "don't know"),
        ("1,000", "1000"),  # digit-comma-digit: punctuation deleted, not spaced
        ("black/white", "black white"),  # no adjacent space: punctuation -> space
        ("3.5", "3.5"),  # a period inside a number stays
        ("  ten\tcats ", "10 cats"),
        ("none", "0"),
    ],
)
def test_normalisation_follows_the_official_rules(raw, expected):
    assert normalize_vqa_answer(raw) == expected


@pytest.mark.parametrize(
    "matches, expected",
    [
        # Hand-computed: each of the m agreeing annotators sees m - 1 others, each
        # of the 10 - m others sees m; score min(k / 3, 1), averaged over ten.
        (0, 0.0),
        (1, (1 * 0 + 9 * 1 / 3) / 10),  # 0.3
        (2, (2 * 1 / 3 + 8 * 2 / 3) / 10),  # 0.6
        (3, (3 * 2 / 3 + 7 * 1) / 10),  # 0.9
        (4, 1.0),
        (10, 1.0),
    ],
)
def test_ten_annotator_scores(matches, expected):
    human = ["two"] * matches + ["three"] * (10 - matches)
    assert vqa_accuracy("2", human) == pytest.approx(expected)


def test_single_answer_is_exact_match_after_normalisation():
    assert vqa_accuracy("The Circle", ["circle"]) == 1.0
    assert vqa_accuracy("square", ["circle"]) == 0.0
    assert mean_vqa_accuracy(["x", "yes", "no"], [["x"], ["yes"], ["yes"]]) == (
        pytest.approx(2 / 3)
    )


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="`human_answers`"):
        vqa_accuracy("yes", [])
    with pytest.raises(ValueError, match="`human_answers`"):
        vqa_accuracy("yes", "yes")
    with pytest.raises(TypeError, match="`answer`"):
        normalize_vqa_answer(3)
    with pytest.raises(ValueError, match="same length"):
        mean_vqa_accuracy(["yes"], [["yes"], ["no"]])


def test_keras_metric_matches_the_string_version(rng):
    answers = ["yes", "no", "red", "blue"]
    logits = rng.normal(size=(40, 4)).astype("float32")
    human = rng.integers(0, 4, size=(40, 10))
    human[:5, 6:] = -2  # fewer annotators on some rows
    human[5:10, 0] = -1  # an answer outside the candidates
    expected = []
    for row_logits, row in zip(logits, human, strict=True):
        strings = [answers[i] if i >= 0 else "other" for i in row if i > -2]
        expected.append(vqa_accuracy(answers[int(np.argmax(row_logits))], strings))
    metric = VQAAccuracy()
    metric.update_state(human[:20], logits[:20])
    metric.update_state(human[20:], logits[20:])
    assert float(metric.result()) == pytest.approx(np.mean(expected), abs=1e-6)


def test_keras_metric_single_annotator_is_accuracy():
    metric = VQAAccuracy()
    metric.update_state(
        np.array([0, 1, 1]), np.array([[2.0, 1.0], [3.0, 0.0], [0, 1.0]])
    )
    assert float(metric.result()) == pytest.approx(2 / 3)
    assert VQAAccuracy.from_config(metric.get_config()).name == "vqa_accuracy"
