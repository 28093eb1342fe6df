"""The sentiment task: backbone + classification head + text-in, labels-out API."""

import keras
import numpy as np
import tensorflow as tf

from keras_rnn_kit.data.text_tokenizer import to_string_tensor
from keras_rnn_kit.models.sentiment import sentiment_export
from keras_rnn_kit.models.sentiment.sentiment_backbone import SentimentBackbone
from keras_rnn_kit.models.sentiment.sentiment_prediction import SentimentPrediction
from keras_rnn_kit.models.sentiment.sentiment_preprocessor import SentimentPreprocessor
from keras_rnn_kit.models.task import Task
from keras_rnn_kit.utils.validation import check_positive_int
from keras_rnn_kit.utils.validation import check_rate


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class SentimentClassifier(Task):
    """Classifies texts (e.g. reviews) as positive/negative or into n classes.

        z = W · dropout(backbone(inputs)) + b      logits
        p = σ(z) (2 classes, one logit) or softmax(z) (n > 2 classes)

    The task owns the preprocessor, so `fit`, `evaluate` and `predict_text` take
    raw strings (lists, numpy arrays, or a `tf.data.Dataset` of `(texts, labels)`);
    already preprocessed `{"token_ids", "padding_mask"}` inputs pass through. Labels
    are class ids in `[0, num_classes)`; any other value raises naming `y`.

    `compile()` defaults: Adam (learning rate 1e-3, gradients clipped to norm 1),
    binary cross-entropy from logits (2 classes) or sparse categorical
    cross-entropy from logits, and accuracy.

    Export (the `keras_rnn_kit.export` protocol): `serving_signatures()` serves raw
    strings with core TF ops (`labels`, `label_ids`, `probabilities`);
    `tflite_signatures()` takes `token_ids`, and `export_text_assets(path)`
    writes the vocabulary and tokenizer settings a device needs as JSON. It trains
    under `MirroredStrategy` (see `keras_rnn_kit.training.train`).

    Args:
        backbone: a `SentimentBackbone`.
        num_classes: int >= 2.
        preprocessor: a `SentimentPreprocessor` (needed for raw-text input).
        class_names: optional list of `num_classes` label names for
            `predict_text`.
        dropout: float in [0, 1), dropout before the output layer.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Call arguments:
        inputs: `{"token_ids", "padding_mask"}` as produced by the preprocessor.
        training: bool, whether dropout applies.

    Returns:
        Logits `(batch, 1)` for 2 classes, else `(batch, num_classes)`.

    Example:

    >>> from keras_rnn_kit.models import SentimentClassifier
    >>> from keras_rnn_kit.models.sentiment import (
    ...     SentimentBackbone, SentimentPreprocessor)
    >>> texts, labels = ["so good", "so bad"] * 8, [1, 0] * 8
    >>> pre = SentimentPreprocessor.from_texts(texts, sequence_length=4)
    >>> model = SentimentClassifier(
    ...     SentimentBackbone(len(pre.vocabulary), 8, units=8, structure="single",
    ...                       num_layers=1),
    ...     preprocessor=pre, class_names=["neg", "pos"])
    >>> model.compile()
    >>> _ = model.fit(texts, labels, epochs=1, verbose=0)
    >>> len(model.predict_text(["The food was really good", ""]).labels)
    2

    Reference:
        Hochreiter & Schmidhuber 1997; Maas et al., "Learning Word Vectors for
        Sentiment Analysis", ACL 2011 (the IMDB reviews).
    """

    def __init__(
        self,
        backbone,
        num_classes=2,
        preprocessor=None,
        class_names=None,
        dropout=0.0,
        **kwargs,
    ):
        if not isinstance(backbone, SentimentBackbone):
            raise TypeError(
                f"`backbone` must be a SentimentBackbone, got {backbone!r} "
                f"({type(backbone).__name__})."
            )
        check_positive_int("num_classes", num_classes)
        if num_classes < 2:
            raise ValueError(f"`num_classes` must be at least 2, got {num_classes}.")
        if preprocessor is not None and not isinstance(
            preprocessor, SentimentPreprocessor
        ):
            raise TypeError(
                "`preprocessor` must be a SentimentPreprocessor or None, got "
                f"{preprocessor!r} ({type(preprocessor).__name__})."
            )
        if class_names is not None:
            class_names = [str(name) for name in class_names]
            if len(class_names) != num_classes or len(set(class_names)) != num_classes:
                raise ValueError(
                    f"`class_names` must hold {num_classes} distinct names (one per "
                    f"class), got {class_names!r}."
                )
        check_rate("dropout", dropout)

        # === Layers ===
        head_dropout = keras.layers.Dropout(dropout, name="head_dropout")
        logits = keras.layers.Dense(
            1 if num_classes == 2 else num_classes, name="logits"
        )

        # === Functional graph ===
        inputs = backbone.input
        # 1. Pooled text vector: (batch, backbone.output_dim).
        x = backbone(inputs)
        # 2. Logits: (batch, 1) or (batch, num_classes).
        outputs = logits(head_dropout(x))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.num_classes = num_classes
        self.class_names = class_names
        self.dropout = dropout

    def default_optimizer(self):
        return keras.optimizers.Adam(learning_rate=1e-3, global_clipnorm=1.0)

    def default_loss(self):
        if self.num_classes == 2:
            return keras.losses.BinaryCrossentropy(from_logits=True)
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def default_metrics(self):
        if self.num_classes == 2:
            return [keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)]
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def preprocess_samples(self, x, y=None, sample_weight=None):
        """Raw texts `(batch,)` (and class ids) -> `{"token_ids",
        "padding_mask"}` (and checked int32 labels)."""
        self._require_preprocessor("raw text input")
        if x.dtype != tf.string:
            raise TypeError(
                f"`x` must hold raw texts (strings), got dtype {x.dtype.name}."
            )
        x = self.preprocessor(x)
        if y is not None:
            y = self.check_label_batch(y)
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    def check_labels(self, y):
        labels = np.asarray(y)
        integral = labels.dtype.kind in "iu" or (
            labels.dtype.kind == "f" and np.all(labels == np.round(labels))
        )
        bad = ~((labels >= 0) & (labels < self.num_classes)) if integral else None
        if not integral or bad.any():
            example = labels.reshape(-1)[np.argmax(bad)] if integral else labels
            raise ValueError(f"{self._labels_message()}; got {example!r}.")
        return labels.astype("int32")

    def predict_text(self, texts, batch_size=64):
        """Classifies raw strings.

        Empty strings and strings made only of unknown words get a prediction too.

        Args:
            texts: a str, or a list / numpy array / `tf.string` tensor of str.
            batch_size: int > 0, texts per forward pass.

        Returns:
            A `SentimentPrediction` with `labels`, `label_ids` and
            `probabilities` `(batch, num_classes)`.
        """
        check_positive_int("batch_size", batch_size)
        self._require_preprocessor("predict_text()")
        if isinstance(texts, str):
            texts = [texts]
        strings = to_string_tensor("texts", texts)
        if strings.shape.rank != 1:
            raise ValueError(
                f"`texts` must be a str or a 1-D list of str, got shape "
                f"{tuple(strings.shape)}."
            )
        if strings.shape[0] == 0:
            empty = np.zeros((0, self.num_classes), "float32")
            return SentimentPrediction([], np.zeros((0,), "int64"), empty)
        logits = self.predict(
            self.preprocessor(strings), batch_size=batch_size, verbose=0
        )
        probabilities = keras.ops.convert_to_numpy(
            sentiment_export.probabilities(self, logits)
        )
        label_ids = np.argmax(probabilities, axis=-1)
        names = self.class_names
        labels = [names[i] if names else int(i) for i in label_ids]
        return SentimentPrediction(labels, label_ids, probabilities)

    def serving_signatures(self):
        """`{"serving_default"}`: raw strings in; `labels`, `label_ids` and
        `probabilities` out (core TF ops only, for TF Serving); see
        `sentiment_export.serving_signatures`."""
        return sentiment_export.serving_signatures(self)

    def tflite_signatures(self):
        """`{"serving_default"}`: `token_ids` in, `probabilities` out
        (text preprocessing stays outside the `.tflite`: ship
        `export_text_assets` next to it); see `sentiment_export`."""
        return sentiment_export.tflite_signatures(self)

    def text_assets(self):
        """The vocabulary, tokenizer settings and class names a TFLite
        deployment needs (see `sentiment_export.text_assets`); written by
        `export_text_assets(path)`."""
        return sentiment_export.text_assets(self)

    def _labels_message(self):
        names = f" ({', '.join(self.class_names)})" if self.class_names else ""
        return (
            f"`y` must hold class ids in [0, {self.num_classes}) for num_classes="
            f"{self.num_classes}{names}"
        )

    def check_label_batch(self, y):
        y = tf.convert_to_tensor(y)
        message = self._labels_message()
        if y.dtype.is_floating:
            tf.debugging.assert_equal(y, tf.round(y), message=message)
        elif not y.dtype.is_integer:
            raise TypeError(f"{message}; got dtype {y.dtype.name}.")
        y = tf.cast(y, tf.int32)
        tf.debugging.assert_non_negative(y, message=message)
        tf.debugging.assert_less(y, self.num_classes, message=message)
        return y

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "class_names": self.class_names,
            "dropout": self.dropout,
        }
