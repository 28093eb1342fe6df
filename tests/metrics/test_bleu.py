import math

import pytest

from keras_rnn_kit.metrics import corpus_bleu
from keras_rnn_kit.metrics import exact_match


def test_identical_corpus_scores_100():
    corpus = ["three hundred twenty one", "one thousand ten"]
    assert corpus_bleu(corpus, corpus) == pytest.approx(100.0)


def test_hand_computed_precisions():
    # 1- to 4-gram precisions 5/6, 4/5, 3/4, 2/3, same length (no brevity penalty).
    want = 100 * (5 / 6 * 4 / 5 * 3 / 4 * 2 / 3) ** 0.25
    assert corpus_bleu(["a b c d e f"], ["a b c d e g"]) == pytest.approx(want, 1e-6)


def test_brevity_penalty():
    # All n-grams right, 5 words for 6: BP = exp(1 - 6 / 5).
    want = 100 * math.exp(1 - 6 / 5)
    assert corpus_bleu(["a b c d e"], ["a b c d e f"]) == pytest.approx(want, 1e-6)


def test_chinese_references_use_the_zh_tokenizer():
    # Character-level: 4 of 6 characters, all n-grams right, BP = exp(1 - 6 / 4).
    want = 100 * math.exp(1 - 6 / 4)
    assert corpus_bleu(["我爱机器"], ["我爱机器学习"]) == pytest.approx(want, 1e-6)
    assert corpus_bleu(["我爱机器"], ["我爱机器学习"], tokenize="13a") == 0.0


def test_disjoint_corpus_scores_0():
    assert corpus_bleu(["x y z w"], ["a b c d"]) == 0.0


def test_exact_match():
    hypotheses = ["one hundred", " two ", "three"]
    references = ["one  hundred", "two", "four"]
    assert exact_match(hypotheses, references) == pytest.approx(2 / 3)
    assert exact_match(hypotheses, references, strip=False) == 0.0


@pytest.mark.parametrize("function", [corpus_bleu, exact_match])
def test_mismatched_or_bad_corpora_name_the_argument(function):
    with pytest.raises(ValueError, match="same length"):
        function(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="`hypotheses`"):
        function([], [])
    with pytest.raises(TypeError, match="`references`"):
        function(["a"], "a")
    with pytest.raises(TypeError, match="`hypotheses`"):
        function([1], ["a"])


def test_bad_tokenize_names_the_argument():
    with pytest.raises(ValueError, match="`tokenize`"):
        corpus_bleu(["a"], ["a"], tokenize="words")
