"""A visual-dialog view of single-answer VQA data (easy-VQA, generated scenes).

Each image's questions, in the data set's fixed order, become the rounds of one
dialog: round `r` asks question `r`, its history is the previous rounds'
"question answer" strings, and the candidate answers are the whole answer
vocabulary (the ground truth is the answer id). This gives a VisDial-shaped
task (Das et al. 2017) with no download.
"""

import collections
import dataclasses

import numpy as np

from keras_rnn_kit.data.easy_vqa_dataset import VQASplit
from keras_rnn_kit.utils.validation import check_positive_int


@dataclasses.dataclass(frozen=True)
class DialogExamples:
    """One example per dialog round.

    Attributes:
        images: `(num_images, height, width, 3)` `uint8` array.
        image_index: `(num_examples,)` row of `images` each round is about.
        questions: list of question strings.
        histories: `(num_examples, max_history)` array of str; the previous
            rounds as "question answer", oldest first, `""` where a dialog has
            fewer previous rounds.
        answer_ids: `(num_examples,)` int, index of the answer in `candidates`.
        candidates: list of candidate answer strings (shared by all rounds).
        rounds: `(num_examples,)` int, the 0-based round number.
    """

    images: np.ndarray
    image_index: np.ndarray
    questions: list
    histories: np.ndarray
    answer_ids: np.ndarray
    candidates: list
    rounds: np.ndarray

    def __len__(self) -> int:
        return len(self.questions)


def dialog_view(data: VQASplit, max_rounds: int = 10) -> DialogExamples:
    """Turns a `VQASplit` into dialog rounds (see the module docstring).

    Args:
        data: a `VQASplit` (e.g. `load_easy_vqa(...)` or `scenes_to_vqa_split`).
        max_rounds: int > 0, rounds kept per image (the first `max_rounds`
            questions); the history holds up to `max_rounds - 1` rounds.

    Returns:
        A `DialogExamples`.

    Example:

    >>> from keras_rnn_kit.data.easy_vqa_dataset import load_easy_vqa
    >>> view = dialog_view(load_easy_vqa("test", max_images=1), max_rounds=3)
    >>> view.histories.shape, view.histories[1, 0] == view.questions[0] + " " + (
    ...     view.candidates[view.answer_ids[0]])
    ((3, 2), True)
    """
    check_positive_int("max_rounds", max_rounds)
    by_image = collections.defaultdict(list)
    for row, image in enumerate(data.image_index):
        by_image[int(image)].append(row)
    width = max(1, max_rounds - 1)
    image_index, questions, histories, answer_ids, rounds = [], [], [], [], []
    for image in sorted(by_image):
        previous = []
        for round_number, row in enumerate(by_image[image][:max_rounds]):
            image_index.append(image)
            questions.append(data.questions[row])
            histories.append(previous + [""] * (width - len(previous)))
            answer_ids.append(int(data.answer_ids[row]))
            rounds.append(round_number)
            previous = previous + [f"{data.questions[row]} {data.answers[row]}"]
    return DialogExamples(
        images=data.images,
        image_index=np.array(image_index, np.int64),
        questions=questions,
        histories=np.array(histories, dtype=object).reshape(len(questions), width),
        answer_ids=np.array(answer_ids, np.int64),
        candidates=list(data.answer_vocabulary),
        rounds=np.array(rounds, np.int64),
    )
