"""One recurrent layer applied to every candidate answer of a dialog round."""

import keras
from keras import ops

from keras_rnn_kit.utils.validation import check_rank


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class CandidateEncoder(keras.layers.Layer):
    """Encodes `(batch, options, tokens, features)` candidates with one RNN.

    The options are folded into the batch, `layer` runs once over
    `(batch * options, tokens, features)`, and the result is unfolded. This
    replaces `keras.layers.TimeDistributed`, whose traced path for an unknown
    options axis (a serving signature takes any number of candidates) maps over
    the batch size instead of the options in Keras 3.15
    (`ops.arange(input_shape[0])` is read before the transpose): it fails when
    the batch is larger than the options and silently drops candidates when it
    is smaller. Folding needs no per-option loop either.

    Args:
        layer: a `keras.layers.RNN` (or any layer mapping `(batch, tokens,
            features)` and a `(batch, tokens)` mask to `(batch, units)`).
        **kwargs: base `keras.layers.Layer` arguments.

    Call arguments:
        inputs: `(batch, options, tokens, features)` float tensor.
        mask: optional `(batch, options, tokens)` bool, true for real tokens.
        training: bool.

    Returns:
        `(batch, options, units)`.

    Example:

    >>> import numpy as np
    >>> from keras_rnn_kit.cells import LSTMCell
    >>> encoder = CandidateEncoder(keras.layers.RNN(LSTMCell(5)))
    >>> encoder(np.zeros((2, 7, 3, 4), "float32")).shape
    TensorShape([2, 7, 5])
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, keras.layers.Layer):
            raise TypeError(
                f"`layer` must be a keras Layer, got {type(layer).__name__}."
            )
        self.layer = layer

    def build(self, input_shape):
        check_rank("inputs", input_shape, 4, "(batch, options, tokens, features)")
        self.layer.build((None, *input_shape[2:]))

    def call(self, inputs, mask=None, training=None):
        shape = ops.shape(inputs)
        # 1. Fold: (batch * options, tokens, features).
        flat = ops.reshape(inputs, (-1, shape[2], inputs.shape[-1]))
        flat_mask = None
        if mask is not None:
            flat_mask = ops.reshape(ops.cast(mask, "bool"), (-1, shape[2]))
        # 2. One vector per candidate: (batch * options, units).
        encoded = self.layer(flat, mask=flat_mask, training=training)
        # 3. Unfold: (batch, options, units).
        return ops.reshape(encoded, (shape[0], shape[1], encoded.shape[-1]))

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((None, *input_shape[2:]))
        return (input_shape[0], input_shape[1], *inner[1:])

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = {"layer": keras.layers.serialize(self.layer)}
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = keras.layers.deserialize(config["layer"])
        return cls(**config)
