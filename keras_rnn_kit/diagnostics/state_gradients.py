"""How much gradient reaches each step back in time: vanishing and exploding.

For a loss on the last step, the error reaching the state at step t is a product of
one Jacobian per later step (the slides' "identity relationship"):

    ∂L/∂s_t = ∂L/∂s_T · ∂s_T/∂s_{T-1} ⋯ ∂s_{t+1}/∂s_t

For the vanilla cell each factor is `diag(1 - h²) Uᵀ`, so the product shrinks (or
grows) geometrically; for the additive and original LSTM cell states it contains the
identity (the constant error carousel), so it does not vanish.

Reference:
    Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation 1997;
    Pascanu, Mikolov & Bengio, "On the difficulty of training recurrent neural
    networks", ICML 2013.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_rnn_kit.cells import CELLS
from keras_rnn_kit.cells import get_cell
from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_non_negative_int
from keras_rnn_kit.utils.validation import check_positive_int
from keras_rnn_kit.utils.validation import check_rank


def gradient_flow(
    cell,
    steps: int = 100,
    batch_size: int = 16,
    input_dim: int = 8,
    seed: int = 0,
    state_index: int | None = None,
    units: int = 32,
    inputs=None,
) -> np.ndarray:
    """Returns `∥∂L/∂s_t∥` for t = 1..steps, with `L = Σ h_T` (the last output).

    The cell is unrolled in Python under one `tf.GradientTape` on its real weights,
    from a zero state, over random normal inputs; the norm of the gradient with
    respect to the state after each step is averaged over the batch.

    Args:
        cell: a kit cell (built or not) or its name: `"vanilla"`, `"additive"`,
            `"original_lstm"`, `"lstm"`. A name builds a fresh cell of `units`
            units with its default initializers, seeded by `seed`.
        steps: int > 0, sequence length T.
        batch_size: int > 0, random sequences averaged over.
        input_dim: int > 0, features per step (must match a built cell).
        seed: int >= 0, seeds the inputs and a named cell's weights.
        state_index: which state to differentiate with respect to; default the
            cell state `c` (index 1) for `[h, c]` cells, `h` (index 0) otherwise.
        units: int > 0, width of a cell built from its name.
        inputs: optional `(batch, steps, input_dim)` array used instead of the
            random inputs (then `batch_size`, `steps` and `input_dim` follow it).

    Returns:
        A float64 numpy array of length `steps`; entry `t - 1` is the batch mean of
        `∥∂L/∂s_t∥₂`.

    Example:

    >>> from keras_rnn_kit.diagnostics import gradient_flow
    >>> flow = gradient_flow("vanilla", steps=50)
    >>> flow.shape
    (50,)
    >>> bool(flow[0] < 1e-3 * flow[-2])  # vanished 48 steps back
    True
    """
    seed = check_non_negative_int("seed", seed)
    if inputs is None:
        steps = check_positive_int("steps", steps)
        batch_size = check_positive_int("batch_size", batch_size)
        input_dim = check_positive_int("input_dim", input_dim)
        rng = np.random.default_rng(seed)
        inputs = rng.standard_normal((batch_size, steps, input_dim))
    else:
        inputs = np.asarray(inputs)
        check_rank("inputs", inputs.shape, 3, "(batch, steps, input_dim)")
        batch_size, steps, input_dim = inputs.shape
    cell = _resolve_cell(cell, units, seed)
    if not cell.built:
        cell.build((batch_size, input_dim))
    expected_dim = cell.kernel.shape[0]
    if expected_dim != input_dim:
        raise ValueError(
            f"`input_dim` must match the built cell's kernel ({expected_dim}), "
            f"got {input_dim}."
        )
    num_states = len(cell.state_size)
    if state_index is None:
        state_index = 1 if num_states > 1 else 0
    check_choice("state_index", state_index, range(num_states))
    inputs = tf.constant(inputs, dtype=cell.compute_dtype)
    norms = _state_gradient_norms(cell, inputs, state_index)
    return norms.numpy().astype("float64")


def gradient_flow_report(flows: dict) -> str:
    """One line per cell: `∥∂L/∂s_1∥`, `∥∂L/∂s_{T-1}∥` and their ratio.

    A ratio far below 1 means the gradient vanished on its way back to step 1; far
    above 1, that it exploded. (`s_T` itself is skipped: its gradient is the direct
    one, through no recurrent Jacobian.)

    Args:
        flows: dict from a label to a `gradient_flow` array (length >= 2).

    Returns:
        The report, lines joined by newlines.

    Example:

    >>> import numpy as np
    >>> from keras_rnn_kit.diagnostics import gradient_flow_report
    >>> print(gradient_flow_report({"vanilla": np.array([1e-12, 1e-3, 0.5])}))
    vanilla  ∥∂L/∂s_1∥ = 1.000e-12  ∥∂L/∂s_2∥ = 1.000e-03  ratio = 1.000e-09
    """
    flows = check_flows(flows, min_length=2)
    width = max(len(name) for name in flows)
    lines = []
    for name, flow in flows.items():
        first, before_last = flow[0], flow[-2]
        ratio = first / before_last if before_last > 0 else float("inf")
        lines.append(
            f"{name:<{width}}  ∥∂L/∂s_1∥ = {first:.3e}  "
            f"∥∂L/∂s_{len(flow) - 1}∥ = {before_last:.3e}  ratio = {ratio:.3e}"
        )
    return "\n".join(lines)


def check_flows(flows, min_length: int = 1) -> dict:
    """Validates a `{label: 1-D array}` dict and returns it with numpy arrays."""
    if not isinstance(flows, dict) or not flows:
        raise ValueError(
            "`flows` must be a non-empty dict from a label to a gradient_flow "
            f"array, got {flows!r}."
        )
    checked = {}
    for name, flow in flows.items():
        flow = np.asarray(flow, dtype="float64")
        if flow.ndim != 1 or flow.shape[0] < min_length:
            raise ValueError(
                f"`flows[{name!r}]` must be a 1-D array of at least {min_length} "
                f"steps, got shape {flow.shape}."
            )
        checked[str(name)] = flow
    return checked


def _resolve_cell(cell, units, seed):
    if isinstance(cell, str):
        check_choice("cell", cell, CELLS)
        return get_cell(
            cell,
            check_positive_int("units", units),
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
            recurrent_initializer=keras.initializers.Orthogonal(seed=seed + 1),
        )
    if not isinstance(cell, tuple(CELLS.values())):
        raise ValueError(
            "`cell` must be a kit cell or one of "
            f"{', '.join(repr(k) for k in CELLS)}; got {cell!r} "
            f"({type(cell).__name__})."
        )
    return cell


def _state_gradient_norms(cell, inputs, state_index):
    """Unrolls `cell` over `inputs` and returns the batch mean of `∥∂L/∂s_t∥`."""
    batch_size, steps = inputs.shape[0], inputs.shape[1]
    states = cell.get_initial_state(batch_size)
    tracked = []
    with tf.GradientTape() as tape:
        for t in range(steps):
            output, states = cell(inputs[:, t], states)
            tracked.append(states[state_index])
        loss = tf.reduce_sum(output)
    grads = tape.gradient(loss, tracked)
    norms = [
        tf.zeros([]) if g is None else tf.reduce_mean(tf.norm(g, axis=-1))
        for g in grads
    ]
    return tf.stack(norms)
