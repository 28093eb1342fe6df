"""A bidirectional RNN: one pass forwards, one backwards, outputs merged."""

import keras
from keras import ops

from keras_rnn_kit.layers.rnn_utils import rnn_from_config
from keras_rnn_kit.layers.rnn_utils import serialize_rnn
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_floating_dtype
from keras_rnn_kit.utils.validation import check_rank

MERGE_MODES = ("concat", "sum", "ave", "mul", None)


def _merge(merge_mode, forward, backward):
    """Merges two same-shaped tensors by `merge_mode` (not None)."""
    if merge_mode == "concat":
        return ops.concatenate([forward, backward], axis=-1)
    if merge_mode == "sum":
        return forward + backward
    if merge_mode == "ave":
        return (forward + backward) / 2
    return forward * backward


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class BidirectionalRNN(keras.layers.Layer):
    """Runs a recurrent layer over the sequence in both directions and merges them.

        →h_t = RNN_f(x_1..x_t)          ←h_t = RNN_b(x_T'..x_t)
        y_t = merge(→h_t, ←h_t)

    where `T'` is the last real (unmasked) step: with a padding mask the backward
    pass skips the padding and starts at the last real token, exactly as if it
    ran over the reversed unpadded sequence. The backward outputs are flipped back
    to time order before merging, so `y_t` pairs both directions at step t; with
    `return_sequences=True` both directions output zeros at padded steps (as in
    `keras.layers.Bidirectional`).

    `cell_or_layer` may be a cell (it is wrapped in `keras.layers.RNN`) or an
    unbuilt recurrent layer (`keras.layers.LSTM`, `keras.layers.RNN`,
    `StackedRNN`, ...). The forward and backward layers are two fresh copies made
    from its config (with `return_sequences` set by this wrapper), so they do not
    share weights; a built instance is refused, since its weights would be lost.
    Weights copy one to one from `keras.layers.Bidirectional(keras.layers.LSTM(..))`
    when `cell_or_layer` is a `keras_rnn_kit.cells.LSTMCell` or `keras.layers.LSTM`.

    Args:
        cell_or_layer: an RNN cell or an unbuilt recurrent layer (see above).
        merge_mode: how the two directions combine: `"concat"` (default, width
            doubles), `"sum"`, `"ave"`, `"mul"`, or None (return both, unmerged).
        return_sequences: bool, return the merged sequence `(batch, time, d)`
            instead of the merged final outputs `(batch, d)`.
        return_state: bool, also return the merged final states.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `(batch, time, features)` float tensor.
        initial_state: optional list: the forward layer's initial states followed
            by the backward layer's (same layout as each layer's own states).
        mask: optional `(batch, time)` boolean tensor, True at real steps.
        training: bool, whether dropout in the wrapped layers applies.

    Returns:
        `merge(forward, backward)`; with `merge_mode=None` the list
        `[forward, backward]`. With `return_state=True` the merged final states
        follow, one per state of the wrapped layer, in its order: for an LSTM
        `[output, merge(→h, ←h), merge(→c, ←c)]` (with `"concat"` each state is
        `(batch, 2 * units)`, forward half first; with `"sum"` the states are
        added, and so on). With `merge_mode=None` the states are not merged:
        `[forward, backward, *forward_states, *backward_states]`.

    Example:

    >>> import numpy as np
    >>> from keras_rnn_kit.cells import LSTMCell
    >>> from keras_rnn_kit.layers import BidirectionalRNN
    >>> bi = BidirectionalRNN(LSTMCell(4), return_state=True)
    >>> output, h, c = bi(np.ones((2, 5, 3), "float32"))
    >>> output.shape, h.shape, c.shape  # (batch, 2 * units) each
    (TensorShape([2, 8]), TensorShape([2, 8]), TensorShape([2, 8]))

    Reference:
        Schuster & Paliwal, "Bidirectional recurrent neural networks", IEEE
        Transactions on Signal Processing 1997.
    """

    def __init__(
        self,
        cell_or_layer,
        merge_mode="concat",
        return_sequences=False,
        return_state=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.merge_mode = check_choice("merge_mode", merge_mode, MERGE_MODES)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.supports_masking = True
        self.layer_config = serialize_rnn("cell_or_layer", cell_or_layer)
        base_name = self.layer_config["config"].get("name") or "rnn"
        self.forward_layer = rnn_from_config(
            self.layer_config,
            f"forward_{base_name}",
            dtype=self.dtype_policy,
            return_sequences=self.return_sequences,
            return_state=True,
            go_backwards=False,
            zero_output_for_mask=self.return_sequences,
        )
        self.backward_layer = rnn_from_config(
            self.layer_config,
            f"backward_{base_name}",
            dtype=self.dtype_policy,
            return_sequences=self.return_sequences,
            return_state=True,
            go_backwards=True,
            zero_output_for_mask=self.return_sequences,
        )

    def build(self, input_shape):
        check_rank("inputs", input_shape, 3, "(batch, time, features)")
        self.forward_layer.build(input_shape)
        self.backward_layer.build(input_shape)
        self.built = True

    def call(self, inputs, initial_state=None, mask=None, training=None):
        check_rank("inputs", inputs.shape, 3, "(batch, time, features)")
        check_floating_dtype("inputs", inputs.dtype)
        forward_state, backward_state = self._split_initial_state(initial_state)
        if mask is not None:
            mask = ops.cast(mask, "bool")
        forward = self.forward_layer(
            inputs, initial_state=forward_state, mask=mask, training=training
        )
        backward = self.backward_layer(
            inputs, initial_state=backward_state, mask=mask, training=training
        )
        forward, forward_states = forward[0], list(forward[1:])
        backward, backward_states = backward[0], list(backward[1:])
        if self.return_sequences:
            # The backward layer emits in processing order; restore time order.
            backward = ops.flip(backward, axis=1)
        if self.merge_mode is None:
            outputs = [forward, backward]
            states = forward_states + backward_states
        else:
            outputs = [_merge(self.merge_mode, forward, backward)]
            states = [
                _merge(self.merge_mode, f, b)
                for f, b in zip(forward_states, backward_states, strict=True)
            ]
        if self.return_state:
            return outputs + states
        return outputs[0] if self.merge_mode is not None else outputs

    def _split_initial_state(self, initial_state):
        if initial_state is None:
            return None, None
        initial_state = list(initial_state)
        if len(initial_state) % 2:
            raise ValueError(
                "`initial_state` must list the forward states then the backward "
                f"states (an even count), got {len(initial_state)} tensors."
            )
        half = len(initial_state) // 2
        return initial_state[:half], initial_state[half:]

    def compute_output_shape(self, inputs_shape, initial_state_shape=None):
        shapes = self.forward_layer.compute_output_shape(inputs_shape)
        output_shape, state_shapes = tuple(shapes[0]), [tuple(s) for s in shapes[1:]]
        if self.merge_mode is None:
            outputs = [output_shape, output_shape]
            states = state_shapes + state_shapes
        elif self.merge_mode == "concat":
            outputs = [(*output_shape[:-1], output_shape[-1] * 2)]
            states = [(*s[:-1], s[-1] * 2) for s in state_shapes]
        else:
            outputs, states = [output_shape], state_shapes
        if self.return_state:
            return outputs + states
        return outputs[0] if self.merge_mode is not None else outputs

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        count = 2 if self.merge_mode is None else 1
        masks = [output_mask] * count
        if self.return_state:
            state_count = len(self.forward_layer.compute_output_shape((1, 1, 1))) - 1
            masks += [None] * (state_count * (2 if self.merge_mode is None else 1))
        if len(masks) == 1:
            return masks[0]
        return masks

    def get_config(self):
        config = {
            "cell_or_layer": self.layer_config,
            "merge_mode": self.merge_mode,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
        }
        return {**super().get_config(), **config}
