"""The Visual Dialog task: an encoder and a discriminative decoder."""

import keras
import numpy as np
import tensorflow as tf

from keras_rnn_kit.data.image_io import check_images
from keras_rnn_kit.metrics.retrieval import MeanRank
from keras_rnn_kit.metrics.retrieval import MeanReciprocalRank
from keras_rnn_kit.metrics.retrieval import RecallAtK
from keras_rnn_kit.models.task import Task
from keras_rnn_kit.models.visual_dialog import visual_dialog_export
from keras_rnn_kit.models.visual_dialog.visual_dialog_backbone import (
    VisualDialogBackbone,
)
from keras_rnn_kit.models.visual_dialog.visual_dialog_preprocessor import (
    VisualDialogPreprocessor,
)
from keras_rnn_kit.utils.validation import check_positive_int


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class VisualDialogModel(Task):
    """Ranks candidate answers to a question about an image, given the dialog.

    The discriminative decoder of Das et al.: the score of candidate `c` is the
    dot product of the dialog encoding and the candidate's encoding; training
    is softmax cross-entropy over the candidates with the ground-truth index as
    the label, and the retrieval metrics (R@k, MRR, mean rank) read the same
    scores. `fit`, `evaluate` and `predict` take raw `{"images", "questions",
    "histories", "candidates"}` with the right candidate's index as `y` (see
    `Task`); `compile()` defaults to Adam, that cross-entropy and the
    retrieval metrics.

    Export (the `keras_rnn_kit.export` protocol): `serving_signatures()` scores
    and ranks raw inputs (image bytes, question, history and candidate strings)
    with core TF ops, `tflite_signatures()` gives `encode` (dialog) and
    `score` (one candidate) signatures, and `export_text_assets(path)` writes the
    vocabulary and lengths as JSON (see `visual_dialog_export`).

    Args:
        backbone: a `VisualDialogBackbone`.
        preprocessor: a `VisualDialogPreprocessor` (needed by `rank_answers`).
        candidates: optional list of distinct answer strings the model was
            trained to rank (saved with it): `rank_answers` ranks them when it
            is given no candidates of its own, as `rnnkit predict` does.
        **kwargs: base `keras.Model` arguments.

    Call arguments:
        inputs: the backbone's dict.

    Returns:
        `(batch, options)` scores (logits over the candidates).

    Example:

    >>> import numpy as np
    >>> pre = VisualDialogPreprocessor.from_texts(["is it red", "yes", "no"], 16)
    >>> backbone = VisualDialogBackbone(pre.vocabulary_size, units=8, image_size=16,
    ...                                 answer_length=pre.answer_length)
    >>> model = VisualDialogModel(backbone, pre)
    >>> ranked, scores = model.rank_answers(
    ...     np.zeros((1, 16, 16, 3), "uint8"), ["is it red"], [[""]], [["yes", "no"]])
    >>> sorted(ranked[0]), scores.shape
    (['no', 'yes'], (1, 2))

    Reference:
        Das et al., "Visual Dialog", CVPR 2017.
    """

    def __init__(self, backbone, preprocessor=None, candidates=None, **kwargs):
        # === Layers ===
        if not isinstance(backbone, VisualDialogBackbone):
            raise TypeError(
                "`backbone` must be a VisualDialogBackbone, got "
                f"{type(backbone).__name__}."
            )
        if preprocessor is not None and not isinstance(
            preprocessor, VisualDialogPreprocessor
        ):
            raise TypeError(
                "`preprocessor` must be a VisualDialogPreprocessor or None, got "
                f"{type(preprocessor).__name__}."
            )
        if candidates is not None:
            candidates = list(candidates)
            if (
                not candidates
                or not all(isinstance(c, str) for c in candidates)
                or len(set(candidates)) != len(candidates)
            ):
                raise ValueError(
                    "`candidates` must be None or a non-empty list of distinct "
                    f"strings, got {candidates!r}."
                )
        score = keras.layers.Dot(axes=(1, 2), name="candidate_scores")

        # === Functional model ===
        inputs = backbone.input
        # 1. Encoding (batch, units), candidates (batch, options, units).
        encoded = backbone(inputs)
        # 2. Scores: (batch, options).
        scores = score([encoded["encoding"], encoded["candidate_encodings"]])
        super().__init__(inputs=inputs, outputs=scores, **kwargs)

        # === Config ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.candidates = candidates

    def default_metrics(self):
        return [RecallAtK(1), RecallAtK(5), MeanReciprocalRank(), MeanRank()]

    def preprocess_samples(self, x, y=None, sample_weight=None):
        """Raw `{"images", "questions", "histories", "candidates"}` (images
        uint8, float in [0, 1] or encoded JPEG/PNG/BMP bytes; `histories`
        `(batch, rounds)` and `candidates` `(batch, options)` strings) and the
        index of each right candidate -> the backbone's inputs and labels."""
        self._require_preprocessor("raw image and dialog input")
        inputs = self.preprocessor(x)
        if y is not None:
            message = "`y` must hold the index of the right candidate"
            if not y.dtype.is_integer:
                raise TypeError(f"{message}; got dtype {y.dtype.name}.")
            y = tf.cast(y, tf.int32)
            tf.debugging.assert_non_negative(y, message=message)
            options = tf.shape(inputs["candidate_token_ids"])[1]
            tf.debugging.assert_less(y, options, message=message)
        return keras.utils.pack_x_y_sample_weight(inputs, y, sample_weight)

    def check_labels(self, y):
        """Candidate indices -> int32; anything else raises naming `y`."""
        labels = np.asarray(y)
        if labels.dtype.kind not in "iu" or (labels < 0).any():
            raise ValueError(
                "`y` must hold the index (an int >= 0) of the right candidate of "
                f"each sample, got {labels.reshape(-1)[:5]!r}."
            )
        return labels.astype(np.int32)

    def rank_answers(
        self, images, questions, histories, candidates=None, batch_size=256
    ):
        """Ranks each round's candidates, best first.

        Args:
            images: `(batch, h, w, c)` images (see `preprocess_image_batch`).
            questions: `batch` question strings.
            histories: `(batch, rounds)` strings, `""` for no round.
            candidates: `(batch, options)` candidate answer strings, or None
                for the model's own `candidates` in every round.
            batch_size: int > 0.

        Returns:
            `(ranked, scores)`: lists of candidates sorted by score, and the
            `(batch, options)` scores in the given candidate order.
        """
        self._require_preprocessor("rank_answers()")
        check_positive_int("batch_size", batch_size)
        questions = list(questions)
        if candidates is None:
            if self.candidates is None:
                raise ValueError(
                    "`candidates` is required: this VisualDialogModel was built "
                    "without its own (candidates=None)."
                )
            candidates = [self.candidates] * len(questions)
        histories = np.asarray(histories, dtype=object)
        candidates = np.asarray(candidates, dtype=object)
        images = check_images(images)
        if not len(images) == len(questions) == len(histories) == len(candidates):
            raise ValueError(
                "`images`, `questions`, `histories` and `candidates` must have the "
                f"same length, got {len(images)}, {len(questions)}, "
                f"{len(histories)} and {len(candidates)}."
            )
        scores = []
        for start in range(0, len(questions), batch_size):
            stop = start + batch_size
            inputs = self.preprocessor(
                {
                    "images": images[start:stop],
                    "questions": questions[start:stop],
                    "histories": histories[start:stop].astype(str),
                    "candidates": candidates[start:stop].astype(str),
                }
            )
            scores.append(np.asarray(self(inputs, training=False)))
        scores = np.concatenate(scores)
        order = np.argsort(-scores, axis=-1, kind="stable")
        ranked = [
            [str(row_candidates[i]) for i in row]
            for row, row_candidates in zip(order, candidates, strict=True)
        ]
        return ranked, scores

    def get_config(self):
        return {**super().get_config(), "candidates": self.candidates}

    def serving_signatures(self):
        """SavedModel signatures on raw inputs; see
        `visual_dialog_export.serving_signatures`."""
        return visual_dialog_export.serving_signatures(self)

    def tflite_signatures(self, max_rounds=visual_dialog_export.MAX_HISTORY_ROUNDS):
        """Batch-1 `encode` / `score` signatures; see
        `visual_dialog_export.tflite_signatures`."""
        return visual_dialog_export.tflite_signatures(self, max_rounds)

    def text_assets(self):
        """The vocabulary and lengths a TFLite deployment needs; see
        `visual_dialog_export.text_assets`."""
        return visual_dialog_export.text_assets(self)
