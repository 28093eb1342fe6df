"""Training `VisualDialogModel` on the easy-VQA and generated-scene dialog views.

Both trainers score the held-out rounds with the VisDial retrieval metrics and
run the history ablation: the same rounds again with every history round blanked.
On easy-VQA every question is answerable from the image alone, so the ablation
changes little; the scene dialogs hold follow-ups ("what about the square?")
that only the history can answer, scored separately as `history_dependent`.
"""

import dataclasses
import time

import numpy as np
import tensorflow as tf

from keras_rnn_kit.data.easy_vqa_dataset import load_easy_vqa
from keras_rnn_kit.data.image_io import preprocess_image_batch
from keras_rnn_kit.data.scene_generator import SceneGenerator
from keras_rnn_kit.data.visdial_easy_vqa import DialogExamples
from keras_rnn_kit.data.visdial_easy_vqa import dialog_view
from keras_rnn_kit.data.visdial_easy_vqa import scene_dialog_view
from keras_rnn_kit.metrics.retrieval import retrieval_metrics
from keras_rnn_kit.models.image_encoder import ImageEncoder
from keras_rnn_kit.models.visual_dialog.visual_dialog_backbone import (
    VisualDialogBackbone,
)
from keras_rnn_kit.models.visual_dialog.visual_dialog_model import VisualDialogModel
from keras_rnn_kit.models.visual_dialog.visual_dialog_preprocessor import (
    VisualDialogPreprocessor,
)
from keras_rnn_kit.utils.validation import check_positive_int


def dialog_dataset(
    preprocessor: VisualDialogPreprocessor,
    examples: DialogExamples,
    batch_size,
    shuffle,
    seed=0,
):
    """`tf.data` of `(inputs, ground-truth index)` for a model with
    `preprocessor`; text is tokenized once.

    Raises:
        ValueError: an answer id outside the candidates, or text longer than
            the preprocessor allows (with `overflow="error"`).
    """
    check_positive_int("batch_size", batch_size)
    count = len(examples.candidates)
    bad = examples.answer_ids[
        (examples.answer_ids < 0) | (examples.answer_ids >= count)
    ]
    if bad.size:
        raise ValueError(
            f"`answer_ids` must lie in [0, {count}) (the candidates), got "
            f"{bad[:5].tolist()}."
        )
    pre = preprocessor
    question = pre.question_text(examples.questions)
    history = pre.encode_nested(
        pre.history_text, tf.constant(examples.histories.astype(str))
    )
    answers = pre.answer_text(examples.candidates)
    images = tf.constant(examples.images)
    dataset = tf.data.Dataset.from_tensor_slices(
        (
            question["token_ids"],
            question["padding_mask"],
            history["token_ids"],
            history["padding_mask"],
            examples.image_index,
            examples.answer_ids,
        )
    )
    if shuffle:
        dataset = dataset.shuffle(
            len(examples), seed=seed, reshuffle_each_iteration=True
        )

    def to_inputs(q_ids, q_mask, h_ids, h_mask, image_index, answer_id):
        batch = tf.shape(q_ids)[0]
        inputs = {
            "images": preprocess_image_batch(
                tf.gather(images, image_index), pre.image_size
            ),
            "token_ids": q_ids,
            "padding_mask": q_mask,
            "history_token_ids": h_ids,
            "history_padding_mask": h_mask,
            "candidate_token_ids": tf.tile(answers["token_ids"][None], [batch, 1, 1]),
            "candidate_padding_mask": tf.tile(
                answers["padding_mask"][None], [batch, 1, 1]
            ),
        }
        return inputs, answer_id

    return (
        dataset.batch(batch_size)
        .map(to_inputs, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )


def train_easy_vqa_dialog(
    quick: bool = False,
    encoder: str = "hre",
    epochs: int | None = None,
    max_images: int | None = None,
    max_rounds: int = 6,
    seed: int = 0,
    verbose: int = 0,
):
    """Trains a Visual Dialog model on easy-VQA dialogs; scores the test split.

    Args:
        quick: smoke run (100 train / 50 test images, 1 epoch, tiny model).
        encoder: `"hre"` or `"late_fusion"`.
        epochs: default 1 (quick) or 6.
        max_images: images per split (`None`: all; test gets a quarter).
        max_rounds: rounds per dialog.
        seed: weight and shuffle seed.
        verbose: Keras `fit` verbosity.

    Returns:
        `(model, results)`, `results` as `score_dialogs` returns them plus
        `train_seconds` and `epochs`.
    """
    import keras

    keras.utils.set_random_seed(seed)
    epochs = check_positive_int("epochs", epochs or (1 if quick else 6))
    train_cap = max_images or (100 if quick else None)
    test_cap = (train_cap // 4 or 1) if train_cap else None
    train = dialog_view(load_easy_vqa("train", train_cap), max_rounds)
    test = dialog_view(load_easy_vqa("test", test_cap), max_rounds)
    return _fit_and_score(
        train, test, encoder, 64, 16 if quick else 64, epochs, seed, verbose
    )


def train_scene_dialog(
    quick: bool = False,
    encoder: str = "hre",
    epochs: int | None = None,
    num_scenes: int | None = None,
    image_size: int = 32,
    seed: int = 0,
    verbose: int = 0,
):
    """Trains a Visual Dialog model on generated-scene dialogs (`SceneGenerator`).

    The histories open with the caption; a quarter as many scenes as
    `num_scenes` (from the same generator, after the training ones) are held
    out.

    Args:
        quick: smoke run (100 scenes, 1 epoch, tiny model).
        encoder: `"hre"` or `"late_fusion"`.
        epochs: default 1 (quick) or 15.
        num_scenes: training scenes, default 100 (quick) or 3000.
        image_size: int >= 16.
        seed: scene, weight and shuffle seed.
        verbose: Keras `fit` verbosity.

    Returns:
        `(model, results)`, `results` as `score_dialogs` returns them (with
        `history_dependent`) plus `train_seconds` and `epochs`.
    """
    import keras

    keras.utils.set_random_seed(seed)
    epochs = check_positive_int("epochs", epochs or (1 if quick else 15))
    num_scenes = check_positive_int(
        "num_scenes", num_scenes or (100 if quick else 3000)
    )
    generator = SceneGenerator(image_size=image_size, seed=seed)
    scenes = generator.generate(num_scenes + max(1, num_scenes // 4))
    vocabulary = generator.answer_vocabulary()
    train = scene_dialog_view(scenes[:num_scenes], vocabulary)
    test = scene_dialog_view(scenes[num_scenes:], vocabulary)
    units = 16 if quick else 64
    return _fit_and_score(
        train, test, encoder, image_size, units, epochs, seed, verbose
    )


def score_dialogs(model: VisualDialogModel, examples: DialogExamples) -> dict:
    """Retrieval metrics of `model` on `examples`, with the history ablation.

    Args:
        model: a trained `VisualDialogModel`.
        examples: held-out `DialogExamples`.

    Returns:
        Dict with `r@1`, `r@5`, `r@10`, `mean_rank`, `mrr` and `ndcg` (the
        ground truth is the one relevant candidate) over all rounds;
        `without_history`, the same with every history round blanked; and,
        when some rounds are history-dependent, `history_dependent`: the
        same two over those rounds only, with their `count`.
    """
    blank = dataclasses.replace(
        examples, histories=np.full_like(examples.histories, "")
    )
    scores = {
        "with": _predict_scores(model, examples),
        "without": _predict_scores(model, blank),
    }
    relevance = np.eye(len(examples.candidates))[examples.answer_ids]

    def metrics(rows):
        with_history, without = (
            retrieval_metrics(
                scores[key][rows], examples.answer_ids[rows], relevance[rows]
            )
            for key in ("with", "without")
        )
        return {**with_history, "without_history": without}

    results = metrics(np.arange(len(examples)))
    dependent = np.flatnonzero(examples.history_dependent)
    if dependent.size:
        results["history_dependent"] = {
            **metrics(dependent),
            "count": int(dependent.size),
        }
    return results


def _predict_scores(model, examples):
    return np.asarray(
        model.predict(
            dialog_dataset(model.preprocessor, examples, 256, shuffle=False), verbose=0
        )
    )


def _fit_and_score(train, test, encoder, image_size, units, epochs, seed, verbose):
    preprocessor = VisualDialogPreprocessor.from_dialogs(
        train, image_size=image_size, lengths_from=[test]
    )
    backbone = VisualDialogBackbone(
        preprocessor.vocabulary_size,
        encoder=encoder,
        embedding_dim=units // 2,
        units=units,
        image_encoder=ImageEncoder(image_size=image_size),
        image_size=image_size,
        answer_length=preprocessor.answer_length,
    )
    model = VisualDialogModel(backbone, preprocessor, candidates=train.candidates)
    model.compile()
    start = time.perf_counter()
    model.fit(
        dialog_dataset(model.preprocessor, train, 64, shuffle=True, seed=seed),
        epochs=epochs,
        shuffle=False,  # the dataset shuffles
        verbose=verbose,
    )
    train_seconds = time.perf_counter() - start
    results = score_dialogs(model, test)
    results.update(train_seconds=train_seconds, epochs=epochs)
    return model, results
