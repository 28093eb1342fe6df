"""A stack of recurrent layers, each feeding the next."""

import keras
from keras import ops

from keras_rnn_kit.layers.rnn import RNN
from keras_rnn_kit.layers.rnn_utils import cell_output_size
from keras_rnn_kit.layers.rnn_utils import is_rnn_cell
from keras_rnn_kit.utils.validation import check_floating_dtype
from keras_rnn_kit.utils.validation import check_rank
from keras_rnn_kit.utils.validation import check_rate


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class StackedRNN(keras.layers.Layer):
    """A stacked (deep) RNN: layer `l` reads the output sequence of layer `l - 1`.

        h^0_t = x_t
        h^l_t = cell_l(h^{l-1}_t, h^l_{t-1})             (l = 1..L)
        h^l_t = h^l_t + h^{l-1}_t                         (if `residual`)
        h^l_t = dropout(h^l_t)                            (between layers, training)

    Each cell runs in its own `keras_rnn_kit.layers.RNN` (a `keras.layers.RNN` with
    a fused path for the kit LSTM cells), so kit cells and Keras cells mix
    freely. With `residual=True`, every layer after the first gets a skip
    connection from its input (its width must equal the previous layer's, else a
    `ValueError` names the layer index); the first layer gets one only when the
    input feature width equals its own width (GNMT style: the first layer usually
    maps embeddings to the recurrent width). `dropout_between` drops units of the
    sequence passed from one layer to the next, during training only.

    Masks propagate: a padded step is skipped by every layer (states carry over),
    so a padded batch gives the same outputs at the real steps, and the same final
    output and states, as the unpadded sequences. A returned sequence is zero at
    padded steps.

    Args:
        cells: non-empty list of RNN cells (kit cells such as
            `keras_rnn_kit.cells.LSTMCell`, or Keras cells such as
            `keras.layers.GRUCell`), bottom first; a single cell makes a
            one-layer stack. The cell instances are used as they are (not
            copied).
        return_sequences: bool, return the top layer's full output sequence
            `(batch, time, units_L)` instead of its last output `(batch, units_L)`.
        return_state: bool, also return the final states of every layer.
        residual: bool, add input-to-output skip connections (see above).
        dropout_between: float in [0, 1), dropout rate between layers.
        go_backwards: bool, process the sequence from its end to its start:
            every layer runs with `go_backwards` (reading the previous layer's
            outputs in time order), so with a mask it starts at the last real
            step and the mask it gets stays as given (right-padded masks are what
            cuDNN accepts). As with `keras.layers.RNN`, a returned sequence is in
            processing order (reversed time); its output mask is reversed to
            match.
        seed: int, seed of the between-layer dropout.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: `(batch, time, features)` float tensor.
        initial_state: optional flat list of initial states in the layout of the
            returned states (below).
        mask: optional `(batch, time)` boolean tensor, True at real steps.
        training: bool, whether dropout (between layers and in the cells) applies.

    Returns:
        The output (sequence or last step). With `return_state=True`, the list
        `[output, *states]` where `states` lists every layer's final states in
        order, bottom layer first: e.g. two LSTM cells give
        `[output, h_1, c_1, h_2, c_2]`, each `(batch, units_l)`.

    Example:

    >>> import numpy as np
    >>> from keras_rnn_kit.cells import LSTMCell, VanillaRNNCell
    >>> from keras_rnn_kit.layers import StackedRNN
    >>> stack = StackedRNN([LSTMCell(8), VanillaRNNCell(8)], residual=True)
    >>> stack(np.ones((2, 5, 3), "float32")).shape  # (batch, units)
    TensorShape([2, 8])

    Reference:
        Graves, Mohamed & Hinton, "Speech recognition with deep recurrent neural
        networks", ICASSP 2013; Wu et al., "Google's Neural Machine Translation
        System", 2016 (residual connections between stacked LSTMs).
    """

    def __init__(
        self,
        cells,
        return_sequences=False,
        return_state=False,
        residual=False,
        dropout_between=0.0,
        go_backwards=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        cells = [
            keras.saving.deserialize_keras_object(c) if isinstance(c, dict) else c
            for c in (cells if isinstance(cells, list | tuple) else [cells])
        ]
        if not cells:
            raise ValueError("`cells` must be a non-empty list of RNN cells, got [].")
        for index, cell in enumerate(cells):
            if not is_rnn_cell(cell):
                raise ValueError(
                    f"`cells[{index}]` must be an RNN cell (a layer with `call` and "
                    f"`state_size`, e.g. keras_rnn_kit.cells.LSTMCell), got "
                    f"{cell!r} ({type(cell).__name__})."
                )
        self.cells = cells
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.residual = bool(residual)
        self.dropout_between = check_rate("dropout_between", dropout_between)
        self.go_backwards = bool(go_backwards)
        self.seed = seed
        self.supports_masking = True
        self.units = [cell_output_size(cell) for cell in cells]
        if self.residual:
            for index in range(1, len(cells)):
                if self.units[index] != self.units[index - 1]:
                    raise ValueError(
                        f"`residual=True` needs layer {index} to output the width "
                        f"of its input (layer {index - 1}'s output, "
                        f"{self.units[index - 1]}), got {self.units[index]}. Give the "
                        "stacked cells equal units or set `residual=False`."
                    )
        self.rnn_layers = [
            RNN(
                cell,
                return_sequences=True,
                return_state=True,
                go_backwards=self.go_backwards,
                dtype=self.dtype_policy,
                name=f"rnn_{i}",
            )
            for i, cell in enumerate(cells)
        ]
        self.dropout_layers = [
            keras.layers.Dropout(
                self.dropout_between,
                seed=None if seed is None else seed + i,
                dtype=self.dtype_policy,
                name=f"dropout_{i}",
            )
            for i in range(len(cells) - 1)
        ]
        self.state_counts = [len(layer.state_size) for layer in self.rnn_layers]

    def _input_residual(self, input_dim):
        """Whether the first layer gets a skip connection (widths match)."""
        return self.residual and input_dim == self.units[0]

    def build(self, input_shape):
        check_rank("inputs", input_shape, 3, "(batch, time, features)")
        width = input_shape[-1]
        for layer, units in zip(self.rnn_layers, self.units, strict=True):
            layer.build((input_shape[0], input_shape[1], width))
            width = units
        self.built = True

    def call(self, inputs, initial_state=None, mask=None, training=None):
        check_rank("inputs", inputs.shape, 3, "(batch, time, features)")
        check_floating_dtype("inputs", inputs.dtype)
        states = self._split_initial_state(initial_state)
        if mask is not None:
            mask = ops.cast(mask, "bool")
        x = inputs
        final_states = []
        for index, layer in enumerate(self.rnn_layers):
            # `x` is in time order; with `go_backwards` the layer reverses it (and
            # its mask) itself and returns `sequence` in processing order.
            outputs = layer(
                x, initial_state=states[index], mask=mask, training=training
            )
            sequence, layer_states = outputs[0], list(outputs[1:])
            final_states.extend(layer_states)
            if (index > 0 and self.residual) or (
                index == 0 and self._input_residual(inputs.shape[-1])
            ):
                skip = self._processing_order(x)
                sequence = sequence + ops.cast(skip, sequence.dtype)
            if index < len(self.dropout_layers):
                sequence = self.dropout_layers[index](sequence, training=training)
                x = self._processing_order(sequence)
        # The output, like the top layer's `sequence`, is in processing order.
        if mask is not None:
            mask = self._processing_order(mask)
        if not self.return_sequences:
            output = self._last_output(sequence, mask)
        elif mask is None:
            output = sequence
        else:
            output = ops.where(mask[:, :, None], sequence, ops.zeros_like(sequence))
        if self.return_state:
            return [output, *final_states]
        return output

    def _processing_order(self, sequence):
        """`sequence` (or a mask) reversed in time with `go_backwards`.

        Maps time order to processing order and back (it is its own inverse).
        """
        return ops.flip(sequence, axis=1) if self.go_backwards else sequence

    def _last_output(self, sequence, mask):
        """The top layer's output at the last real step, `(batch, units)`.

        Gathered explicitly: at a padded step the residual sum would add the
        padded input. A row with no real step gives zeros.
        """
        if mask is None:
            return sequence[:, -1]
        steps = ops.arange(ops.shape(mask)[1])
        last = ops.max(ops.where(mask, steps[None, :], -1), axis=1)
        picked = ops.take_along_axis(
            sequence, ops.maximum(last, 0)[:, None, None], axis=1
        )[:, 0]
        return ops.where((last >= 0)[:, None], picked, ops.zeros_like(picked))

    def _split_initial_state(self, initial_state):
        if initial_state is None:
            return [None] * len(self.rnn_layers)
        initial_state = list(initial_state)
        expected = sum(self.state_counts)
        if len(initial_state) != expected:
            raise ValueError(
                f"`initial_state` must list {expected} tensors (the states of every "
                f"layer, bottom first: {self.state_counts}), got {len(initial_state)}."
            )
        states, start = [], 0
        for count in self.state_counts:
            states.append(initial_state[start : start + count])
            start += count
        return states

    def compute_output_shape(self, inputs_shape, initial_state_shape=None):
        batch = inputs_shape[0]
        if self.return_sequences:
            output_shape = (batch, inputs_shape[1], self.units[-1])
        else:
            output_shape = (batch, self.units[-1])
        if not self.return_state:
            return output_shape
        state_shapes = [
            (batch, size) for layer in self.rnn_layers for size in layer.state_size
        ]
        return [output_shape, *state_shapes]

    def compute_mask(self, inputs, mask=None):
        output_mask = None
        if mask is not None and self.return_sequences:
            output_mask = self._processing_order(mask)
        if self.return_state:
            return [output_mask] + [None] * sum(self.state_counts)
        return output_mask

    def get_config(self):
        config = {
            "cells": [keras.saving.serialize_keras_object(c) for c in self.cells],
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "residual": self.residual,
            "dropout_between": self.dropout_between,
            "go_backwards": self.go_backwards,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}
