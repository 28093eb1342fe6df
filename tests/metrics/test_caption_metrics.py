"""Tests for keras_rnn_kit/metrics/caption_metrics.py (hand-computed values)."""

import math

import pytest

from keras_rnn_kit.metrics.caption_metrics import caption_bleu
from keras_rnn_kit.metrics.caption_metrics import cider_d
from keras_rnn_kit.metrics.caption_metrics import tokenize_caption


def test_bleu_by_hand():
    # hyp: a red circle on the left (6 tokens); closest reference length 6: BP 1.
    # 1-grams: 5/6 clipped matches; 2-grams: a red, red circle, the left: 3/5;
    # 3-grams: a red circle: 1/4; 4-grams: 0/3.
    scores = caption_bleu(
        ["A red circle on the left."],
        [["a red circle to the left", "the red circle"]],
    )
    assert scores["bleu_1"] == pytest.approx(5 / 6)
    assert scores["bleu_2"] == pytest.approx(math.sqrt(5 / 6 * 3 / 5))
    assert scores["bleu_3"] == pytest.approx((5 / 6 * 3 / 5 * 1 / 4) ** (1 / 3))
    assert scores["bleu_4"] == 0.0


def test_bleu_brevity_penalty_uses_the_closest_reference():
    # 2 tokens, references of 6 and 3 tokens: r = 3, BP = exp(1 - 3/2).
    scores = caption_bleu(
        ["red circle"], [["a red circle to the left", "the red circle"]], max_order=1
    )
    assert scores == {"bleu_1": pytest.approx(math.exp(1 - 3 / 2))}


def test_cider_d_by_hand():
    # N = 2 images, L = log 2. Image A: hyp "red red", ref "red".
    #   n=1: hyp {red: 2L}, ref {red: L}: min(2L, L) L / (2L * L) = 0.5.
    #   n=2: hyp {red red: L}, ref {}: 0. Bigram lengths 1 vs 0: exp(-1/72).
    #   score = 10 * 0.5 * exp(-1/72) / 4.
    # Image B: hyp = ref = "blue": n=1 similarity 1, others 0: 10 / 4.
    corpus, per_image = cider_d(["red red", "blue"], [["red"], ["blue"]])
    expected_a = 10 * 0.5 * math.exp(-1 / 72) / 4
    assert per_image == [pytest.approx(expected_a), pytest.approx(2.5)]
    assert corpus == pytest.approx((expected_a + 2.5) / 2)


def test_cider_d_ignores_ngrams_every_image_shares_and_averages_references():
    # "a" is in every image's references: idf log(2) - log(2) = 0.
    corpus, per_image = cider_d(
        ["a cat", "a dog"], [["a cat", "a dog"], ["a dog", "a cow"]]
    )
    # Image A vs "a cat": unigram cat (weight L) matches, bigram "a cat" matches:
    # n=1 and n=2 give 1, so 10 * 2/4 = 5; vs "a dog": every n-gram of it is
    # in both images' references, so its vector is zero: 0. Mean: 2.5.
    assert per_image[0] == pytest.approx(2.5)
    # Image B: "dog" (df 2) and "a dog" (df 2) carry no weight: 0.
    assert per_image[1] == pytest.approx(0.0)
    assert corpus == pytest.approx(1.25)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="same length"):
        cider_d(["a"], [["a"], ["b"]])
    with pytest.raises(ValueError, match=r"`references\[0\]`"):
        caption_bleu(["a"], ["a"])
    with pytest.raises(ValueError, match="`max_order`"):
        caption_bleu(["a"], [["a"]], max_order=5)
    with pytest.raises(TypeError, match="captions must be str"):
        tokenize_caption(None)
