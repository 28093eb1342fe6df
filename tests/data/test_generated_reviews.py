import re

import pytest

from keras_rnn_kit.data import generate_reviews
from keras_rnn_kit.data.generated_reviews import NEGATIVE
from keras_rnn_kit.data.generated_reviews import POSITIVE


def test_reviews_are_balanced_seeded_and_labelled_by_negated_polarity():
    texts, labels = generate_reviews(300, seed=3)
    assert len(texts) == 300 and labels.sum() == 150
    negated = 0
    for text, label in zip(texts, labels, strict=True):
        words = re.findall(r"\w+", text.lower())
        (word,) = [w for w in words if w in POSITIVE + NEGATIVE]  # one opinion each
        flipped = "not" in words
        negated += flipped
        # "not bad" reads positive: the adjective's polarity, flipped by "not".
        assert bool(label) == ((word in POSITIVE) != flipped), text
    assert 0 < negated < 300
    assert generate_reviews(10, seed=3)[0] == generate_reviews(10, seed=3)[0]
    assert generate_reviews(10, seed=3)[0] != generate_reviews(10, seed=4)[0]


def test_bad_count_names_the_argument():
    with pytest.raises(ValueError, match="`num_reviews` must be a positive integer"):
        generate_reviews(0)
