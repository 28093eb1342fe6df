"""Training `VQAModel` on easy-VQA (or any `VQASplit`) end to end.

The easy-VQA recipe is one set of defaults (`EPOCHS`, `BATCH_SIZE`,
`LEARNING_RATE`, `IMAGE_SIZE`, `FULL_CONFIG`) that `VQARecipe`
(`keras_rnn_kit.models.vqa.vqa_recipe`: `rnnkit train vqa`, `rnnkit demo`'s
`train_easy_vqa`, the example) builds with.
They were chosen on 400 training images held out from the training split, never
on the test split: `benchmarks/results/vqa_recipe.md`.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from keras_rnn_kit.data.easy_vqa_dataset import VQASplit
from keras_rnn_kit.models.vqa.vqa_backbone import VQABackbone
from keras_rnn_kit.models.vqa.vqa_model import VQAModel
from keras_rnn_kit.models.vqa.vqa_model import check_answer_ids
from keras_rnn_kit.models.vqa.vqa_preprocessor import VQAPreprocessor
from keras_rnn_kit.utils.validation import check_positive_int

# The recipe's run: 10 epochs of batch 64 with Adam, its learning rate
# cosine-decayed from 2e-3 to 0 over the run. A constant 1e-3 over 6 epochs
# (the earlier default) ended anywhere from 0.94 to 0.9995 depending on the seed.
EPOCHS = 10
BATCH_SIZE = 64
LEARNING_RATE = 2e-3
# easy-VQA's 64x64 scenes (one coloured shape each) are read at 32x32: the CNN
# does a quarter of the work, which pays for the longer run.
IMAGE_SIZE = 32

# Model sizes.
FULL_CONFIG = {
    "embedding_dim": 32,
    "hidden_dim": 64,
    "fusion_dim": 64,
    "pooling": "max",
}
QUICK_CONFIG = {
    "embedding_dim": 16,
    "hidden_dim": 32,
    "fusion_dim": 32,
    "pooling": "max",
}


def preprocessed_dataset(
    preprocessor: VQAPreprocessor,
    answers: list[str],
    data: VQASplit,
    batch_size: int,
    shuffle: bool,
    seed: int = 0,
):
    """A `tf.data` pipeline of `(backbone inputs, answer id)`.

    Questions are tokenized once, up front (a question longer than the
    preprocessor's `sequence_length` raises here); each image is stored once and
    gathered per batch. Answer ids outside `answers` raise.

    Args:
        preprocessor: the model's `VQAPreprocessor`.
        answers: the model's answers (`VQAModel.answers`), which the split's
            answer ids index.
        data: a `VQASplit`.
        batch_size: int > 0.
        shuffle: reshuffle every epoch.
        seed: shuffling seed.

    Returns:
        A `tf.data.Dataset`.
    """
    check_positive_int("batch_size", batch_size)
    answer_ids = check_answer_ids(data.answer_ids, answers)
    text = preprocessor.text_preprocessor(data.questions)
    images = tf.constant(data.images)
    dataset = tf.data.Dataset.from_tensor_slices(
        (text["token_ids"], text["padding_mask"], data.image_index, answer_ids)
    )
    if shuffle:
        dataset = dataset.shuffle(len(data), seed=seed, reshuffle_each_iteration=True)

    def to_inputs(token_ids, padding_mask, image_index, answer_id):
        batch_images = preprocessor.preprocess_images(
            tf.gather(images, image_index)
        )
        inputs = {
            "images": batch_images,
            "token_ids": token_ids,
            "padding_mask": padding_mask,
        }
        return inputs, answer_id

    return (
        dataset.batch(batch_size)
        .map(to_inputs, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )


def recipe_learning_rate(
    examples: int, epochs: int = EPOCHS, batch_size: int = BATCH_SIZE
) -> keras.optimizers.schedules.LearningRateSchedule:
    """The recipe's learning rate: `LEARNING_RATE` cosine-decayed to 0 over
    `epochs` passes over `examples` at `batch_size`.

    Example:

    >>> schedule = recipe_learning_rate(640, epochs=2, batch_size=64)
    >>> [round(float(schedule(step)), 6) for step in (0, 10, 20)]
    [0.002, 0.001, 0.0]
    """
    steps = check_positive_int("epochs", epochs) * math.ceil(
        check_positive_int("examples", examples)
        / check_positive_int("batch_size", batch_size)
    )
    return keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps)


def build_vqa_model(
    train: VQASplit,
    quick: bool = False,
    image_size: int | None = None,
    epochs: int = EPOCHS,
    batch_size: int = BATCH_SIZE,
    preprocessor: VQAPreprocessor | None = None,
    **overrides,
) -> VQAModel:
    """Builds an untrained `VQAModel` whose vocabularies come from `train`,
    compiled with Adam at the recipe's learning rate (`recipe_learning_rate`).

    Args:
        train: the training `VQASplit` (question vocabulary, answers, image size).
        quick: use the tiny `QUICK_CONFIG` instead of `FULL_CONFIG`.
        image_size: side of the model's images; default: that of `train`
            (ignored with `preprocessor`, which has its own).
        epochs: int > 0, the run the learning rate decays over.
        batch_size: int > 0, the run's (global) batch size.
        preprocessor: the `VQAPreprocessor` to share; default: built from
            `train`'s questions at `image_size`.
        **overrides: `VQABackbone` arguments that replace the config's.

    Returns:
        A compiled `VQAModel` with a `VQAPreprocessor`.
    """
    if preprocessor is None:
        preprocessor = VQAPreprocessor.from_questions(
            train.questions, image_size or int(train.images.shape[1])
        )
    image_size = preprocessor.image_size
    config = {**(QUICK_CONFIG if quick else FULL_CONFIG), **overrides}
    backbone = VQABackbone(
        preprocessor.vocabulary_size, image_size=image_size, **config
    )
    model = VQAModel(
        backbone,
        train.answer_vocabulary,
        preprocessor=preprocessor,
        hidden_dim=config["fusion_dim"],
        dropout=0.0 if quick else 0.2,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(
            recipe_learning_rate(len(train), epochs, batch_size)
        )
    )
    return model


def answer_accuracy(model: VQAModel, data: VQASplit, batch_size: int = 256) -> float:
    """Exact-match accuracy of `model.answer` on a single-answer split."""
    predicted, _ = model.answer(
        data.question_images(), data.questions, batch_size=batch_size
    )
    return float(
        np.mean([p == a for p, a in zip(predicted, data.answers, strict=True)])
    )
