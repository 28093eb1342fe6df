"""A hierarchical RNN: an inner RNN per segment, an outer RNN over segments."""

import keras
from keras import ops

from keras_rnn_kit.layers.attention_pooling import AttentionPooling
from keras_rnn_kit.layers.rnn_utils import rnn_from_config
from keras_rnn_kit.layers.rnn_utils import serialize_rnn
from keras_rnn_kit.utils import keras_compat
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_floating_dtype
from keras_rnn_kit.utils.validation import check_positive_int
from keras_rnn_kit.utils.validation import check_rank

INNER_POOLINGS = ("last", "attention")
OUTER_POOLINGS = (None, "last", "attention")


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class HierarchicalRNN(keras.layers.Layer):
    """Encodes `(batch, segments, tokens)` input in two levels.

        s_j = pool_inner(RNN_inner(x_{j,1..T}))        segment vector j
        y = pool_outer(RNN_outer(s_1..s_S))

    A segment is a sentence of a document or a turn of a dialog. The inner RNN
    encodes each segment's tokens into one vector (its last real output, or
    `AttentionPooling` over its outputs); the outer RNN runs over the segment
    vectors. Padding is honoured at both levels: padded tokens are skipped by the
    inner RNN (and get zero attention), and a segment whose tokens are all padding
    is skipped by the outer RNN, so neither changes the output. A segment is real
    if any of its tokens is.

    The token mask comes from any of: an explicit `padding_mask` call argument, a
    Keras mask carried by `inputs` (e.g. from `keras.layers.Embedding(...,
    mask_zero=True)` applied outside), or the `embedding` layer given here (with
    `mask_zero=True`). When several are present they are combined with AND.

    Args:
        inner: RNN cell or unbuilt recurrent layer for the tokens (a cell is
            wrapped in `keras.layers.RNN`; `StackedRNN` and `BidirectionalRNN`
            work). A fresh copy is built from its config.
        outer: RNN cell or unbuilt recurrent layer for the segments, same rules.
        inner_pooling: `"last"` (the inner RNN's output at the last real token)
            or `"attention"` (`AttentionPooling` over the token outputs).
        outer_pooling: None (the outer RNN's own output, per
            `return_sequences`), `"last"` (its last real output) or
            `"attention"` (`AttentionPooling` over the segment outputs). Must be
            None when `return_sequences=True`.
        return_sequences: bool, return one outer output per segment
            `(batch, segments, d)` with a segment mask attached, e.g. one state
            per dialog turn.
        embedding: optional layer mapping token ids `(batch, segments, tokens)`
            to vectors `(batch, segments, tokens, features)`, e.g.
            `keras.layers.Embedding(vocab, dim, mask_zero=True)`.
        attention_units: int > 0, width of the attention space of the
            `"attention"` poolings.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `(batch, segments, tokens, features)` float tensor, or
            `(batch, segments, tokens)` token ids when `embedding` is set.
        padding_mask: optional `(batch, segments, tokens)` tensor, nonzero/True
            at real tokens.
        mask: optional Keras mask `(batch, segments, tokens)` (propagated
            automatically).
        training: bool, whether dropout in the wrapped layers applies.

    Returns:
        `(batch, d)` document/dialog vectors, or `(batch, segments, d)` with
        `return_sequences=True`, where `d` is the width of the outer RNN's output.

    Example:

    >>> import numpy as np, keras
    >>> from keras_rnn_kit.cells import LSTMCell
    >>> from keras_rnn_kit.layers import HierarchicalRNN
    >>> han = HierarchicalRNN(LSTMCell(8), LSTMCell(6), inner_pooling="attention",
    ...                       embedding=keras.layers.Embedding(50, 4, mask_zero=True))
    >>> ids = np.array([[[3, 4, 0], [5, 0, 0]], [[7, 8, 9], [0, 0, 0]]])
    >>> han(ids).shape  # (batch, outer units)
    TensorShape([2, 6])

    Reference:
        Yang et al., "Hierarchical Attention Networks for Document
        Classification", NAACL 2016; Serban et al., "Building End-To-End
        Dialogue Systems Using Generative Hierarchical Neural Network Models",
        AAAI 2016.
    """

    def __init__(
        self,
        inner,
        outer,
        inner_pooling="last",
        outer_pooling=None,
        return_sequences=False,
        embedding=None,
        attention_units=64,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.inner_pooling = check_choice(
            "inner_pooling", inner_pooling, INNER_POOLINGS
        )
        self.outer_pooling = check_choice(
            "outer_pooling", outer_pooling, OUTER_POOLINGS
        )
        self.return_sequences = bool(return_sequences)
        if self.return_sequences and self.outer_pooling is not None:
            raise ValueError(
                "`outer_pooling` must be None when `return_sequences=True` "
                f"(per-segment outputs are not pooled), got {outer_pooling!r}."
            )
        self.attention_units = check_positive_int("attention_units", attention_units)
        if isinstance(embedding, dict):
            embedding = keras.saving.deserialize_keras_object(embedding)
        if embedding is not None and not isinstance(embedding, keras.layers.Layer):
            raise ValueError(
                "`embedding` must be a Keras layer mapping token ids to vectors (e.g. "
                f"keras.layers.Embedding) or None, got {embedding!r} "
                f"({type(embedding).__name__})."
            )
        self.embedding = embedding
        self.inner_config = serialize_rnn("inner", inner)
        self.outer_config = serialize_rnn("outer", outer)
        self.inner_rnn = rnn_from_config(
            self.inner_config,
            "inner_rnn",
            dtype=self.dtype_policy,
            return_sequences=self.inner_pooling == "attention",
            return_state=False,
        )
        self.outer_rnn = rnn_from_config(
            self.outer_config,
            "outer_rnn",
            dtype=self.dtype_policy,
            return_sequences=self.return_sequences or self.outer_pooling == "attention",
            return_state=False,
        )
        self.inner_attention = None
        if self.inner_pooling == "attention":
            self.inner_attention = AttentionPooling(
                self.attention_units, dtype=self.dtype_policy, name="inner_attention"
            )
        self.outer_attention = None
        if self.outer_pooling == "attention":
            self.outer_attention = AttentionPooling(
                self.attention_units, dtype=self.dtype_policy, name="outer_attention"
            )
        self.supports_masking = True

    def __call__(self, inputs, *args, padding_mask=None, **kwargs):
        # `padding_mask` is folded into the Keras `mask` here, before
        # `Layer.__call__`, so `compute_mask` sees it and the segment mask of
        # `return_sequences=True` is attached to the output.
        if padding_mask is not None:
            check_rank(
                "padding_mask", padding_mask.shape, 3, "(batch, segments, tokens)"
            )
            padding_mask = ops.cast(padding_mask, "bool")
            mask = kwargs.get("mask")
            if mask is None:
                mask = keras_compat.keras_mask(inputs)
            if mask is not None:
                padding_mask = ops.logical_and(padding_mask, ops.cast(mask, "bool"))
            kwargs["mask"] = padding_mask
        return super().__call__(inputs, *args, **kwargs)

    def _check_inputs(self, shape, dtype=None):
        if self.embedding is None:
            check_rank("inputs", shape, 4, "(batch, segments, tokens, features)")
            if dtype is not None:
                check_floating_dtype("inputs", dtype)
        else:
            check_rank("inputs", shape, 3, "(batch, segments, tokens) token ids")

    def build(self, input_shape):
        self._check_inputs(input_shape)
        if self.embedding is not None:
            self.embedding.build(input_shape)
            input_shape = self.embedding.compute_output_shape(input_shape)
        _, segments, tokens, features = input_shape
        token_shape = (None, tokens, features)
        self.inner_rnn.build(token_shape)
        token_outputs = self.inner_rnn.compute_output_shape(token_shape)
        if self.inner_attention is not None:
            self.inner_attention.build(token_outputs)
        segment_shape = (None, segments, token_outputs[-1])
        self.outer_rnn.build(segment_shape)
        if self.outer_attention is not None:
            self.outer_attention.build(
                self.outer_rnn.compute_output_shape(segment_shape)
            )
        self.built = True

    def token_mask(self, inputs, mask=None):
        """The `(batch, segments, tokens)` boolean token mask, or None if no mask.

        Combines `mask` with the `embedding` layer's mask (when it has one).
        """
        if mask is not None:
            check_rank("mask", mask.shape, 3, "(batch, segments, tokens)")
            mask = ops.cast(mask, "bool")
        if self.embedding is not None and hasattr(self.embedding, "compute_mask"):
            embedding_mask = self.embedding.compute_mask(inputs, None)
            if embedding_mask is not None:
                embedding_mask = ops.cast(embedding_mask, "bool")
                mask = (
                    embedding_mask
                    if mask is None
                    else ops.logical_and(mask, embedding_mask)
                )
        return mask

    def call(self, inputs, mask=None, training=None):
        self._check_inputs(inputs.shape, inputs.dtype)
        token_mask = self.token_mask(inputs, mask)
        x = inputs
        if self.embedding is not None:
            x = self.embedding(inputs, training=training)
        # 1. Fold segments into the batch: (batch * segments, tokens, features).
        # Static sizes stay static (a LiteRT WHILE loop needs a static batch).
        batch, segments = x.shape[0], x.shape[1]
        known = batch is not None and segments is not None
        folded = batch * segments if known else -1
        segments = ops.shape(x)[1] if segments is None else segments
        tokens = ops.shape(x)[2]
        flat_x = ops.reshape(x, (folded, tokens, x.shape[-1]))
        flat_mask = None
        if token_mask is not None:
            flat_mask = ops.reshape(token_mask, (folded, tokens))
        # 2. Inner RNN: one vector per segment, (batch * segments, d_inner).
        token_outputs = self.inner_rnn(flat_x, mask=flat_mask, training=training)
        if self.inner_attention is not None:
            token_outputs = self.inner_attention(token_outputs, mask=flat_mask)
        # 3. Unfold: (batch, segments, d_inner); a segment is real if any token is.
        segment_vectors = ops.reshape(
            token_outputs,
            (-1 if batch is None else batch, segments, token_outputs.shape[-1]),
        )
        segment_mask = None if token_mask is None else ops.any(token_mask, axis=-1)
        # 4. Outer RNN over segments: (batch, d) or (batch, segments, d).
        outputs = self.outer_rnn(segment_vectors, mask=segment_mask, training=training)
        if self.outer_attention is not None:
            outputs = self.outer_attention(outputs, mask=segment_mask)
        return outputs

    def compute_mask(self, inputs, mask=None):
        if not self.return_sequences:
            return None
        token_mask = self.token_mask(inputs, mask)
        return None if token_mask is None else ops.any(token_mask, axis=-1)

    def get_config(self):
        config = {
            "inner": self.inner_config,
            "outer": self.outer_config,
            "inner_pooling": self.inner_pooling,
            "outer_pooling": self.outer_pooling,
            "return_sequences": self.return_sequences,
            "embedding": None
            if self.embedding is None
            else keras.saving.serialize_keras_object(self.embedding),
            "attention_units": self.attention_units,
        }
        return {**super().get_config(), **config}
