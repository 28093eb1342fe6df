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

The big matmuls are ordinary TensorFlow ops outside XLA: TensorFlow's CPU matmul
was faster than XLA's at these shapes, and graph pruning skips `dX` when the
inputs need no gradient.

Gradients reach the inputs, the initial states, every weight, and flow in from the
outputs and from the final states. In inference (`training=False`) the forward
program stores nothing; if a gradient is asked for anyway (saliency, gradient-flow
diagnostics), the backward pass first reruns the storing forward program.

XLA compiles one program per input shape (batch, time, features): the first call
at a new shape pays the compile time (see `keras_rnn_kit.layers.RNN`).
"""

import keras
import tensorflow as tf

from keras_rnn_kit.cells.lstm_cell import LSTMCell
from keras_rnn_kit.cells.original_lstm_cell import OriginalLSTMCell
from keras_rnn_kit.cells.vanilla_rnn_cell import VanillaRNNCell

# The cell classes this module computes exactly, by the name of their equations.
KINDS = {VanillaRNNCell: "vanilla", LSTMCell: "lstm", OriginalLSTMCell: "original_lstm"}


def compilable(cell):
    """Whether `cell` computes exactly the equations this module implements."""
    kind = KINDS.get(type(cell))
    if kind is None or cell.activation is not keras.activations.tanh:
        return False
    return kind == "vanilla" or cell.recurrent_activation is keras.activations.sigmoid


def _gate_activations(kind, z):
    """`[σ(z_i), σ(z_f), tanh(z_g), σ(z_o)]` (`[i, g, o]` without a forget gate).

    With `σ(z) = (1 + tanh(z / 2)) / 2`, all gates take ONE `tanh` over the whole
    pre-activation: XLA's CPU `tanh` is a fast vectorised polynomial, while its
    `logistic` (an `exp` and a division) doubled the step time in our measurements.
    """
    units = z.shape[-1] // (4 if kind == "lstm" else 3)
    blocks = "ifgo" if kind == "lstm" else "igo"
    scale = tf.constant(
        [1.0 if gate == "g" else 0.5 for gate in blocks for _ in range(units)]
    )
    shift = tf.constant(
        [0.0 if gate == "g" else 0.5 for gate in blocks for _ in range(units)]
    )
    return tf.tanh(z * scale) * scale + shift


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
    """Backward of `_step`: from `∂L/∂h_t` and `∂L/∂c_t`, returns `(dz_t, dc_{t-1})`."""
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
    steps = tf.transpose(sequences, [1, 0, 2])
    return tf.reverse(steps, axis=[0]) if go_backwards else steps


def batch_major_outputs(hs, return_sequences):
    """`keras.layers.RNN.inner_loop`'s `outputs` from the time-major `h_t` of all
    steps: `(batch, time, units)`, or `(batch, 1, units)` holding `h_T`."""
    return tf.transpose(hs, [1, 0, 2]) if return_sequences else hs[-1][:, None]


@tf.function(jit_compile=True, autograph=False)
def _forward(kind, keep_hs, store, xw, states, recurrent_kernel):
    """The loop over time, one XLA program.

    Args:
        kind: a value of `KINDS`.
        keep_hs: whether to return every `h_t`.
        store: whether to also return what the backward pass needs, `c_t` and
            the gate activations (implies `keep_hs`).
        xw: `(time, batch, gates * units)`, `x_t W + b` in processing order.
        states: `(h_0,)` or `(h_0, c_0)`, each `(batch, units)`.
        recurrent_kernel: `U`, `(units, gates * units)`.

    Returns:
        `(hs, final_states, cs, gates)`: `hs` `(time, batch, units)` or `None`,
        the final states (like `states`), and, if `store` (and the cell has a
        cell state), `cs` `(time, batch, units)` and `gates`
        `(time, batch, gates * units)`, else `None`.
    """
    steps = tf.shape(xw)[0]
    h_0 = states[0]
    # The vanilla cell has no cell state: its `c` carry stays zero.
    c_0 = states[1] if kind != "vanilla" else tf.zeros_like(h_0)
    keep_hs = keep_hs or store
    keep_gates = store and kind != "vanilla"

    def body(t, h, c, hs, cs, gates_seq):
        # z_t = (x_t W + b) + h_{t-1} U
        z = xw[t] + tf.matmul(h, recurrent_kernel)
        h, c_new, gates = _step(kind, z, c)
        c = c if c_new is None else c_new
        if keep_hs:
            hs = hs.write(t, h)
        if keep_gates:
            cs = cs.write(t, c)
            gates_seq = gates_seq.write(t, gates)
        return t + 1, h, c, hs, cs, gates_seq

    def new_array(keep, like):
        if not keep:
            return ()
        return tf.TensorArray(like.dtype, size=steps, element_shape=like.shape)

    arrays = (
        new_array(keep_hs, h_0),
        new_array(keep_gates, c_0),
        new_array(keep_gates, xw[0]),
    )
    _, h_last, c_last, hs, cs, gates_seq = tf.while_loop(
        lambda t, *_: t < steps,
        body,
        (tf.constant(0), h_0, c_0, *arrays),
        maximum_iterations=steps,
    )
    finals = (h_last,) if kind == "vanilla" else (h_last, c_last)
    return (
        hs.stack() if keep_hs else None,
        finals,
        cs.stack() if keep_gates else None,
        gates_seq.stack() if keep_gates else None,
    )


@tf.function(jit_compile=True, autograph=False)
def _backward(kind, hs, cs, gates_seq, states, recurrent_kernel, d_hs, d_finals):
    """The reverse loop over time, one XLA program.

    Args:
        kind, hs, cs, gates_seq, states, recurrent_kernel: as `_forward` took and
            stored them.
        d_hs: `∂L/∂h_t` for every step, `(time, batch, units)`, or `None` when
            only the final states reach the loss.
        d_finals: `∂L/∂` each final state.

    Returns:
        `(dz, d_states)`: `dz` `(time, batch, gates * units)`, `∂L/∂z_t` at every
        step, and `∂L/∂` each initial state.
    """
    steps = tf.shape(hs)[0]
    # dh_{t-1} = dz_t U^T, with U^T laid out once outside the loop.
    recurrent_transposed = tf.transpose(recurrent_kernel)
    # c_{t-1} and c_t are cs_all[t] and cs_all[t + 1].
    cs_all = None if kind == "vanilla" else tf.concat([states[1][None], cs], 0)

    def body(t, dz_seq, dh_next, *dc_next):
        dh = dh_next if d_hs is None else dh_next + d_hs[t]
        if kind == "vanilla":
            dz, _ = _step_gradient(kind, dh, None, hs[t], None, None, None)
            dc_tm1 = ()
        else:
            dz, dc = _step_gradient(
                kind, dh, dc_next[0], None, cs_all[t + 1], cs_all[t], gates_seq[t]
            )
            dc_tm1 = (dc,)
        dh_tm1 = tf.matmul(dz, recurrent_transposed)
        return (t - 1, dz_seq.write(t, dz), dh_tm1, *dc_tm1)

    dz_seq = tf.TensorArray(
        hs.dtype, size=steps, element_shape=[hs.shape[1], recurrent_kernel.shape[1]]
    )
    _, dz_seq, *d_states = tf.while_loop(
        lambda t, *_: t >= 0,
        body,
        (steps - 1, dz_seq, *d_finals),
        maximum_iterations=steps,
    )
    return dz_seq.stack(), tuple(d_states)


def _recurrence(kind, return_sequences, training):
    """The loop over time as a differentiable function of `(xw, U, *states)`.

    It returns `(hs, *final_states)` if `return_sequences`, else the final states.
    """

    @tf.custom_gradient
    def recurrence(xw, recurrent_kernel, *states):
        # The tape must not trace into the XLA programs (their loops cannot hand
        # TensorLists out of XLA); the gradient is `gradient` below.
        xw, recurrent_kernel, *states = [
            tf.stop_gradient(t) for t in (xw, recurrent_kernel, *states)
        ]
        states = tuple(states)
        hs, finals, cs, gates = _forward(
            kind, return_sequences, training, xw, states, recurrent_kernel
        )

        def gradient(*upstream):
            d_hs = upstream[0] if return_sequences else None
            d_finals = upstream[1:] if return_sequences else upstream
            d_finals = tuple(
                tf.zeros_like(f) if d is None else d
                for d, f in zip(d_finals, finals, strict=True)
            )
            stored = (hs, cs, gates)
            if not training:
                stored = _forward(kind, True, True, xw, states, recurrent_kernel)
                stored = (stored[0], stored[2], stored[3])
            dz, d_states = _backward(
                kind, *stored, states, recurrent_kernel, d_hs, d_finals
            )
            # dU = H_prev^T dZ over all steps at once, H_prev = [h_0, ..., h_{T-1}].
            h_prev = tf.concat([states[0][None], stored[0][:-1]], 0)
            units, width = recurrent_kernel.shape
            d_recurrent = tf.matmul(
                tf.reshape(h_prev, [-1, units]),
                tf.reshape(dz, [-1, width]),
                transpose_a=True,
            )
            return (dz, d_recurrent, *d_states)

        outputs = (hs, *finals) if return_sequences else finals
        return outputs, gradient

    return recurrence


def compiled_sequence(
    cell,
    sequences,
    initial_state,
    go_backwards=False,
    return_sequences=True,
    training=False,
):
    """Runs `cell` over `sequences` with an XLA time loop and a hand-written gradient.

    Args:
        cell: a built `VanillaRNNCell`, `LSTMCell` or `OriginalLSTMCell` (see
            `compilable`).
        sequences: `(batch, time, input_dim)` float32.
        initial_state: the cell's states, `[h_0]` or `[h_0, c_0]`, each
            `(batch, units)`.
        go_backwards: process the sequence from the last step to the first.
        return_sequences: whether `outputs` holds every step or only the last.
        training: whether the forward pass keeps what the backward pass needs
            (when False, a gradient, if one is asked for, reruns the forward pass).

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
    >>> last, outputs, states = compiled_sequence(cell, x, cell.get_initial_state(2))
    >>> outputs.shape, len(states)  # (batch, time, units), [h_T, c_T]
    (TensorShape([2, 5, 4]), 2)
    """
    kernel = tf.convert_to_tensor(cell.kernel)
    x = time_major(sequences, go_backwards)
    # X W + b for every step in one matmul: (time, batch, gates * units).
    xw = tf.tensordot(x, kernel, axes=1)
    if cell.use_bias:
        xw = xw + tf.convert_to_tensor(cell.bias)
    recurrence = _recurrence(KINDS[type(cell)], bool(return_sequences), bool(training))
    result = recurrence(xw, tf.convert_to_tensor(cell.recurrent_kernel), *initial_state)
    if not return_sequences:
        finals = list(result)
        return finals[0], finals[0][:, None], finals
    hs, *finals = result
    return finals[0], batch_major_outputs(hs, return_sequences), finals
