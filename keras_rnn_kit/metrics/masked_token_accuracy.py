"""Token accuracy that ignores padding, for sequence outputs."""

import keras
from keras import ops

from keras_rnn_kit.utils.validation import check_non_negative_int


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class MaskedTokenAccuracy(keras.metrics.Metric):
    """Share of non-padding target tokens whose argmax prediction is right.

        accuracy = Σ [y ≠ pad] [argmax ŷ = y] w / Σ [y ≠ pad] w

    Positions where `y_true == pad_id` never count, so padded batches score the
    same as unpadded ones; an optional `sample_weight` multiplies the rest.

    Args:
        pad_id: int >= 0, the padding id in `y_true` (default 0, `<pad>`).
        name: metric name.
        **kwargs: base `keras.metrics.Metric` arguments.

    Call arguments:
        y_true: int `(batch, time)` target ids.
        y_pred: float `(batch, time, vocabulary_size)` logits or probabilities.
        sample_weight: optional `(batch, time)` weights.

    Example:

    >>> import numpy as np
    >>> metric = MaskedTokenAccuracy()
    >>> y_true = np.array([[5, 3, 0, 0]])                 # two real tokens
    >>> y_pred = np.eye(6)[[[5, 4, 1, 1]]]                # right, wrong, padding
    >>> metric.update_state(y_true, y_pred)
    >>> float(metric.result())
    0.5
    """

    def __init__(self, pad_id=0, name="masked_token_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.pad_id = check_non_negative_int("pad_id", pad_id)
        self.correct = self.add_variable(
            shape=(), initializer="zeros", dtype="float32", name="correct"
        )
        self.total = self.add_variable(
            shape=(), initializer="zeros", dtype="float32", name="total"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        predicted = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
        weight = ops.cast(ops.not_equal(y_true, self.pad_id), "float32")
        if sample_weight is not None:
            weight = weight * ops.cast(sample_weight, "float32")
        hits = ops.cast(ops.equal(predicted, y_true), "float32") * weight
        self.correct.assign_add(ops.sum(hits))
        self.total.assign_add(ops.sum(weight))

    def result(self):
        return ops.divide_no_nan(self.correct, self.total)

    def reset_state(self):
        self.correct.assign(0.0)
        self.total.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "pad_id": self.pad_id}
