"""The VQA task: a `VQABackbone`, an answer classifier, and `answer()`."""

import keras
import numpy as np
import tensorflow as tf

from keras_rnn_kit.data.image_io import check_images
from keras_rnn_kit.models.task import Task
from keras_rnn_kit.models.vqa import vqa_export
from keras_rnn_kit.models.vqa.vqa_backbone import VQABackbone
from keras_rnn_kit.models.vqa.vqa_preprocessor import VQAPreprocessor
from keras_rnn_kit.utils.validation import check_positive_int
from keras_rnn_kit.utils.validation import check_rate


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class VQAModel(Task):
    """Answers questions about images by classifying over the top-K answers.

    The head of Antol et al.'s baseline: the fused backbone vector goes through
    a tanh hidden layer and dropout, then a linear layer gives one logit per
    candidate answer. `answer()` runs the preprocessor and returns strings.
    `fit`, `evaluate` and `predict` take raw `{"images", "questions"}` (images
    uint8, float in [0, 1] or encoded JPEG/PNG/BMP bytes) with answer strings
    or ids as `y` (see `Task`); `compile()` defaults to Adam, cross-entropy
    from logits and accuracy.

    Export (the `keras_rnn_kit.export` protocol): `serving_signatures()` serves
    encoded image bytes and question strings (core TF ops only),
    `tflite_signatures()` takes float images and question token ids, and
    `export_text_assets(path)` writes the question vocabulary and tokenizer
    settings as JSON for the device (see `vqa_export`).

    Args:
        backbone: a `VQABackbone`.
        answers: list of the candidate answer strings (unique; the class ids).
        preprocessor: a `VQAPreprocessor`, needed by `answer()`; `None` when the
            model only sees preprocessed inputs.
        hidden_dim: int > 0, width of the hidden layer.
        dropout: float in [0, 1), dropout before the output layer.
        **kwargs: base `keras.Model` arguments (`name`).

    Call arguments:
        inputs: the backbone's dict (`images` or `image_features`, `token_ids`,
            `padding_mask`).

    Returns:
        `(batch, len(answers))` logits.

    Example:

    >>> import numpy as np
    >>> pre = VQAPreprocessor.from_questions(["is it red?"], image_size=16)
    >>> backbone = VQABackbone(pre.vocabulary_size, image_size=16, fusion_dim=8)
    >>> model = VQAModel(backbone, ["yes", "no"], preprocessor=pre)
    >>> images = np.zeros((1, 16, 16, 3), "uint8")  # (batch, height, width, 3)
    >>> answers, scores = model.answer(images, ["is it red?"])
    >>> answers[0] in ("yes", "no"), scores.shape
    (True, (1,))

    Reference:
        Antol et al., "VQA: Visual Question Answering", ICCV 2015.
    """

    def __init__(
        self,
        backbone,
        answers,
        preprocessor=None,
        hidden_dim=256,
        dropout=0.5,
        **kwargs,
    ):
        # === Layers ===
        if not isinstance(backbone, VQABackbone):
            raise TypeError(
                f"`backbone` must be a VQABackbone, got {type(backbone).__name__}."
            )
        answers = list(answers)
        if not answers or not all(isinstance(a, str) for a in answers):
            raise ValueError(
                f"`answers` must be a non-empty list of strings, got {answers!r}."
            )
        if len(set(answers)) != len(answers):
            raise ValueError(f"`answers` must be unique, got {answers!r}.")
        if preprocessor is not None and not isinstance(preprocessor, VQAPreprocessor):
            raise TypeError(
                "`preprocessor` must be a VQAPreprocessor or None, got "
                f"{type(preprocessor).__name__}."
            )
        check_positive_int("hidden_dim", hidden_dim)
        check_rate("dropout", dropout)
        hidden = keras.layers.Dense(hidden_dim, activation="tanh", name="answer_hidden")
        head_dropout = keras.layers.Dropout(dropout, name="answer_dropout")
        logits_layer = keras.layers.Dense(len(answers), name="answer_logits")

        # === Functional model ===
        inputs = backbone.input
        # 1. Fused image-question vector: (batch, fusion_dim).
        fused = backbone(inputs)
        # 2. Answer logits: (batch, num_answers).
        logits = logits_layer(head_dropout(hidden(fused)))
        super().__init__(inputs=inputs, outputs=logits, **kwargs)

        # === Config ===
        self.backbone = backbone
        self.answers = answers
        self.preprocessor = preprocessor
        self.hidden_dim = hidden_dim
        self.dropout = dropout
        self._answer_ids = {a: i for i, a in enumerate(answers)}

    def default_metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def preprocess_samples(self, x, y=None, sample_weight=None):
        """Raw `{"images", "questions"}` (images uint8, float in [0, 1] or
        encoded JPEG/PNG/BMP bytes; question strings) and answers (strings
        or ids) -> the backbone's inputs and answer ids."""
        self._require_preprocessor("raw image and question input")
        inputs = self.preprocessor(x)
        if y is not None:
            y = self.check_label_batch(y)
        return keras.utils.pack_x_y_sample_weight(inputs, y, sample_weight)

    def check_labels(self, y):
        """Answer strings or ids -> int32 ids; anything else raises naming `y`."""
        labels = np.asarray(y)
        if labels.dtype.kind in "USO":
            return self.answer_ids(labels.tolist(), name="y").astype(np.int32)
        return check_answer_ids(labels, self.answers, name="y").astype(np.int32)

    def check_label_batch(self, y):
        """In-graph twin of `check_labels`: answer strings or ids -> int32 ids,
        asserted among the candidates."""
        message = (
            f"`y` must hold answers among the model's {len(self.answers)} "
            "candidates, or their ids"
        )
        if y.dtype == tf.string:
            matches = tf.equal(y[:, None], tf.constant(self.answers)[None, :])
            tf.debugging.assert_equal(
                tf.reduce_any(matches, axis=1), True, message=message
            )
            return tf.argmax(tf.cast(matches, tf.int32), axis=1, output_type=tf.int32)
        if not y.dtype.is_integer:
            raise TypeError(f"{message}; got dtype {y.dtype.name}.")
        y = tf.cast(y, tf.int32)
        tf.debugging.assert_non_negative(y, message=message)
        tf.debugging.assert_less(y, len(self.answers), message=message)
        return y

    def answer_ids(self, answers, name="answers") -> np.ndarray:
        """Maps answer strings to class ids; an unknown answer raises
        `ValueError` naming `name`."""
        unknown = sorted({a for a in answers if a not in self._answer_ids}, key=str)
        if unknown:
            raise ValueError(
                f"`{name}` must hold answers among the model's {len(self.answers)} "
                f"candidates, got unknown {unknown[:5]!r}."
            )
        return np.array([self._answer_ids[a] for a in answers], np.int64)

    def check_answer_ids(self, ids) -> np.ndarray:
        """Returns `ids` as int64, raising `ValueError` for ids outside the answers."""
        return check_answer_ids(ids, self.answers)

    def answer(self, images, questions, top_k=1, batch_size=256):
        """Answers questions about images.

        Args:
            images: `(batch, height, width, channels)` `uint8` or float in
                `[0, 1]` (see `VQAPreprocessor` for resizing and channels).
            questions: list of `batch` question strings.
            top_k: int > 0, how many answers per question.
            batch_size: int > 0, inference batch size.

        Returns:
            `(answers, scores)`: with `top_k=1`, a list of strings and a
            `(batch,)` array of softmax probabilities; otherwise a list of lists
            of `top_k` strings and a `(batch, top_k)` array, best first.
        """
        self._require_preprocessor("answer()")
        check_positive_int("top_k", top_k)
        check_positive_int("batch_size", batch_size)
        images = check_images(images)
        questions = [questions] if isinstance(questions, str) else list(questions)
        if len(questions) != len(images):
            raise ValueError(
                f"`questions` must have one entry per image: {len(images)} images, "
                f"{len(questions)} questions."
            )
        probabilities = []
        for start in range(0, len(questions), batch_size):
            stop = start + batch_size
            inputs = self.preprocessor(
                {"images": images[start:stop], "questions": questions[start:stop]}
            )
            logits = self(inputs, training=False)
            probabilities.append(np.asarray(keras.ops.softmax(logits, axis=-1)))
        probabilities = np.concatenate(probabilities)
        order = np.argsort(-probabilities, axis=-1, kind="stable")[:, :top_k]
        scores = np.take_along_axis(probabilities, order, axis=-1)
        answers = [[self.answers[i] for i in row] for row in order]
        if top_k == 1:
            return [row[0] for row in answers], scores[:, 0]
        return answers, scores

    def serving_signatures(self):
        """SavedModel signatures on raw inputs; see
        `vqa_export.serving_signatures`."""
        return vqa_export.serving_signatures(self)

    def tflite_signatures(self):
        """Batch-1 TFLite signatures; see `vqa_export.tflite_signatures`."""
        return vqa_export.tflite_signatures(self)

    def text_assets(self):
        """The question settings, image size and answers a TFLite deployment
        needs; see `vqa_export.text_assets`."""
        return vqa_export.text_assets(self)

    def get_config(self):
        return {
            **super().get_config(),
            "answers": list(self.answers),
            "hidden_dim": self.hidden_dim,
            "dropout": self.dropout,
        }


def check_answer_ids(ids, answers, name="ids") -> np.ndarray:
    """Returns `ids` as int64, raising `ValueError` (naming `name`) for ids
    outside `answers`."""
    ids = np.asarray(ids)
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"`{name}` must be integers, got dtype {ids.dtype}.")
    bad = ids[(ids < 0) | (ids >= len(answers))]
    if bad.size:
        raise ValueError(
            f"`{name}` must lie in [0, {len(answers)}) (the answer vocabulary), "
            f"got {bad[:5].tolist()}."
        )
    return ids.astype(np.int64)
