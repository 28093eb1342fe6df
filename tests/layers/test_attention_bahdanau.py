import keras
import numpy as np
import pytest

from keras_rnn_kit.layers import BahdanauAttention
from tests.layers.attention_reference import attend
from tests.layers.attention_reference import bahdanau_scores
from tests.test_case import assert_config_round_trip

MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], bool)


@pytest.fixture
def data(rng):
    query = rng.normal(size=(3, 4, 6)).astype("float32")
    memory = rng.normal(size=(3, 5, 7)).astype("float32")
    return query, memory


def built_layer(data, rng):
    layer = BahdanauAttention(8)
    layer(data[0], data[1], MASK)
    for weight in layer.weights:
        weight.assign(rng.normal(size=weight.shape).astype("float32"))
    return layer


def test_matches_numpy_equations(data, rng):
    # Bahdanau et al. 2015, e = v . tanh(q W_q + m W_m + b); atol 1e-5.
    layer = built_layer(data, rng)
    query, memory = data
    scores = bahdanau_scores(query, memory, *[w.numpy() for w in layer.weights])
    want_context, want_weights = attend(scores, memory, MASK)
    context, weights = layer(query, memory, MASK)
    np.testing.assert_allclose(weights, want_weights, atol=1e-5)
    np.testing.assert_allclose(context, want_context, atol=1e-5)


def test_weights_sum_to_one_and_are_exactly_zero_on_padding(data, rng):
    layer = built_layer(data, rng)
    _, weights = layer(data[0], data[1], MASK)
    weights = np.asarray(weights)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)
    assert (weights[np.broadcast_to(~MASK[:, None, :], weights.shape)] == 0.0).all()
    assert (weights[np.broadcast_to(MASK[:, None, :], weights.shape)] > 0.0).all()


def test_padding_content_does_not_leak(data, rng):
    layer = built_layer(data, rng)
    query, memory = data
    noisy = memory.copy()
    noisy[~MASK] = 1e3
    for got, want in zip(
        layer(query, noisy, MASK), layer(query, memory, MASK), strict=True
    ):
        np.testing.assert_array_equal(got, want)


def test_single_step_query_matches_sequence_query(data, rng):
    layer = built_layer(data, rng)
    query, memory = data
    context, weights = layer(query, memory, MASK)
    step_context, step_weights = layer(query[:, 2], memory, MASK)
    np.testing.assert_allclose(step_context, context[:, 2], atol=1e-6)
    np.testing.assert_allclose(step_weights, weights[:, 2], atol=1e-6)


def test_fully_masked_row_gives_zeros_not_nan(data, rng):
    layer = built_layer(data, rng)
    mask = MASK.copy()
    mask[1] = False
    context, weights = layer(data[0], data[1], mask)
    assert np.isfinite(context).all()
    assert (np.asarray(weights)[1] == 0.0).all()


def test_works_inside_a_saved_functional_model(data, tmp_path, rng):
    query = keras.Input((4, 6))
    memory = keras.Input((5, 7))
    mask = keras.Input((5,), dtype="bool")
    outputs = BahdanauAttention(8)(query, memory, mask)
    model = keras.Model([query, memory, mask], outputs)
    path = str(tmp_path / "attention.keras")
    model.save(path)
    reloaded = keras.saving.load_model(path)
    for got, want in zip(reloaded([*data, MASK]), model([*data, MASK]), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_config_round_trip():
    clone = assert_config_round_trip(BahdanauAttention(5, name="attention"))
    assert clone.units == 5


@pytest.mark.parametrize("units", [0, -2, 1.5, None])
def test_bad_units_name_the_argument(units):
    with pytest.raises(ValueError, match="`units`"):
        BahdanauAttention(units)


def test_bad_ranks_name_the_argument(data):
    layer = BahdanauAttention(4)
    with pytest.raises(ValueError, match="`memory`"):
        layer(data[0], data[1][:, 0], MASK)
    with pytest.raises(ValueError, match="`memory_mask`"):
        layer(data[0], data[1], MASK[0])
