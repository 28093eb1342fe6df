"""VQA accuracy (Antol et al. 2015) with the official answer normalisation.

`normalize_vqa_answer` and `vqa_accuracy` follow the official evaluation script
(github.com/GT-Vision-Lab/VQA, `vqaEval.py`): an answer scores
`min(#annotators who gave it / 3, 1)`, averaged over the ten leave-one-annotator-out
subsets of the ten human answers. `VQAAccuracy` is the same score as an in-graph
Keras metric over answer ids, for `compile(metrics=...)`.
"""

import re

import keras
from keras import ops

from keras_rnn_kit.utils.validation import check_rank

# The official script's tables. Contractions: the subset of its table whose
# apostrophe-less form is a common VQA answer.
PUNCTUATION = (
    ";", "/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">",
    "<", "@", "`", ",", "?", "!",
)  # fmt: skip
NUMBER_WORDS = {
    "none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
}  # fmt: skip
ARTICLES = ("a", "an", "the")
CONTRACTIONS = {
    "arent": "aren't", "cant": "can't", "couldnt": "couldn't", "didnt": "didn't",
    "doesnt": "doesn't", "dont": "don't", "hasnt": "hasn't", "havent": "haven't",
    "isnt": "isn't", "im": "i'm", "ive": "i've", "its": "it's", "shouldnt":
    "shouldn't", "thats": "that's", "theres": "there's", "theyre": "they're",
    "wasnt": "wasn't", "werent": "weren't", "whats": "what's", "wont": "won't",
    "wouldnt": "wouldn't", "youre": "you're",
}  # fmt: skip
_COMMA_STRIP = re.compile(r"(\d)(,)(\d)")
_PERIOD_STRIP = re.compile(r"(?!<=\d)(\.)(?!\d)")


def normalize_vqa_answer(answer: str) -> str:
    """Normalises an answer as the official VQA evaluation does.

    Steps: newlines/tabs become spaces; punctuation is deleted when it touches a
    space (or the text has a digit-comma-digit) and otherwise becomes a space; a
    period not inside a number is deleted; lower-case; number words become digits
    ("two" -> "2"); articles (a, an, the) are dropped; common contractions get
    their apostrophe back ("dont" -> "don't").

    Args:
        answer: the answer string.

    Returns:
        The normalised answer.

    Example:

    >>> normalize_vqa_answer("Two dogs!")
    '2 dogs'
    >>> normalize_vqa_answer("the Red one.")
    'red 1'
    """
    if not isinstance(answer, str):
        raise TypeError(
            f"`answer` must be a str, got {answer!r} ({type(answer).__name__})."
        )
    text = answer.replace("\n", " ").replace("\t", " ").strip()
    out = text
    for mark in PUNCTUATION:
        if f"{mark} " in text or f" {mark}" in text or _COMMA_STRIP.search(text):
            out = out.replace(mark, "")
        else:
            out = out.replace(mark, " ")
    out = _PERIOD_STRIP.sub("", out)
    words = [NUMBER_WORDS.get(word, word) for word in out.lower().split()]
    words = [CONTRACTIONS.get(word, word) for word in words if word not in ARTICLES]
    return " ".join(words)


def vqa_accuracy(prediction: str, human_answers: list[str]) -> float:
    """Scores one predicted answer against the human answers to one question.

    With `n` human answers, for each annotator `j` the prediction scores
    `min(#other annotators who gave it / 3, 1)`; the result is the mean over
    `j`. Both sides are normalised with `normalize_vqa_answer`. With a single
    human answer (single-answer data sets) the score is plain exact match.

    Args:
        prediction: the model's answer.
        human_answers: list of at least one human answer (VQA has ten).

    Returns:
        Float in `[0, 1]`.

    Example:

    >>> vqa_accuracy("two", ["2"] * 3 + ["3"] * 7)
    0.9
    """
    if isinstance(human_answers, str) or len(human_answers) == 0:
        raise ValueError(
            "`human_answers` must be a non-empty list of strings, got "
            f"{human_answers!r}."
        )
    predicted = normalize_vqa_answer(prediction)
    answers = [normalize_vqa_answer(a) for a in human_answers]
    if len(answers) == 1:
        return float(predicted == answers[0])
    scores = []
    for left_out in range(len(answers)):
        others = answers[:left_out] + answers[left_out + 1 :]
        scores.append(min(1.0, sum(a == predicted for a in others) / 3.0))
    return sum(scores) / len(scores)


def mean_vqa_accuracy(predictions: list[str], human_answers: list[list[str]]) -> float:
    """Mean of `vqa_accuracy` over questions (the number the VQA papers report).

    Args:
        predictions: one answer per question.
        human_answers: one list of human answers per question.

    Returns:
        Float in `[0, 1]`.

    Example:

    >>> mean_vqa_accuracy(["yes", "no"], [["yes"], ["yes"]])
    0.5
    """
    if len(predictions) != len(human_answers) or not predictions:
        raise ValueError(
            "`predictions` and `human_answers` must be non-empty and of the same "
            f"length, got {len(predictions)} and {len(human_answers)}."
        )
    scores = [
        vqa_accuracy(p, h) for p, h in zip(predictions, human_answers, strict=True)
    ]
    return sum(scores) / len(scores)


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class VQAAccuracy(keras.metrics.Mean):
    """VQA accuracy of argmax predictions against several annotator answer ids.

    The closed form of the leave-one-out average: with `n` valid annotators of
    whom `m` gave the predicted answer, the score is
    `((n - m) min(1, m / 3) + m min(1, (m - 1) / 3)) / n`, and exact match when
    `n == 1`. Answers that are not among the model's candidates are given as
    `-1` (they count as annotators who disagree); annotator slots that do not
    exist are given as `-2` (they are ignored).

    Args:
        name: metric name.
        dtype: metric dtype.

    Call arguments (of `update_state`):
        y_true: `(batch, annotators)` int answer ids (or `(batch,)` for one
            annotator).
        y_pred: `(batch, num_answers)` scores or probabilities.
        sample_weight: optional `(batch,)` weights.

    Example:

    >>> import numpy as np
    >>> metric = VQAAccuracy()
    >>> metric.update_state(np.array([[0, 0, 1, 1]]), np.array([[0.9, 0.1]]))
    >>> float(metric.result())  # m=2 of n=4: (2 * 2/3 + 2 * 1/3) / 4
    0.5

    Reference:
        Antol et al., "VQA: Visual Question Answering", ICCV 2015.
    """

    def __init__(self, name="vqa_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.convert_to_tensor(y_true)
        y_pred = ops.convert_to_tensor(y_pred)
        check_rank("y_pred", y_pred.shape, 2, "(batch, num_answers)")
        if len(y_true.shape) == 1:
            y_true = y_true[:, None]
        check_rank("y_true", y_true.shape, 2, "(batch, annotators)")
        predicted = ops.cast(ops.argmax(y_pred, axis=-1), y_true.dtype)[:, None]
        valid = ops.cast(y_true > -2, "float32")
        n = ops.sum(valid, axis=-1)
        m = ops.sum(ops.cast(y_true == predicted, "float32") * valid, axis=-1)
        # ((n - m) min(1, m/3) + m min(1, (m-1)/3)) / n, exact match when n == 1.
        leave_one_out = (
            (n - m) * ops.minimum(1.0, m / 3.0)
            + m * ops.minimum(1.0, ops.maximum(m - 1.0, 0.0) / 3.0)
        ) / ops.maximum(n, 1.0)
        score = ops.where(n <= 1.0, m, leave_one_out)
        return super().update_state(score, sample_weight=sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}
