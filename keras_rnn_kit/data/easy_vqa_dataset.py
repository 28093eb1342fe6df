"""The easy-VQA data set (Zhou 2020) as numpy arrays and `tf.data` pipelines.

easy-VQA ships inside the `easy-vqa` PyPI package (no download): 4,000 train and
1,000 test 64x64 RGB images of one coloured shape each, 38,575 / 9,673 questions
and 13 one-word answers. Install it with `pip install easy-vqa`.
"""

import dataclasses
import functools

import numpy as np

from keras_rnn_kit.data.image_io import load_image
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_positive_int

SPLITS = ("train", "test")


def _easy_vqa():
    try:
        import easy_vqa
    except ImportError as error:
        raise ImportError(
            "The easy-VQA data set needs the `easy-vqa` package: pip install easy-vqa"
        ) from error
    return easy_vqa


@dataclasses.dataclass(frozen=True)
class VQASplit:
    """One split of a single-answer VQA data set, held in memory.

    Attributes:
        images: `(num_images, height, width, 3)` `uint8` array.
        image_ids: `(num_images,)` int array, the data set's id of each image.
        questions: list of `num_questions` question strings.
        answers: list of `num_questions` answer strings.
        answer_ids: `(num_questions,)` int array, index of each answer in
            `answer_vocabulary`.
        image_index: `(num_questions,)` int array, row of `images` each question
            is about.
        answer_vocabulary: list of the candidate answers.
    """

    images: np.ndarray
    image_ids: np.ndarray
    questions: list
    answers: list
    answer_ids: np.ndarray
    image_index: np.ndarray
    answer_vocabulary: list

    def __len__(self) -> int:
        return len(self.questions)

    def question_images(self) -> np.ndarray:
        """Returns `(num_questions, height, width, 3)`: the image of each question."""
        return self.images[self.image_index]


def easy_vqa_answers() -> list[str]:
    """Returns easy-VQA's 13 answers in the package's fixed order.

    Example:

    >>> easy_vqa_answers()[:3]
    ['circle', 'green', 'red']
    """
    return list(_easy_vqa().get_answers())


@functools.lru_cache(maxsize=4)
def _load_split(split: str, max_images: int | None) -> VQASplit:
    easy_vqa = _easy_vqa()
    if split == "train":
        texts, answers, question_image_ids = easy_vqa.get_train_questions()
        paths = easy_vqa.get_train_image_paths()
    else:
        texts, answers, question_image_ids = easy_vqa.get_test_questions()
        paths = easy_vqa.get_test_image_paths()
    image_ids = np.array(sorted(paths), dtype=np.int64)
    if max_images is not None:
        image_ids = image_ids[:max_images]
    row_of = {int(image_id): row for row, image_id in enumerate(image_ids)}
    keep = [i for i, image_id in enumerate(question_image_ids) if image_id in row_of]
    vocabulary = easy_vqa_answers()
    answer_to_id = {answer: i for i, answer in enumerate(vocabulary)}
    images = np.stack([load_image(paths[int(image_id)]) for image_id in image_ids])
    return VQASplit(
        images=images,
        image_ids=image_ids,
        questions=[texts[i] for i in keep],
        answers=[answers[i] for i in keep],
        answer_ids=np.array([answer_to_id[answers[i]] for i in keep], np.int64),
        image_index=np.array([row_of[question_image_ids[i]] for i in keep], np.int64),
        answer_vocabulary=vocabulary,
    )


def load_easy_vqa(split: str = "train", max_images: int | None = None) -> VQASplit:
    """Loads one easy-VQA split into memory (cached per process).

    Args:
        split: `"train"` (4,000 images) or `"test"` (1,000 images, the official
            evaluation split).
        max_images: keep only the first `max_images` images (by id) and their
            questions; `None` keeps all. For quick experiments and tests.

    Returns:
        A `VQASplit`. The arrays are shared between calls: do not modify them.

    Example:

    >>> data = load_easy_vqa("test", max_images=2)
    >>> data.images.shape, data.answer_vocabulary[data.answer_ids[0]] == data.answers[0]
    ((2, 64, 64, 3), True)
    """
    check_choice("split", split, SPLITS)
    if max_images is not None:
        check_positive_int("max_images", max_images)
    return _load_split(split, max_images)


def vqa_dataset(
    data: VQASplit,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int = 0,
    repeat: bool = False,
):
    """Builds a `tf.data` pipeline of `(features, answer_id)` batches.

    Each image is stored once; questions look their image up by index inside the
    pipeline, so memory stays at one copy of the images.

    Args:
        data: a `VQASplit` (e.g. from `load_easy_vqa` or the scene generator).
        batch_size: int > 0.
        shuffle: shuffle the questions each epoch (seeded by `seed`).
        seed: int, shuffling seed.
        repeat: repeat forever (for step-based training).

    Returns:
        A `tf.data.Dataset` of `({"images": (batch, h, w, 3) uint8,
        "questions": (batch,) string}, (batch,) int64 answer ids)`.

    Example:

    >>> features, answers = next(iter(vqa_dataset(load_easy_vqa("test", 2), 4)))
    >>> features["images"].shape, features["questions"].dtype.name, answers.shape
    (TensorShape([4, 64, 64, 3]), 'string', TensorShape([4]))
    """
    import tensorflow as tf

    check_positive_int("batch_size", batch_size)
    images = tf.constant(data.images)
    dataset = tf.data.Dataset.from_tensor_slices(
        (
            np.asarray(data.questions, dtype=object),
            data.image_index,
            data.answer_ids,
        )
    )
    if shuffle:
        dataset = dataset.shuffle(len(data), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.batch(batch_size)

    def gather(questions, image_index, answer_ids):
        return (
            {"images": tf.gather(images, image_index), "questions": questions},
            answer_ids,
        )

    return dataset.map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(
        tf.data.AUTOTUNE
    )
