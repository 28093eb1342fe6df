"""Whole-sequence LSTM kernels for the kit cells (TensorFlow's `BlockLSTM`).

`keras.layers.RNN` runs a cell one step at a time in a `tf.while_loop`: a dozen small
ops per step. TensorFlow's fused `BlockLSTM` kernel runs the whole sequence (and,
through its registered gradient, the whole backward pass) in one op, which beats the
loop at small sizes, where those per-step op launches dominate, but not at large
ones, where its per-step matmul is slower. `keras_rnn_kit.layers.RNN` runs it only
when asked (`implementation="fused"`): its `"auto"` choice, the XLA-compiled
`compiled_sequence`, was as fast or faster at every size we measured.

We use `BlockLSTM`, not `BlockLSTMV2`: in TensorFlow 2.21 `BlockLSTMV2`'s registered
gradient is `BlockLSTM`'s (`tensorflow/python/ops/rnn_grad.py` registers one function
for both), which assumes the V1 gate layout `[i, g, f, o]` while the V2 forward pass
uses `[i, f, g, o]`, so V2 gradients are wrong (tests/layers/test_fused_lstm.py checks
ours against the step loop). `BlockLSTM` takes the gates as `[i, g, f, o]`; we permute
the kit's `[i, f, g, o]` weights into that order, and pass `forget_bias=0` and
`cell_clip=0` (no clipping), so it computes exactly the cell's equations.

The original (1997) LSTM has no forget gate; it runs on the same kernel with the
forget-gate weights fixed at zero and its bias at `+1e4`, so `f = σ(1e4) = 1.0`
exactly in float32 and `c_t = c_{t-1} + i ⊙ g`. Since `∂σ/∂z = σ(1 − σ) = 0` there,
no gradient flows into the constant forget-gate parameters.
"""

import tensorflow as tf

from keras_rnn_kit.cells.lstm_cell import LSTMCell
from keras_rnn_kit.cells.original_lstm_cell import OriginalLSTMCell
from keras_rnn_kit.layers import compiled_sequence

# A forget-gate pre-activation this large saturates σ to exactly 1.0 in float32.
_ALWAYS_REMEMBER = 1e4


def fusable(cell):
    """Whether `cell` computes exactly what the fused kernel computes: the two
    LSTM cells' equations with their default activations."""
    return type(cell) in (LSTMCell, OriginalLSTMCell) and compiled_sequence.compilable(
        cell
    )


def _to_kernel_layout(cell, matrix, forget_value):
    """Reorders the gate blocks of `matrix` (last axis) to the kernel's `[i, g, f, o]`.

    `LSTMCell` holds `[i, f, g, o]`; `OriginalLSTMCell` holds `[i, g, o]` and gets a
    constant forget block filled with `forget_value`.
    """
    if isinstance(cell, OriginalLSTMCell):
        i, g, o = tf.split(matrix, 3, axis=-1)
        f = tf.fill(tf.shape(i), tf.constant(forget_value, matrix.dtype))
    else:
        i, f, g, o = tf.split(matrix, 4, axis=-1)
    return tf.concat([i, g, f, o], axis=-1)


def _fused_weights(cell):
    """Returns `(w, b)` in the kernel's layout: `w = [W; U]`, gates `[i, g, f, o]`."""
    bias = cell.bias if cell.use_bias else tf.zeros((cell.gate_count * cell.units,))
    kernel = _to_kernel_layout(cell, cell.kernel, 0.0)
    recurrent_kernel = _to_kernel_layout(cell, cell.recurrent_kernel, 0.0)
    w = tf.concat([kernel, recurrent_kernel], axis=0)
    return w, _to_kernel_layout(cell, bias, _ALWAYS_REMEMBER)


def fused_lstm(
    cell, sequences, initial_state, go_backwards=False, return_sequences=True
):
    """Runs `cell` over `sequences` with one `BlockLSTM` op.

    Args:
        cell: a built `LSTMCell` or `OriginalLSTMCell` (see `fusable`).
        sequences: `(batch, time, input_dim)` float32.
        initial_state: `[h_0, c_0]`, each `(batch, units)`.
        go_backwards: process the sequence from the last step to the first.
        return_sequences: whether `outputs` holds every step or only the last.

    Returns:
        `(last_output, outputs, [h_T, c_T])` as `keras.layers.RNN.inner_loop` returns
        them: `outputs` is `(batch, time, units)` in processing order, or
        `(batch, 1, units)` when `return_sequences` is False.
    """
    w, b = _fused_weights(cell)
    steps = compiled_sequence.time_major(sequences, go_backwards)
    h_0, c_0 = initial_state
    peephole = tf.zeros((cell.units,), sequences.dtype)
    _, cs, _, _, _, _, h = tf.raw_ops.BlockLSTM(
        seq_len_max=tf.cast(tf.shape(steps)[0], tf.int64),
        x=steps,
        cs_prev=c_0,
        h_prev=h_0,
        w=w,
        wci=peephole,
        wcf=peephole,
        wco=peephole,
        b=b,
        forget_bias=0.0,
        cell_clip=0.0,
        use_peephole=False,
    )
    outputs = compiled_sequence.batch_major_outputs(h, return_sequences)
    return h[-1], outputs, [h[-1], cs[-1]]
