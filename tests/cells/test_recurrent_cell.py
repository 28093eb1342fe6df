"""Behaviour every kit cell shares: the Keras cell protocol, masking, dropout,
serialization, mixed precision and argument errors."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_rnn_kit import cells
from keras_rnn_kit.layers import RNN
from tests.cells.cell_fixtures import CELL_NAMES
from tests.cells.cell_fixtures import build_rnn
from tests.cells.cell_fixtures import randomize_weights
from tests.cells.numpy_reference import run_sequence
from tests.test_case import assert_config_round_trip
from tests.test_case import assert_reloads_in_fresh_process


@pytest.mark.parametrize("name", CELL_NAMES)
def test_padded_sequence_gives_unpadded_final_state(name, rng):
    layer = build_rnn(name, return_state=True)
    x = rng.normal(size=(2, 6, 3)).astype("float32")
    padded = x.copy()
    padded[:, 4:] = rng.normal(size=(2, 2, 3)) * 100.0  # garbage after the real steps
    mask = np.array([[True] * 4 + [False] * 2] * 2)
    want = layer(x[:, :4])
    got = layer(padded, mask=mask)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, atol=1e-6)


@pytest.mark.parametrize("name", CELL_NAMES)
def test_go_backwards_equals_reversed_input(name, rng):
    forward = build_rnn(name, seed=1)
    backward = build_rnn(name, seed=1, go_backwards=True)
    x = rng.normal(size=(2, 6, 3)).astype("float32")
    np.testing.assert_allclose(backward(x), forward(x[:, ::-1]), atol=1e-6)


@pytest.mark.parametrize("name", CELL_NAMES)
def test_return_state_last_h_is_last_output(name, rng):
    layer = build_rnn(name, return_sequences=True, return_state=True)
    outputs, *states = layer(rng.normal(size=(2, 6, 3)).astype("float32"))
    assert len(states) == layer.cell.state_count
    np.testing.assert_allclose(states[0], outputs[:, -1], atol=0)


@pytest.mark.parametrize("name", CELL_NAMES)
def test_stateful_halves_equal_whole_sequence(name, rng):
    whole = build_rnn(name, seed=2, return_state=True)
    halves = keras.layers.RNN(cells.get_cell(name, 5), stateful=True)
    halves.build((2, 3, 3))
    halves.set_weights(whole.get_weights())
    x = rng.normal(size=(2, 6, 3)).astype("float32")
    halves(x[:, :3])
    last = halves(x[:, 3:])
    np.testing.assert_allclose(last, whole(x)[0], atol=1e-6)
    halves.reset_state()
    np.testing.assert_allclose(halves(x[:, :3]), whole(x[:, :3])[0], atol=1e-6)


@pytest.mark.parametrize("name", CELL_NAMES)
def test_works_in_keras_stacked_cells_and_bidirectional(name, rng):
    x = rng.normal(size=(2, 6, 3)).astype("float32")
    stacked = keras.layers.RNN(
        keras.layers.StackedRNNCells([cells.get_cell(name, 4), cells.get_cell(name, 5)])
    )
    assert tuple(stacked(x).shape) == (2, 5)
    bidirectional = keras.layers.Bidirectional(
        keras.layers.RNN(cells.get_cell(name, 4), return_sequences=True)
    )
    out = bidirectional(x)
    assert tuple(out.shape) == (2, 6, 8)
    # The backward half at step 0 has seen the whole sequence; the forward half has not.
    np.testing.assert_allclose(
        out[:, 0, 4:], bidirectional.backward_layer(x)[:, -1], atol=1e-6
    )


@pytest.mark.parametrize("name", CELL_NAMES)
def test_input_dropout_mask_is_fixed_across_time_and_off_at_inference(name):
    # A constant input at every step and a zero recurrent kernel: with variational
    # dropout every step sees the same dropped units, so the per-step pre-activations
    # x_t W are identical; with a fresh mask per step they would differ.
    cell = cells.get_cell(name, 6, dropout=0.5, recurrent_initializer="zeros", seed=7)
    layer = keras.layers.RNN(cell, return_sequences=True)
    x = np.ones((3, 5, 8), "float32")
    layer.build(x.shape)
    if name in ("vanilla",):
        out = layer(x, training=True).numpy()
        for t in range(1, 5):
            np.testing.assert_allclose(out[:, t], out[:, 0], atol=1e-6)
    dropped = layer(x, training=True).numpy()
    clean = keras.layers.RNN(cells.get_cell(name, 6), return_sequences=True)
    clean.build(x.shape)
    clean.set_weights(layer.get_weights())
    assert not np.allclose(dropped, clean(x).numpy())
    np.testing.assert_allclose(layer(x, training=False), clean(x), atol=1e-6)


@pytest.mark.parametrize("name", CELL_NAMES)
def test_recurrent_dropout_changes_training_output_only(name, rng):
    x = rng.normal(size=(2, 6, 3)).astype("float32")
    cell = cells.get_cell(name, 5, recurrent_dropout=0.5, seed=1)
    layer = keras.layers.RNN(cell)
    layer.build(x.shape)
    randomize_weights(layer)
    clean = keras.layers.RNN(cells.get_cell(name, 5))
    clean.build(x.shape)
    clean.set_weights(layer.get_weights())
    assert not np.allclose(layer(x, training=True), clean(x))
    np.testing.assert_allclose(layer(x), clean(x), atol=1e-6)


@pytest.mark.parametrize("name", CELL_NAMES)
def test_config_round_trip(name):
    cell = cells.get_cell(
        name,
        3,
        activation="relu",
        kernel_regularizer="l2",
        dropout=0.25,
        recurrent_dropout=0.1,
        seed=5,
        use_bias=False,
    )
    clone = assert_config_round_trip(cell)
    assert clone.units == 3 and clone.dropout == 0.25 and clone.use_bias is False


@pytest.mark.slow
def test_model_with_every_cell_reloads_in_fresh_process(tmp_path, rng):
    inputs = keras.Input((6, 3))
    outputs = [
        keras.layers.RNN(cells.get_cell(name, 4, dropout=0.1))(inputs)
        for name in CELL_NAMES
    ]
    model = keras.Model(inputs, keras.layers.Concatenate()(outputs))
    for layer in model.layers:
        randomize_weights(layer)
    assert_reloads_in_fresh_process(
        model, rng.normal(size=(2, 6, 3)).astype("float32"), tmp_path
    )


@pytest.mark.parametrize("name", CELL_NAMES)
@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_runs_close_to_float32(name, policy, rng):
    x = rng.normal(size=(2, 6, 3)).astype("float32")
    reference = build_rnn(name, return_state=True)
    keras.mixed_precision.set_global_policy(policy)
    layer = keras.layers.RNN(cells.get_cell(name, 5), return_state=True)
    layer.build(x.shape)
    layer.set_weights(reference.get_weights())
    keras.mixed_precision.set_global_policy("float32")
    got = layer(x)
    assert all(w.dtype == "float32" for w in layer.weights)  # master weights stay fp32
    assert got[0].dtype == policy.split("_")[1]
    tolerance = 2e-2 if policy == "mixed_float16" else 6e-2
    for g, w in zip(got, reference(x), strict=True):
        np.testing.assert_allclose(np.asarray(g, "float32"), w, atol=tolerance)


@pytest.mark.parametrize("name", CELL_NAMES)
def test_float64_cells_match_numpy_equations_to_1e_12(name, rng):
    # The cell state is updated in float64 too (not rounded through float32).
    layer = build_rnn(name, dtype="float64", return_sequences=True, return_state=True)
    x = rng.normal(size=(4, 6, 3))
    outputs, *states = layer(x)
    want, want_states = run_sequence(
        name, x, [w.numpy() for w in layer.weights], layer.cell.state_count
    )
    assert outputs.dtype == "float64" and states[-1].dtype == "float64"
    np.testing.assert_allclose(outputs, want, rtol=0, atol=1e-12)
    for got, expected in zip(states, want_states, strict=True):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_cell_state_update_keeps_its_dtype():
    # 1 + 1e-12 is 1 in float32; a float64 state keeps it.
    cell = cells.OriginalLSTMCell(2, dtype="float64")
    c_tm1, increment = ops.ones((1, 2), "float64"), ops.full((1, 2), 1e-12, "float64")
    c = cell.update_cell_state(c_tm1, increment)
    assert c.dtype == "float64"
    np.testing.assert_array_equal(c, np.full((1, 2), 1.0 + 1e-12))
    # Under a mixed policy a float32 state is not rounded to the float16 gates:
    # 8 + 1e-3 is 8 in float16 (spacing 2**-7 there).
    cell = cells.OriginalLSTMCell(2, dtype="mixed_float16")
    c = cell.update_cell_state(ops.full((1, 2), 8.0), ops.full((1, 2), 1e-3, "float16"))
    assert c.dtype == "float32"
    np.testing.assert_allclose(c, np.full((1, 2), 8.001), rtol=1e-6)


STEPS, C0, INCREMENT = 200, 8.0, 1e-3
WRAPPERS = {
    "keras.layers.RNN": lambda cell: keras.layers.RNN(cell, return_state=True),
    "keras_rnn_kit.layers.RNN": lambda cell: RNN(cell, return_state=True),
    "Bidirectional": lambda cell: keras.layers.Bidirectional(
        keras.layers.RNN(cell, return_state=True)
    ),
}


def _final_cell_states(wrapper, cell_dtype=None):
    """Runs `STEPS` zero inputs through an `OriginalLSTMCell` from `c = C0`.

    Zero kernels and a bias with `i = σ(0) = 0.5` and `g = tanh(b_g) = 2 *
    INCREMENT` make every step add `INCREMENT` to `c`: in float32 `c` ends at
    `C0 + STEPS * INCREMENT`.

    Returns:
        The final `c` of each direction, `(1, 2)` each.
    """
    cell = cells.OriginalLSTMCell(
        2, kernel_initializer="zeros", recurrent_initializer="zeros", dtype=cell_dtype
    )
    layer = WRAPPERS[wrapper](cell)
    layer.build((1, STEPS, 1))
    for weight in layer.weights:
        if weight.name == "bias":
            weight.assign(np.repeat([0.0, np.arctanh(2 * INCREMENT), 0.0], 2))
    directions = 2 if wrapper == "Bidirectional" else 1
    initial_state = [np.zeros((1, 2)), np.full((1, 2), C0)] * directions
    _, *states = layer(np.zeros((1, STEPS, 1)), initial_state=initial_state)
    return states[1::2]


def test_mixed_precision_rounds_the_cell_state_at_every_step():
    # The README's caveat: keras.layers.RNN carries `c` in float16 between steps,
    # where 8 + 1e-3 rounds back to 8 (spacing 2**-7), so all 200 increments are lost.
    keras.mixed_precision.set_global_policy("mixed_float16")
    (c,) = _final_cell_states("keras.layers.RNN")
    assert c.dtype == "float16"
    np.testing.assert_array_equal(c, np.full((1, 2), C0))


@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_float32_cell_keeps_its_state_under_mixed_precision(wrapper):
    # The README's remedy: a cell with dtype="float32" inside mixed layers carries
    # `c` in float32; only the mixed layer's result is rounded to float16, once.
    keras.mixed_precision.set_global_policy("mixed_float16")
    for c in _final_cell_states(wrapper, cell_dtype="float32"):
        assert c.dtype == "float16"
        np.testing.assert_allclose(
            np.asarray(c, "float32"),
            np.full((1, 2), C0 + STEPS * INCREMENT),
            atol=2**-8,
        )


@pytest.mark.parametrize("name", CELL_NAMES)
def test_float32_cell_with_dropout_runs_in_a_mixed_layer(name, rng):
    # keras.layers.RNN makes the dropout masks from its float16 inputs.
    keras.mixed_precision.set_global_policy("mixed_float16")
    cell = cells.get_cell(name, 3, dropout=0.5, recurrent_dropout=0.5, dtype="float32")
    layer = keras.layers.RNN(cell)
    assert layer(rng.normal(size=(2, 4, 3)), training=True).dtype == "float16"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"units": 0}, "`units` must be a positive integer, got 0"),
        ({"units": -3}, "`units` must be a positive integer, got -3"),
        ({"units": 2.5}, "`units` must be a positive integer, got 2.5"),
        ({"units": 4, "dropout": 1.5}, "`dropout` must be a float in [0, 1), got 1.5"),
        ({"units": 4, "recurrent_dropout": -0.1}, "`recurrent_dropout`"),
    ],
)
@pytest.mark.parametrize("name", CELL_NAMES)
def test_bad_constructor_arguments_name_the_argument(name, kwargs, message):
    with pytest.raises(ValueError) as error:
        cells.get_cell(name, **kwargs)
    assert message in str(error.value)


def test_unknown_activation_is_reported():
    with pytest.raises(ValueError, match="tanhh"):
        cells.LSTMCell(3, activation="tanhh")


def test_unknown_cell_name_lists_the_choices():
    with pytest.raises(
        ValueError, match="'vanilla', 'additive', 'original_lstm', 'lstm'"
    ):
        cells.get_cell("gru", 3)


@pytest.mark.parametrize("name", CELL_NAMES)
def test_wrong_rank_and_dtype_are_reported(name):
    cell = cells.get_cell(name, 3)
    with pytest.raises(ValueError, match=r"`inputs` must have rank 2 .*got rank 3"):
        cell.build((2, 5, 4))
    layer = keras.layers.RNN(cells.get_cell(name, 3))
    with pytest.raises(
        TypeError, match="`inputs` must be a floating-point tensor, got dtype int32"
    ):
        layer(np.ones((2, 5, 4), "int32"))
