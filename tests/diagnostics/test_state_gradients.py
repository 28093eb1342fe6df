"""Tests for keras_rnn_kit.diagnostics.state_gradients (gradient_flow, report)."""

import numpy as np
import pytest

from keras_rnn_kit.cells import AdditiveRNNCell
from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.cells import VanillaRNNCell
from keras_rnn_kit.diagnostics import gradient_flow
from keras_rnn_kit.diagnostics import gradient_flow_report

STEPS = 100


def ratio(flow):
    """∥∂L/∂s_1∥ / ∥∂L/∂s_{T-1}∥, as in the report."""
    return flow[0] / flow[-2]


@pytest.fixture(scope="module")
def flows():
    """T = 100, batch 16, 32 units, default initializers (seeded), seed 0."""
    return {
        name: gradient_flow(name, steps=STEPS)
        for name in ("vanilla", "additive", "original_lstm", "lstm")
    }


def numpy_vanilla_flow(kernel, recurrent_kernel, bias, x):
    """∂L/∂h_t from the equations: h_t = tanh(x_t W + h_{t-1} U + b), L = Σ h_T.

    Backwards: g_T = 1, g_{t-1} = (g_t ⊙ (1 - h_t²)) Uᵀ.
    """
    batch, steps, _ = x.shape
    h = [np.zeros((batch, recurrent_kernel.shape[0]))]
    for t in range(steps):
        h.append(np.tanh(x[:, t] @ kernel + h[-1] @ recurrent_kernel + bias))
    g = np.ones_like(h[-1])
    norms = [np.linalg.norm(g, axis=-1).mean()]
    for t in range(steps, 1, -1):
        g = (g * (1 - h[t] ** 2)) @ recurrent_kernel.T
        norms.append(np.linalg.norm(g, axis=-1).mean())
    return np.array(norms[::-1])


def numpy_additive_flow(kernel, recurrent_kernel, bias, x):
    """∂L/∂c_t for c_t = c_{t-1} + tanh(z_t), z_t = x_t W + tanh(c_{t-1}) U + b.

    With h = tanh(c) and L = Σ h_T: g_T = 1 - h_T², and
    g_{t-1} = g_t + ((g_t ⊙ (1 - tanh(z_t)²)) Uᵀ) ⊙ (1 - h_{t-1}²).
    """
    batch, steps, _ = x.shape
    c = [np.zeros((batch, recurrent_kernel.shape[0]))]
    z = [None]
    for t in range(steps):
        z.append(x[:, t] @ kernel + np.tanh(c[-1]) @ recurrent_kernel + bias)
        c.append(c[-1] + np.tanh(z[-1]))
    g = 1 - np.tanh(c[-1]) ** 2
    norms = [np.linalg.norm(g, axis=-1).mean()]
    for t in range(steps, 1, -1):
        back = (g * (1 - np.tanh(z[t]) ** 2)) @ recurrent_kernel.T
        g = g + back * (1 - np.tanh(c[t - 1]) ** 2)
        norms.append(np.linalg.norm(g, axis=-1).mean())
    return np.array(norms[::-1])


@pytest.mark.parametrize(
    "cell_class, reference",
    [(VanillaRNNCell, numpy_vanilla_flow), (AdditiveRNNCell, numpy_additive_flow)],
)
def test_matches_numpy_product_of_jacobians(rng, cell_class, reference):
    # Same weights (random bias too), same inputs: float32 vs float64 over 12
    # steps agrees to well under rtol 1e-4.
    cell = cell_class(6)
    cell.build((2, 3))
    cell.bias.assign(rng.normal(scale=0.3, size=cell.bias.shape))
    x = rng.standard_normal((2, 12, 3))
    got = gradient_flow(cell, inputs=x)
    weights = [np.array(w, "float64") for w in (cell.kernel, cell.recurrent_kernel)]
    want = reference(*weights, np.array(cell.bias, "float64"), x)
    assert got.shape == (12,)
    np.testing.assert_allclose(got, want, rtol=1e-4)


def test_shape_and_last_step(flows):
    for name, flow in flows.items():
        assert flow.shape == (STEPS,) and flow.dtype == np.float64, name
        assert np.all(np.isfinite(flow)) and np.all(flow > 0), name
    # ∂(Σ h_T)/∂h_T is the all-ones vector: norm √units for the vanilla cell.
    np.testing.assert_allclose(flows["vanilla"][-1], np.sqrt(32), rtol=1e-6)


def test_vanilla_gradient_vanishes(flows):
    # Each step multiplies by diag(1 - h²) Uᵀ with U orthogonal (norm 1) and
    # tanh' < 1: geometric decay. Measured ratio ~1e-14 (Keras SimpleRNNCell gives
    # ~1e-15 by t = 20); 1e-6 leaves eight orders of margin.
    assert ratio(flows["vanilla"]) < 1e-6


def test_original_lstm_cell_state_does_not_vanish(flows):
    # c_t = c_{t-1} + i ⊙ g: ∂c_t/∂c_{t-1} = I plus terms through h, so the error
    # is carried back undiminished (constant error carousel). Measured ratio ~36
    # (24-36 over seeds); 0.5 would already mean "no vanishing".
    assert ratio(flows["original_lstm"]) > 0.5


def test_additive_cell_state_does_not_vanish(flows):
    # Same identity path without gates; measured ratio ~2e3 (2e2-4e3 over seeds).
    assert ratio(flows["additive"]) > 0.5


def test_forget_gate_lstm_sits_between(flows):
    # f_t ≈ σ(1) ≈ 0.73 at init (unit forget bias) multiplies ∂c_t/∂c_{t-1}: the
    # gradient decays (measured ~2e-9) but far more slowly than the vanilla cell's
    # (~1e-14); the thresholds keep three orders of margin each way.
    assert ratio(flows["lstm"]) < 1e-3
    assert ratio(flows["lstm"]) > 1e3 * ratio(flows["vanilla"])


def test_scaled_recurrent_kernel_explodes():
    # U scaled by 3 (spectral radius 3) outgrows tanh' < 1: measured ratio ~3e11.
    cell = VanillaRNNCell(32)
    cell.build((16, 8))
    cell.recurrent_kernel.assign(cell.recurrent_kernel * 3.0)
    assert ratio(gradient_flow(cell, steps=STEPS)) > 1e3


def test_state_index_selects_hidden_state():
    # For an [h, c] cell, state_index=0 differentiates w.r.t. h: at the last step
    # that is the all-ones vector of norm √units, unlike ∂L/∂c_T = o ⊙ (1 - tanh²c).
    cell = LSTMCell(9)
    h_flow = gradient_flow(cell, steps=5, state_index=0)
    c_flow = gradient_flow(cell, steps=5)
    np.testing.assert_allclose(h_flow[-1], 3.0, rtol=1e-6)
    assert c_flow[-1] < 3.0


def test_seed_makes_it_reproducible():
    a = gradient_flow("original_lstm", steps=10, seed=3)
    np.testing.assert_array_equal(a, gradient_flow("original_lstm", steps=10, seed=3))
    assert not np.array_equal(a, gradient_flow("original_lstm", steps=10, seed=4))


def test_report_has_one_line_per_cell(flows):
    lines = gradient_flow_report(flows).splitlines()
    assert [line.split()[0] for line in lines] == list(flows)
    vanilla = flows["vanilla"]
    assert f"∥∂L/∂s_1∥ = {vanilla[0]:.3e}" in lines[0]
    assert f"∥∂L/∂s_{STEPS - 1}∥ = {vanilla[-2]:.3e}" in lines[0]
    assert f"ratio = {vanilla[0] / vanilla[-2]:.3e}" in lines[0]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cell": "gru"}, "cell"),
        ({"cell": 3}, "cell"),
        ({"cell": "vanilla", "steps": 0}, "steps"),
        ({"cell": "vanilla", "state_index": 1}, "state_index"),
        ({"cell": "vanilla", "inputs": np.zeros((2, 3))}, "inputs"),
    ],
)
def test_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gradient_flow(**kwargs)


def test_rejects_input_dim_of_another_built_cell():
    cell = VanillaRNNCell(4)
    cell.build((1, 5))
    with pytest.raises(ValueError, match="input_dim"):
        gradient_flow(cell, steps=3, input_dim=8)


def test_report_rejects_bad_flows():
    with pytest.raises(ValueError, match="flows"):
        gradient_flow_report({})
    with pytest.raises(ValueError, match="vanilla"):
        gradient_flow_report({"vanilla": np.ones(1)})
