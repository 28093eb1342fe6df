import numpy as np
import pytest

from keras_rnn_kit.layers import LuongAttention
from tests.layers.attention_reference import attend
from tests.layers.attention_reference import luong_scores
from tests.test_case import assert_config_round_trip

MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], bool)


@pytest.mark.parametrize("scale", [False, True])
def test_general_matches_numpy_equations(rng, scale):
    # Luong et al. 2015, general score q . W_a m; atol 1e-5.
    query = rng.normal(size=(3, 4, 6)).astype("float32")
    memory = rng.normal(size=(3, 5, 7)).astype("float32")
    layer = LuongAttention("general", scale=scale)
    context, weights = layer(query, memory, MASK)
    kernel = layer.kernel.numpy()
    want_context, want_weights = attend(
        luong_scores(query, memory, kernel, scale), memory, MASK
    )
    np.testing.assert_allclose(weights, want_weights, atol=1e-5)
    np.testing.assert_allclose(context, want_context, atol=1e-5)


def test_dot_matches_numpy_and_has_no_weights(rng):
    query = rng.normal(size=(3, 6)).astype("float32")
    memory = rng.normal(size=(3, 5, 6)).astype("float32")
    layer = LuongAttention("dot")
    context, weights = layer(query, memory, MASK)
    assert layer.weights == []
    want_context, want_weights = attend(
        luong_scores(query[:, None], memory), memory, MASK
    )
    np.testing.assert_allclose(weights, want_weights[:, 0], atol=1e-5)
    np.testing.assert_allclose(context, want_context[:, 0], atol=1e-5)


def test_weights_sum_to_one_and_are_exactly_zero_on_padding(rng):
    query = 10 * rng.normal(size=(3, 4, 6)).astype("float32")
    memory = rng.normal(size=(3, 5, 6)).astype("float32")
    _, weights = LuongAttention("dot")(query, memory, MASK)
    weights = np.asarray(weights)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)
    assert (weights[np.broadcast_to(~MASK[:, None, :], weights.shape)] == 0.0).all()


def test_without_mask_attends_everywhere(rng):
    query = rng.normal(size=(2, 6)).astype("float32")
    memory = rng.normal(size=(2, 5, 6)).astype("float32")
    _, weights = LuongAttention("dot")(query, memory)
    want = attend(luong_scores(query[:, None], memory), memory, np.ones((2, 5), bool))
    np.testing.assert_allclose(weights, want[1][:, 0], atol=1e-5)


def test_config_round_trip():
    clone = assert_config_round_trip(LuongAttention("dot", scale=True))
    assert clone.score_mode == "dot" and clone.scale


def test_bad_score_mode_names_the_argument():
    with pytest.raises(ValueError, match="`score_mode`"):
        LuongAttention("concat")


def test_dot_with_mismatched_widths_is_explained(rng):
    query = rng.normal(size=(2, 4)).astype("float32")
    memory = rng.normal(size=(2, 5, 6)).astype("float32")
    with pytest.raises(ValueError, match="query_dim=4 and memory_dim=6"):
        LuongAttention("dot")(query, memory)
