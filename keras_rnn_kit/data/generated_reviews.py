"""A small generated review set: offline sentiment data that needs no download.

Each review is one to three sentences. Exactly one sentence carries the opinion
("the pasta was really good", "the service was not bad at all"); the others are
neutral filler ("we went there on a tuesday"), placed before or after it, so a
model has to find the opinion wherever it is and read the negation in front of it.
The label is 1 (positive) or 0 (negative); the classes are balanced.
"""

import numpy as np

from keras_rnn_kit.utils.validation import check_positive_int

SUBJECTS = (
    "food", "pasta", "chicken", "soup", "service", "staff", "movie", "plot",
    "acting", "music", "ending", "price", "room", "view", "coffee", "dessert",
)
POSITIVE = (
    "good", "great", "excellent", "delicious", "wonderful", "lovely", "superb",
    "fantastic", "friendly", "charming",
)
NEGATIVE = (
    "bad", "awful", "terrible", "bland", "boring", "rude", "horrible", "dull",
    "disappointing", "mediocre",
)
INTENSIFIERS = ("", "really", "very", "truly", "quite", "so")
FILLERS = (
    "we went there on a tuesday",
    "the chicken crossed the road",
    "my friend ordered first",
    "it was raining outside",
    "we sat near the window",
    "the place opened last year",
    "i watched it with my sister",
    "the theater was half full",
)


def generate_reviews(num_reviews: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Returns `num_reviews` generated reviews and their 0/1 labels.

    Args:
        num_reviews: int > 0, how many reviews.
        seed: int, the random seed (same seed, same reviews).

    Returns:
        `(texts, labels)`: a list of str and an int32 array `(num_reviews,)`.

    Example:

    >>> from keras_rnn_kit.data import generate_reviews
    >>> texts, labels = generate_reviews(4, seed=1)
    >>> len(texts), labels.shape
    (4, (4,))
    """
    check_positive_int("num_reviews", num_reviews)
    rng = np.random.default_rng(seed)
    labels = np.arange(num_reviews, dtype="int32") % 2
    rng.shuffle(labels)
    texts = []
    for label in labels:
        negated = rng.random() < 0.3
        # A negated word of the opposite polarity: "not bad" reads positive.
        positive_word = bool(label) != negated
        adjective = rng.choice(POSITIVE if positive_word else NEGATIVE)
        words = ["the", rng.choice(SUBJECTS), "was"]
        words += ["not"] if negated else [rng.choice(INTENSIFIERS)]
        words += [adjective] + (["at", "all"] if negated and rng.random() < 0.5 else [])
        sentences = [" ".join(w for w in words if w)]
        for _ in range(rng.integers(0, 3)):
            filler = str(rng.choice(FILLERS))
            position = rng.integers(0, len(sentences) + 1)
            sentences.insert(position, filler)
        texts.append(". ".join(s.capitalize() for s in sentences) + ".")
    return texts, labels
