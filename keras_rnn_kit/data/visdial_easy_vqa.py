"""A visual-dialog view of single-answer VQA data (easy-VQA, generated scenes).

Each image's questions, in the data set's fixed order, become the rounds of one
dialog: round `r` asks question `r`, its history is the previous rounds'
"question answer" strings, and the candidate answers are the whole answer
vocabulary (the ground truth is the answer id). This gives a VisDial-shaped
task (Das et al. 2017) with no download.

`dialog_view` builds it from a `VQASplit` (easy-VQA, whose questions are all
answerable from the image alone); `scene_dialog_view` from the kit's generated
scenes, with the caption as the opening history round (as in VisDial) and the
follow-up rounds that only the history can answer marked `history_dependent`.
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
        history_dependent: `(num_examples,)` bool, rounds whose answer depends on
            the history (see `SceneGenerator`); all False for `dialog_view`.
    """

    images: np.ndarray
    image_index: np.ndarray
    questions: list
    histories: np.ndarray
    answer_ids: np.ndarray
    candidates: list
    rounds: np.ndarray
    history_dependent: np.ndarray

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
    dialogs = [
        (
            image,
            [],
            [(data.questions[r], data.answers[r], False) for r in by_image[image]],
        )
        for image in sorted(by_image)
    ]
    return _dialog_examples(data.images, dialogs, data.answer_vocabulary, max_rounds)


def scene_dialog_view(
    scenes, answer_vocabulary, max_rounds: int = 10, caption: bool = True
) -> DialogExamples:
    """Turns generated scenes into dialog rounds, follow-ups included.

    Args:
        scenes: list of `Scene` (from `SceneGenerator.generate`).
        answer_vocabulary: the candidates, e.g. `SceneGenerator.answer_vocabulary()`;
            an answer outside it raises `ValueError`.
        max_rounds: int > 0, rounds kept per scene.
        caption: whether the caption opens every history (VisDial's round 0).

    Returns:
        A `DialogExamples` whose `history_dependent` marks the follow-ups.

    Example:

    >>> from keras_rnn_kit.data.scene_generator import SceneGenerator
    >>> generator = SceneGenerator(image_size=32, seed=0)
    >>> view = scene_dialog_view(generator.generate(2), generator.answer_vocabulary())
    >>> view.histories[0, 0] == generator.scene(0).caption
    True
    >>> [view.questions[i] for i in view.history_dependent.nonzero()[0]]
    ['what about the square?', 'what about the triangle?']
    """
    check_positive_int("max_rounds", max_rounds)
    if not scenes:
        raise ValueError("`scenes` must hold at least one scene, got none.")
    dialogs = [
        (
            row,
            [scene.caption] if caption else [],
            list(
                zip(
                    scene.questions, scene.answers, scene.history_dependent, strict=True
                )
            ),
        )
        for row, scene in enumerate(scenes)
    ]
    images = np.stack([scene.image for scene in scenes])
    return _dialog_examples(images, dialogs, answer_vocabulary, max_rounds)


def _dialog_examples(images, dialogs, candidates, max_rounds) -> DialogExamples:
    """Builds the rounds of `dialogs`, a list of `(image row, opening history,
    [(question, answer, history_dependent), ...])`."""
    answer_to_id = {answer: i for i, answer in enumerate(candidates)}
    width = max(
        1, max((len(opening) for _, opening, _ in dialogs), default=0) + max_rounds - 1
    )
    image_index, questions, histories, answer_ids, rounds, dependent = (
        [],
        [],
        [],
        [],
        [],
        [],
    )
    for image, opening, qa in dialogs:
        previous = list(opening)
        for round_number, (question, answer, depends) in enumerate(qa[:max_rounds]):
            if answer not in answer_to_id:
                raise ValueError(
                    "`answer_vocabulary` must contain every answer, missing "
                    f"{answer!r}."
                )
            image_index.append(image)
            questions.append(question)
            histories.append(previous + [""] * (width - len(previous)))
            answer_ids.append(answer_to_id[answer])
            rounds.append(round_number)
            dependent.append(depends)
            previous = previous + [f"{question} {answer}"]
    return DialogExamples(
        images=images,
        image_index=np.array(image_index, np.int64),
        questions=questions,
        histories=np.array(histories, dtype=object).reshape(len(questions), width),
        answer_ids=np.array(answer_ids, np.int64),
        candidates=list(candidates),
        rounds=np.array(rounds, np.int64),
        history_dependent=np.array(dependent, bool),
    )
