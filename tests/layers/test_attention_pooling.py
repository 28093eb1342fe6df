"""AttentionPooling: numpy reference, masked softmax edge cases, saving."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.layers import AttentionPooling
from tests.cells.cell_fixtures import randomize_weights
from tests.test_case import assert_config_round_trip
from tests.test_case import assert_reloads_in_fresh_process

ATOL = 1e-5


def make_pool(features=4, units=3, seed=0):
    pool = AttentionPooling(units)
    pool.build((None, None, features))
    randomize_weights(pool, seed=seed, scale=1.0)
    return pool


def reference(pool, h, mask):
    """u = tanh(hW + b), a = softmax(u v) over real steps, y = Σ a h (numpy)."""
    kernel, bias, context = (np.asarray(w, "float64") for w in pool.get_weights())
    h = np.asarray(h, "float64")
    weights = np.zeros(mask.shape)
    for b in range(h.shape[0]):
        real = mask[b]
        if not real.any():
            continue
        scores = (np.tanh(h[b, real] @ kernel + bias) @ context)[:, 0]
        e = np.exp(scores - scores.max())
        weights[b, real] = e / e.sum()
    return np.einsum("bt,btf->bf", weights, h), weights


def test_matches_numpy_with_mask(rng):
    pool = make_pool()
    h = rng.normal(size=(3, 5, 4)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [0, 0, 1, 0, 1]], bool)
    pooled, weights = pool(h, mask=mask, return_attention_scores=True)
    want_pooled, want_weights = reference(pool, h, mask)
    np.testing.assert_allclose(pooled, want_pooled, atol=ATOL)
    np.testing.assert_allclose(weights, want_weights, atol=ATOL)
    # Exactly zero on padding, summing to one over the real steps.
    assert np.all(np.asarray(weights)[~mask] == 0.0)
    np.testing.assert_allclose(np.asarray(weights).sum(-1), 1.0, atol=1e-6)


def test_no_mask_is_a_plain_softmax_over_all_steps(rng):
    pool = make_pool()
    h = rng.normal(size=(2, 6, 4)).astype("float32")
    want, _ = reference(pool, h, np.ones((2, 6), bool))
    np.testing.assert_allclose(pool(h), want, atol=ATOL)


def test_padding_garbage_and_fully_masked_rows(rng):
    pool = make_pool()
    h = rng.normal(size=(3, 4, 4)).astype("float32")
    mask = np.array([[1, 1, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]], bool)
    garbage = h.copy()
    garbage[~mask] = rng.normal(0.0, 1e4, size=(int((~mask).sum()), 4))
    clean, weights = pool(h, mask=mask, return_attention_scores=True)
    np.testing.assert_allclose(pool(garbage, mask=mask), clean, atol=ATOL)
    # The fully masked row gives zero weights and a zero vector, not NaN.
    assert np.all(np.asarray(weights)[1] == 0.0)
    assert np.all(np.asarray(clean)[1] == 0.0)
    # Gradients stay finite through the masked softmax.
    x = tf.constant(garbage)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(pool(x, mask=mask))
    assert np.isfinite(np.asarray(tape.gradient(loss, x))).all()


def test_mask_propagates_in_functional_model():
    ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(10, 4, mask_zero=True)(ids)
    y = AttentionPooling(3)(x)
    model = keras.Model(ids, y)
    np.testing.assert_allclose(
        model(np.array([[4, 5, 6]])), model(np.array([[4, 5, 6, 0, 0]])), atol=ATOL
    )


# The masked scores' floor is the row's own minimum (a -1e9 constant became
# -inf in float16); no overflow warning on the way.
@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_mixed_precision_weights_still_sum_to_one(rng):
    keras.mixed_precision.set_global_policy("mixed_float16")
    pool = AttentionPooling(3)
    h = rng.normal(size=(2, 5, 4)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [0, 0, 0, 0, 0]], bool)
    pooled, weights = pool(h, mask=mask, return_attention_scores=True)
    assert pooled.dtype == "float16"
    np.testing.assert_allclose(np.asarray(weights, "float32")[0].sum(), 1.0, atol=1e-3)
    assert np.isfinite(np.asarray(pooled, "float32")).all()


@pytest.mark.parametrize("units", [0, -2, 2.5, True])
def test_bad_units_are_named(units):
    with pytest.raises(ValueError, match="`units` must be a positive integer"):
        AttentionPooling(units)


def test_bad_inputs_are_named():
    pool = AttentionPooling(2)
    with pytest.raises(ValueError, match=r"`inputs` must have rank 3.*got rank 2"):
        pool(np.zeros((2, 3), "float32"))
    with pytest.raises(TypeError, match=r"`inputs` must be a floating-point.*int32"):
        pool(np.zeros((2, 3, 4), "int32"))


def test_config_round_trip():
    pool = AttentionPooling(5, context_initializer="ones", name="pool")
    clone = assert_config_round_trip(pool)
    assert clone.units == 5


@pytest.mark.slow
def test_reloads_in_fresh_process(tmp_path, rng):
    ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(10, 4, mask_zero=True)(ids)
    pooled, weights = AttentionPooling(3)(x, return_attention_scores=True)
    model = keras.Model(ids, [pooled, weights])
    randomize_weights(model, seed=9)
    assert_reloads_in_fresh_process(model, np.array([[1, 2, 3], [4, 0, 0]]), tmp_path)
