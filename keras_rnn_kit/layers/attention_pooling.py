"""Attention pooling over time (the hierarchical attention network's pooling)."""

import keras
from keras import ops

from keras_rnn_kit.utils.validation import check_floating_dtype
from keras_rnn_kit.utils.validation import check_positive_int
from keras_rnn_kit.utils.validation import check_rank


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class AttentionPooling(keras.layers.Layer):
    """Pools a sequence into one vector with learned attention over its steps.

        u_t = tanh(h_t W + b)
        a_t = exp(u_t · v) / Σ_{s real} exp(u_s · v)      (a_t = 0 at padded steps)
        y = Σ_t a_t h_t

    The softmax runs only over unmasked steps, so the weights are exactly zero at
    padding and sum to one over the real steps; a row with no real step gets all
    zero weights and a zero output (never NaN). Scores and the softmax are computed
    in float32 under mixed precision.

    Args:
        units: int > 0, width of the attention space (`W` is
            `(features, units)`, `b` and the context vector `v` are `(units,)`).
        kernel_initializer: initializer for `kernel` (`W`).
        bias_initializer: initializer for `bias` (`b`).
        context_initializer: initializer for `context` (`v`).
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `(batch, time, features)` float tensor `h`.
        mask: optional `(batch, time)` boolean tensor, True at real steps.
        return_attention_scores: bool, also return the weights `a`.

    Returns:
        `(batch, features)` pooled vectors; with `return_attention_scores=True`
        the tuple `(pooled, weights)` with weights `(batch, time)`.

    Example:

    >>> import numpy as np
    >>> from keras_rnn_kit.layers import AttentionPooling
    >>> pool = AttentionPooling(4)
    >>> mask = np.array([[True, True, False]])
    >>> pooled, weights = pool(np.ones((1, 3, 6), "float32"), mask=mask,
    ...                        return_attention_scores=True)
    >>> pooled.shape, weights.numpy().round(3).tolist()  # (batch, features)
    (TensorShape([1, 6]), [[0.5, 0.5, 0.0]])

    Reference:
        Yang et al., "Hierarchical Attention Networks for Document
        Classification", NAACL 2016.
    """

    def __init__(
        self,
        units,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        context_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_positive_int("units", units)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.context_initializer = keras.initializers.get(context_initializer)
        self.supports_masking = True

    def build(self, input_shape):
        check_rank("inputs", input_shape, 3, "(batch, time, features)")
        features = input_shape[-1]
        if features is None:
            raise ValueError(
                "`inputs` must have a known last (feature) dimension, got shape "
                f"{tuple(input_shape)}."
            )
        self.kernel = self.add_weight(
            shape=(features, self.units),
            name="kernel",
            initializer=self.kernel_initializer,
        )
        self.bias = self.add_weight(
            shape=(self.units,), name="bias", initializer=self.bias_initializer
        )
        self.context = self.add_weight(
            shape=(self.units, 1), name="context", initializer=self.context_initializer
        )
        self.built = True

    def call(self, inputs, mask=None, return_attention_scores=False):
        check_rank("inputs", inputs.shape, 3, "(batch, time, features)")
        check_floating_dtype("inputs", inputs.dtype)
        # u_t = tanh(h_t W + b), (batch, time, units)
        u = ops.tanh(ops.matmul(inputs, self.kernel) + self.bias)
        # s_t = u_t · v, (batch, time)
        scores = ops.cast(ops.squeeze(ops.matmul(u, self.context), axis=-1), "float32")
        weights = self.masked_softmax(scores, mask)
        # y = Σ_t a_t h_t, (batch, features)
        weights = ops.cast(weights, inputs.dtype)
        pooled = ops.sum(weights[:, :, None] * inputs, axis=1)
        if return_attention_scores:
            return pooled, weights
        return pooled

    @staticmethod
    def masked_softmax(scores, mask=None):
        """Softmax over the last axis restricted to `mask`; all-masked rows give 0.

        Args:
            scores: `(batch, time)` float tensor.
            mask: optional `(batch, time)` boolean tensor.

        Returns:
            `(batch, time)` weights, exactly 0 where `mask` is False.
        """
        if mask is None:
            return ops.softmax(scores, axis=-1)
        mask = ops.cast(mask, "bool")
        # The largest real score, for a stable exp. The row's smallest score
        # stands in for the masked ones: a constant like -1e9 overflows float16.
        floor = ops.min(scores, axis=-1, keepdims=True)
        top = ops.max(ops.where(mask, scores, floor), axis=-1, keepdims=True)
        exp = ops.where(mask, ops.exp(ops.where(mask, scores - top, 0.0)), 0.0)
        total = ops.sum(exp, axis=-1, keepdims=True)
        return exp / ops.where(total > 0, total, ops.ones_like(total))

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = {
            "units": self.units,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "context_initializer": keras.initializers.serialize(
                self.context_initializer
            ),
        }
        return {**super().get_config(), **config}
