"""The dialog training pipeline (`dialog_dataset`) and held-out scoring.

`score_dialogs` scores held-out rounds with the VisDial retrieval metrics and
runs the history ablation: the same rounds again with every history round
blanked. On easy-VQA every question is answerable from the image alone, so the
ablation changes little; the scene dialogs hold follow-ups ("what about the
square?") that only the history can answer, scored separately as
`history_dependent`. The trainers (`train_easy_vqa_dialog`,
`train_scene_dialog`) live with the recipe in `visual_dialog_recipe`.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from keras_rnn_kit.data.image_io import preprocess_image_batch
from keras_rnn_kit.data.visdial_easy_vqa import DialogExamples
from keras_rnn_kit.metrics.retrieval import retrieval_metrics
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
