"""Whole-sequence kit cells compiled with XLA, with a hand-written BPTT gradient.

`keras.layers.RNN` runs a cell one step at a time: per step a dozen TensorFlow ops,
each launched on its own, and autodiff of the `tf.while_loop` adds as many again
to the backward pass. Here only what truly depends on the previous step stays in
a loop over time, and each such loop is one XLA program
(`tf.function(jit_compile=True)`), which removes the per-op launch cost:

- forward: the input projection `X W + b` of all steps is ONE matmul; the XLA
  loop computes only `z_t = (x_t W + b) + h_{t-1} U` and the cell's equations,
  and, in training, keeps the gate activations and `c_t` for the backward pass;
- backward (`tf.custom_gradient` around the loop): a reverse XLA loop computes
  only the per-step pre-activation gradients `dz_t` and `dh_{t-1} = dz_t U^T`;
  the weight and input gradients are then big matmuls over all steps at once:
  `dU = H_{prev}^T dZ`, and, by TensorFlow's autodiff of the projection,
  `dW = X^T dZ`, `db = Σ dZ`, `dX = dZ W^T`.

Keras's semantics are kept exactly:

- a mask (any mask: right- or left-padded, rows with no step at all) freezes the
  states at masked steps, and the output there holds the previous output (zero
  before the first real step), or is zero with `zero_output_for_mask`, as
  `keras.layers.RNN`'s step loop does;
- variational dropout uses the cell's own per-sequence masks
  (`get_dropout_mask`, `get_recurrent_dropout_mask`): the input mask multiplies
  `X` before the projection, the recurrent one `h_{t-1}` before `U`.

XLA compiles one program per input shape. So that many distinct sequence lengths
do not mean many compiles, the time axis is padded to the next power of two
(at least `MIN_BUCKET`) and the loops stop at the true length, a run-time value:
the padding costs memory, not steps. Lengths 1 to 128 compile 5 programs. Even so
a compile costs more than a few inference calls save, so traced inference runs
the loop as plain ops until that has cost a compile (`INFERENCE_TIER`).

Higher-order and forward-mode autodiff are exact too: the hand-written first-order
gradient is itself differentiable, its own gradient taken by TensorFlow's autodiff
of a plain (non-XLA) `tf.while_loop` over the same equations. Only a second tape
(gradient penalties, Hessian-vector products) or a `tf.autodiff.ForwardAccumulator`
ever runs that slower loop.
"""

import math

import keras
import tensorflow as tf

from keras_rnn_kit.cells.lstm_cell import LSTMCell
from keras_rnn_kit.cells.original_lstm_cell import OriginalLSTMCell
from keras_rnn_kit.cells.vanilla_rnn_cell import VanillaRNNCell
from keras_rnn_kit.layers.compile_when_repaid import CompileWhenRepaid

# The cell classes this module computes exactly, by the name of their equations.
KINDS = {VanillaRNNCell: "vanilla", LSTMCell: "lstm", OriginalLSTMCell: "original_lstm"}

# The shortest padded time length (see `bucket_length`). Padded to 32, short masked
# inputs (questions, numbers, captions: 8-20 steps, batch 64) trained at 0.6-0.9x
# Keras's step loop: the stored steps and their gradients are padded arrays. With 8,
# the applications' steady epochs went from 0.85 / 1.02 / 1.01 / 1.12x Keras to
# 0.98 / 1.08 / 1.05 / 1.19x (translation, VQA, visual dialog, sentiment), for one
# or two more compiles in the first epoch.
MIN_BUCKET = 8

# Traced inference (`model.predict`, `evaluate`) runs the loop as plain ops until
# they have cost a compile, per padded length and batch size; training always
# runs compiled (a `fit` repeats its shapes).
INFERENCE_TIER = CompileWhenRepaid(compile_seconds=0.25, min_length=MIN_BUCKET)


def _tiered(training):
    """Whether a call goes through `INFERENCE_TIER`: traced inference. Its
    inputs reach the loop unpadded, and only the XLA branch pads them (a
    gradient taken through such a call, under a tape around `training=False`,
    runs the XLA forward and backward programs at the true length)."""
    return not training and INFERENCE_TIER.applies()


def compilable(cell):
    """Whether `cell` computes exactly the equations this module implements."""
    kind = KINDS.get(type(cell))
    if kind is None or cell.activation is not keras.activations.tanh:
        return False
    return kind == "vanilla" or cell.recurrent_activation is keras.activations.sigmoid


def bucket_length(steps):
    """The padded time length for `steps` steps: the next power of two >= `steps`.

    Args:
        steps: int32 scalar tensor (or int), the true number of time steps.

    Returns:
        int32 scalar tensor, at least `MIN_BUCKET`.

    Example:

    >>> [int(bucket_length(n)) for n in (1, 8, 9, 32, 33, 100)]
    [8, 8, 16, 32, 64, 128]
    """
    steps = tf.cast(tf.maximum(steps, MIN_BUCKET), tf.float64)
    # log2 of an integer below 2^29 is at least 1e-9 from the next integer unless
    # it is one, so the slack only absorbs the rounding of log(2^k) / log(2).
    exponent = tf.math.ceil(tf.math.log(steps) / math.log(2.0) - 1e-9)
    return tf.cast(tf.pow(tf.constant(2.0, tf.float64), exponent), tf.int32)


def _gate_activations(kind, z):
    """`[σ(z_i), σ(z_f), tanh(z_g), σ(z_o)]` (`[i, g, o]` without a forget gate).

    With `σ(z) = (1 + tanh(z / 2)) / 2`, all gates take ONE `tanh` over the whole
    pre-activation: XLA's CPU `tanh` is a fast vectorised polynomial, while its
    `logistic` (an `exp` and a division) doubled the step time in our measurements.
    """
    units = z.shape[-1] // (4 if kind == "lstm" else 3)
    blocks = "ifgo" if kind == "lstm" else "igo"
    scale = [1.0 if gate == "g" else 0.5 for gate in blocks for _ in range(units)]
    shift = [0.0 if gate == "g" else 0.5 for gate in blocks for _ in range(units)]
    scale = tf.constant(scale, z.dtype)
    return tf.tanh(z * scale) * scale + tf.constant(shift, z.dtype)


def _step(kind, z, c_tm1):
    """One step from the pre-activation `z_t`; returns `(h_t, c_t, gates_t)`."""
    if kind == "vanilla":
        # h_t = tanh(z_t)
        return tf.tanh(z), None, None
    gates = _gate_activations(kind, z)
    if kind == "lstm":
        i, f, g, o = tf.split(gates, 4, axis=-1)
        # c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
        c = f * c_tm1 + i * g
    else:
        i, g, o = tf.split(gates, 3, axis=-1)
        # c_t = c_{t-1} + i_t ⊙ g_t
        c = c_tm1 + i * g
    # h_t = o_t ⊙ tanh(c_t)
    return o * tf.tanh(c), c, gates


def _step_gradient(kind, dh, dc, h, c, c_tm1, gates):
    """Backward of `_step`: from `∂L/∂h_t` and `∂L/∂c_t`, returns `(dz_t, dc_{t-1})`.

    Zero incoming gradients give zero outgoing ones whatever the stored values,
    which is what lets masked steps run through it.
    """
    if kind == "vanilla":
        # ∂tanh(z)/∂z = 1 - h_t²
        return dh * (1.0 - h * h), None
    tanh_c = tf.tanh(c)
    if kind == "lstm":
        i, f, g, o = tf.split(gates, 4, axis=-1)
    else:
        i, g, o = tf.split(gates, 3, axis=-1)
    # h_t = o ⊙ tanh(c_t) adds dh ⊙ o ⊙ (1 - tanh²(c_t)) to ∂L/∂c_t.
    dc = dc + dh * o * (1.0 - tanh_c * tanh_c)
    dz_i = dc * g * i * (1.0 - i)
    dz_g = dc * i * (1.0 - g * g)
    dz_o = dh * tanh_c * o * (1.0 - o)
    if kind == "lstm":
        dz_f = dc * c_tm1 * f * (1.0 - f)
        return tf.concat([dz_i, dz_f, dz_g, dz_o], axis=-1), dc * f
    return tf.concat([dz_i, dz_g, dz_o], axis=-1), dc


def time_major(sequences, go_backwards):
    """`(batch, time, ...)` to `(time, batch, ...)` in processing order."""
    rank = len(sequences.shape)
    steps = tf.transpose(sequences, [1, 0, *range(2, rank)])
    return tf.reverse(steps, axis=[0]) if go_backwards else steps


def batch_major_outputs(hs, return_sequences):
    """`keras.layers.RNN.inner_loop`'s `outputs` from the time-major `h_t` of all
    steps: `(batch, time, units)`, or `(batch, 1, units)` holding `h_T`."""
    return tf.transpose(hs, [1, 0, 2]) if return_sequences else hs[-1][:, None]


def _pad_time(tensor, length):
    """Pads the leading (time) axis of `tensor` with zeros up to `length`."""
    padding = [[0, length - tf.shape(tensor)[0]]] + [[0, 0]] * (len(tensor.shape) - 1)
    return tf.pad(tensor, padding)


def _padded(xw, steps, mask):
    """`xw` and the time-major bool `mask` (or None) zero-padded (False-padded)
    along time to `bucket_length(steps)`, which the XLA programs are compiled for."""
    length = bucket_length(steps)
    if mask is not None:
        mask = tf.cast(_pad_time(tf.cast(mask, tf.int8), length), tf.bool)
    return _pad_time(xw, length), mask


def _run_forward(
    kind, flags, xw, steps, mask, recurrent_mask, states, recurrent_kernel
):
    """The loop over time, as plain TensorFlow ops (see `_forward` for the args).

    `_forward` compiles it with XLA; the second-order gradient differentiates it
    as it is. Arrays hold `len(xw)` rows (the padded length; `steps` in the
    plain loop of traced inference), zero past `steps`.
    """
    keep_outs, store, zero_output = flags
    length = tf.shape(xw)[0]
    h_0 = states[0]
    # The vanilla cell has no cell state: its `c` carry stays zero.
    c_0 = states[1] if kind != "vanilla" else tf.zeros_like(h_0)
    keep_gates = store and kind != "vanilla"
    # Without a mask the output sequence is the state sequence: kept once.
    keep_outs = keep_outs and (mask is not None or not store)

    def body(t, h, c, out, outs, hs, cs, gates_seq):
        h_in = h if recurrent_mask is None else h * recurrent_mask
        # z_t = (x_t W + b) + h_{t-1} U
        z = xw[t] + tf.matmul(h_in, recurrent_kernel)
        h_new, c_new, gates = _step(kind, z, c)
        if mask is None:
            h, out = h_new, h_new
            c = c if c_new is None else c_new
        else:
            # Masked steps keep the states; the output holds (or is zero).
            m = mask[t]
            h = tf.where(m, h_new, h)
            c = c if c_new is None else tf.where(m, c_new, c)
            out = tf.where(m, h_new, tf.zeros_like(out) if zero_output else out)
        if keep_outs:
            outs = outs.write(t, out)
        if store:
            hs = hs.write(t, h)
        if keep_gates:
            cs = cs.write(t, c)
            gates_seq = gates_seq.write(t, gates)
        return t + 1, h, c, out, outs, hs, cs, gates_seq

    def new_array(keep, like):
        if not keep:
            return ()
        return tf.TensorArray(like.dtype, size=length, element_shape=like.shape)

    arrays = (
        new_array(keep_outs, h_0),
        new_array(store, h_0),
        new_array(keep_gates, c_0),
        new_array(keep_gates, xw[0]),
    )
    _, h_last, c_last, out_last, outs, hs, cs, gates_seq = tf.while_loop(
        lambda t, *_: t < steps,
        body,
        (tf.constant(0), h_0, c_0, tf.zeros_like(h_0), *arrays),
        maximum_iterations=length,
    )
    finals = (h_last,) if kind == "vanilla" else (h_last, c_last)
    hs = hs.stack() if store else None
    if keep_outs:
        outputs = outs.stack()
    elif flags[0]:
        outputs = hs
    else:
        outputs = out_last
    return (
        outputs,
        finals,
        (
            hs,
            cs.stack() if keep_gates else None,
            gates_seq.stack() if keep_gates else None,
        ),
    )


@tf.function(jit_compile=True, autograph=False)
def _forward(kind, flags, xw, steps, mask, recurrent_mask, states, recurrent_kernel):
    """The loop over time, one XLA program.

    Args:
        kind: a value of `KINDS`.
        flags: `(keep_outs, store, zero_output)`: return every step's output (else
            the last); also return what the backward pass needs; masked outputs
            are zero (else they hold the previous output).
        xw: `(length, batch, gates * units)`, `x_t W + b` in processing order,
            zero-padded to `length >= steps`.
        steps: int32 scalar, the number of real steps.
        mask: `(length, batch, 1)` bool, or None.
        recurrent_mask: `(batch, units)` dropout mask of `h_{t-1}`, or None.
        states: `(h_0,)` or `(h_0, c_0)`, each `(batch, units)`.
        recurrent_kernel: `U`, `(units, gates * units)`.

    Returns:
        `(outputs, final_states, stored)`: `outputs` `(length, batch, units)` or
        the last output `(batch, units)`; the final states (like `states`); and, if
        `store`, `(hs, cs, gates)`: the states `h_t`, `c_t` and the gate
        activations of every step (`None` where the cell has none), else
        `(None, None, None)`.
    """
    return _run_forward(
        kind, flags, xw, steps, mask, recurrent_mask, states, recurrent_kernel
    )


@tf.function(autograph=False)
def _forward_when_repaid(kind, flags, *args):
    """`(outputs, *final_states)` of `_forward(kind, flags, *args)` (whose args
    it takes, but with `xw` and `mask` not padded: `steps` long), from the XLA
    program or, until that would have repaid its compile, from the same loop as
    plain ops: `INFERENCE_TIER` decides at run time. Only the XLA program's
    inputs are padded (`_padded`), inside its branch, so the plain loop's
    traces carry no padding. For inference only (no `store` flag). Like
    `_forward`, traced once per cell kind and flags when called on `_any_shape`
    arguments.
    """
    return_sequences = flags[0]

    def plain(*args):
        outputs, finals, _ = _run_forward(kind, flags, *args)
        return (outputs, *finals)

    def compiled(xw, steps, mask, *rest):
        xw, mask = _padded(xw, steps, mask)
        outputs, finals, _ = _forward(kind, flags, xw, steps, mask, *rest)
        return (outputs[:steps] if return_sequences else outputs, *finals)

    xw, steps = args[:2]
    length = bucket_length(steps)
    batch = tf.shape(xw)[1]
    return INFERENCE_TIER(plain, compiled, *args, length=length, batch=batch)


@tf.function(jit_compile=True, autograph=False)
def _backward(
    kind,
    zero_output,
    stored,
    steps,
    mask,
    recurrent_mask,
    states,
    recurrent_kernel,
    d_outs,
    d_last,
    d_finals,
):
    """The reverse loop over time, one XLA program.

    Args:
        kind, steps, mask, recurrent_mask, states, recurrent_kernel: as `_forward`
            took them; `zero_output` as in its `flags`.
        stored: `(hs, cs, gates)` as `_forward` returned them with `store`.
        d_outs: `∂L/∂` every step's output, `(length, batch, units)`, or None
            when only the last output is returned.
        d_last: `∂L/∂` the last output, or None when every output is returned.
        d_finals: `∂L/∂` each final state.

    Returns:
        `(dz, d_states)`: `dz` `(length, batch, gates * units)`, `∂L/∂z_t` at every
        step (zero past `steps`), and `∂L/∂` each initial state.
    """
    hs, cs, gates_seq = stored
    length = tf.shape(hs)[0]
    # dh_{t-1} = dz_t U^T, with U^T laid out once outside the loop.
    recurrent_transposed = tf.transpose(recurrent_kernel)
    # c_{t-1} and c_t are cs_all[t] and cs_all[t + 1].
    cs_all = None if kind == "vanilla" else tf.concat([states[1][None], cs], 0)
    zeros = tf.zeros_like(states[0])

    def body(t, dz_seq, dh, dc, dout):
        g_out = dout if d_outs is None else dout + d_outs[t]
        if mask is None:
            dh_new, dc_new = dh + g_out, dc
        else:
            m = tf.cast(mask[t], dh.dtype)
            dh_new, dc_new = m * (dh + g_out), m * dc
        if kind == "vanilla":
            dz, dc_tm1 = _step_gradient(kind, dh_new, None, hs[t], None, None, None)
            dc_tm1 = zeros
        else:
            dz, dc_tm1 = _step_gradient(
                kind, dh_new, dc_new, None, cs_all[t + 1], cs_all[t], gates_seq[t]
            )
        dh_tm1 = tf.matmul(dz, recurrent_transposed)
        if recurrent_mask is not None:
            dh_tm1 = dh_tm1 * recurrent_mask
        if mask is None:
            dout = zeros
        else:
            # A masked step passed the states (and the held output) through.
            dh_tm1 = dh_tm1 + (1.0 - m) * dh
            dc_tm1 = dc_tm1 + (1.0 - m) * dc
            dout = zeros if zero_output else (1.0 - m) * g_out
        return t - 1, dz_seq.write(t, dz), dh_tm1, dc_tm1, dout

    dz_seq = tf.TensorArray(
        hs.dtype, size=length, element_shape=[hs.shape[1], recurrent_kernel.shape[1]]
    )
    dc_last = d_finals[1] if kind != "vanilla" else zeros
    _, dz_seq, dh_0, dc_0, _ = tf.while_loop(
        lambda t, *_: t >= 0,
        body,
        (steps - 1, dz_seq, d_finals[0], dc_last, zeros if d_last is None else d_last),
        maximum_iterations=length,
    )
    d_states = (dh_0,) if kind == "vanilla" else (dh_0, dc_0)
    return dz_seq.stack(), d_states


def _any_shape(structure):
    """`structure`'s tensors with every axis but the last unknown to the graph.

    Inside a traced function (Keras's `predict`/`train_step`, which retraces for
    new shapes), each distinct input shape would trace a new concrete `_forward`
    / `_backward`, and XLA, whose cache is keyed by the concrete function, would
    compile again although the padded shapes (`bucket_length`) are the same.
    With only the last axis known, every call of one cell kind traces one
    concrete function, compiled once per padded shape. At run time this is an
    identity (`PlaceholderWithDefault`); eager calls are left as they are.
    """
    if tf.executing_eagerly():
        return structure

    def relaxed(tensor):
        rank = None if tensor is None else tensor.shape.rank
        if rank is None or rank < 2:
            return tensor
        shape = [None] * (rank - 1) + [tensor.shape[-1]]
        return tf.raw_ops.PlaceholderWithDefault(input=tensor, shape=shape)

    return tf.nest.map_structure(relaxed, structure)


def _with_shapes(tensors, shapes):
    """`tensors` (results of `_any_shape` calls) with the static `shapes` known
    to the caller restored; returns them as a list."""
    for tensor, shape in zip(tensors, shapes, strict=True):
        tensor.set_shape(shape)
    return list(tensors)


def _zeros_where_none(gradients, like):
    return tuple(
        tf.zeros_like(x) if g is None else g
        for g, x in zip(gradients, like, strict=True)
    )


def _recurrence(kind, flags, steps, mask, recurrent_mask):
    """The loop over time as a differentiable function of `(xw, U, *states)`.

    It returns `(outputs, *final_states)`, `outputs` as `_forward` returns them.
    `steps`, `mask` and `recurrent_mask` are constants of the function.
    """
    return_sequences, training, zero_output = flags
    loop_args = (steps, mask, recurrent_mask)

    def reference(xw, recurrent_kernel, *states):
        """The same function in plain ops, for TensorFlow's autodiff."""
        outputs, finals, _ = _run_forward(
            kind,
            (return_sequences, False, zero_output),
            xw,
            *loop_args,
            tuple(states),
            recurrent_kernel,
        )
        return (outputs, *finals)

    def first_order_gradient(inputs, outputs, stored, upstream):
        """`∂L/∂inputs` from the `upstream` gradients of `outputs`, by the XLA
        backward; differentiable (its gradient differentiates `reference`)."""

        @tf.custom_gradient
        def gradient_of(*args):
            # The tape must not trace into the XLA programs (their loops cannot
            # hand TensorLists out of XLA); the gradient is `second_order` below.
            xw, recurrent_kernel, *states = [
                tf.stop_gradient(a) for a in args[: len(inputs)]
            ]
            d_outputs, *d_finals = [tf.stop_gradient(a) for a in args[len(inputs) :]]
            states = tuple(states)
            if stored is None:
                _, _, kept = _forward(
                    kind,
                    (return_sequences, True, zero_output),
                    *_any_shape((xw, *loop_args, states)),
                    recurrent_kernel,
                )
            else:
                kept = stored
            dz, d_states = _backward(
                kind,
                zero_output,
                *_any_shape((kept, steps, mask, recurrent_mask, states)),
                recurrent_kernel,
                *_any_shape(
                    (
                        d_outputs if return_sequences else None,
                        None if return_sequences else d_outputs,
                        tuple(d_finals),
                    )
                ),
            )
            [dz] = _with_shapes([dz], [xw.shape])
            d_states = _with_shapes(d_states, [s.shape for s in states])
            # dU = H_prev^T dZ over the real steps, H_prev = [h_0, ..., h_{T-2}].
            h_prev = tf.concat([states[0][None], kept[0][: steps - 1]], 0)
            if recurrent_mask is not None:
                h_prev = h_prev * recurrent_mask
            units, width = recurrent_kernel.shape
            d_recurrent = tf.matmul(
                tf.reshape(h_prev, [-1, units]),
                tf.reshape(dz[:steps], [-1, width]),
                transpose_a=True,
            )
            gradients = (dz, d_recurrent, *d_states)

            def second_order(*d_gradients):
                d_gradients = _zeros_where_none(d_gradients, gradients)
                with tf.GradientTape() as outer:
                    outer.watch(args)
                    with tf.GradientTape() as inner:
                        inner.watch(args[: len(inputs)])
                        results = reference(*args[: len(inputs)])
                    firsts = inner.gradient(
                        results,
                        list(args[: len(inputs)]),
                        output_gradients=list(args[len(inputs) :]),
                    )
                return outer.gradient(
                    _zeros_where_none(firsts, args[: len(inputs)]),
                    list(args),
                    output_gradients=list(d_gradients),
                )

            return gradients, second_order

        return gradient_of(*inputs, *_zeros_where_none(upstream, outputs))

    def forward(xw, recurrent_kernel, states):
        """`_forward`'s results; traced inference goes through `INFERENCE_TIER`."""
        forward_flags = (return_sequences, training, zero_output)
        relaxed = _any_shape((xw, *loop_args, states))
        if not _tiered(training):
            return _forward(kind, forward_flags, *relaxed, recurrent_kernel)
        outputs, *finals = _forward_when_repaid(
            kind, forward_flags, *relaxed, recurrent_kernel
        )
        return outputs, tuple(finals), None

    @tf.custom_gradient
    def recurrence(xw, recurrent_kernel, *states):
        inputs = (xw, recurrent_kernel, *states)
        outputs, finals, stored = forward(
            tf.stop_gradient(xw),
            tf.stop_gradient(recurrent_kernel),
            tuple(tf.stop_gradient(s) for s in states),
        )
        # (length, batch, units), or the last output (batch, units).
        outputs_shape = xw.shape[:-1] + outputs.shape[-1:]
        state_shapes = [s.shape for s in states]
        results = (
            *_with_shapes(
                [outputs], [outputs_shape if return_sequences else state_shapes[0]]
            ),
            *_with_shapes(finals, state_shapes),
        )

        def gradient(*upstream):
            return first_order_gradient(
                inputs, results, stored if training else None, upstream
            )

        return results, gradient

    return recurrence


def _dropout_masks(cell, sequences, initial_state, training):
    """The cell's variational dropout masks `(input_mask, recurrent_mask)` for this
    call, each None when not active: the very masks its step loop would use."""
    if not training:
        return None, None
    input_mask = recurrent_mask = None
    if cell.dropout > 0:
        input_mask = cell.get_dropout_mask(sequences[:, 0])
    if cell.recurrent_dropout > 0:
        recurrent_mask = cell.get_recurrent_dropout_mask(initial_state[0])
    return input_mask, recurrent_mask


def compiled_sequence(
    cell,
    sequences,
    initial_state,
    mask=None,
    go_backwards=False,
    return_sequences=True,
    zero_output_for_mask=False,
    training=False,
):
    """Runs `cell` over `sequences` with an XLA time loop and a hand-written gradient.

    Args:
        cell: a built `VanillaRNNCell`, `LSTMCell` or `OriginalLSTMCell` (see
            `compilable`).
        sequences: `(batch, time, input_dim)` float32.
        initial_state: the cell's states, `[h_0]` or `[h_0, c_0]`, each
            `(batch, units)`.
        mask: `(batch, time)` bool, True at real steps, or None.
        go_backwards: process the sequence from the last step to the first.
        return_sequences: whether `outputs` holds every step or only the last.
        zero_output_for_mask: whether masked steps output zeros (else the last
            real step's output), as in `keras.layers.RNN`.
        training: whether dropout is active and the forward pass keeps what the
            backward pass needs (when False, a gradient, if one is asked for,
            reruns the forward pass).

    Returns:
        `(last_output, outputs, final_states)` as `keras.layers.RNN.inner_loop`
        returns them: `outputs` is `(batch, time, units)` in processing order, or
        `(batch, 1, units)` when `return_sequences` is False.

    Example:

    >>> import numpy as np
    >>> from keras_rnn_kit.cells import LSTMCell
    >>> cell = LSTMCell(4)
    >>> cell.build((None, 3))
    >>> x = np.ones((2, 5, 3), "float32")
    >>> mask = np.array([[True] * 5, [True, True, False, False, False]])
    >>> last, outputs, states = compiled_sequence(
    ...     cell, x, cell.get_initial_state(2), mask=mask
    ... )
    >>> outputs.shape, len(states)  # (batch, time, units), [h_T, c_T]
    (TensorShape([2, 5, 4]), 2)
    """
    sequences = tf.convert_to_tensor(sequences)
    input_mask, recurrent_mask = _dropout_masks(
        cell, sequences, initial_state, training
    )
    if input_mask is not None:
        sequences = sequences * input_mask[:, None, :]
    if recurrent_mask is not None:
        # A constant of the loop (the tape must not trace into the XLA programs).
        recurrent_mask = tf.stop_gradient(recurrent_mask)
    kernel = tf.convert_to_tensor(cell.kernel)
    x = time_major(sequences, go_backwards)
    steps = tf.shape(x)[0]
    # X W + b for every step in one matmul: (time, batch, gates * units).
    xw = tf.tensordot(x, kernel, axes=1)
    if cell.use_bias:
        xw = xw + tf.convert_to_tensor(cell.bias)
    if mask is not None:
        mask = tf.cast(mask, tf.bool)
        if len(mask.shape) == 3:  # (batch, time, 1)
            mask = mask[..., 0]
        mask = time_major(mask[..., None], go_backwards)
    if not _tiered(training):
        xw, mask = _padded(xw, steps, mask)
    flags = (bool(return_sequences), bool(training), bool(zero_output_for_mask))
    recurrence = _recurrence(KINDS[type(cell)], flags, steps, mask, recurrent_mask)
    outputs, *finals = recurrence(
        xw, tf.convert_to_tensor(cell.recurrent_kernel), *initial_state
    )
    if not return_sequences:
        return outputs, outputs[:, None], finals
    outputs = outputs[:steps]
    return outputs[-1], batch_major_outputs(outputs, True), finals
