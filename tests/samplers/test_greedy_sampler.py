import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.samplers import GreedySampler
from tests.samplers.markov import markov_step_fn
from tests.samplers.markov import numpy_greedy
from tests.samplers.markov import random_table


def run(sampler, step_fn, state):
    return {
        k: v.numpy()
        for k, v in tf.function(lambda s: sampler(step_fn, s))(state).items()
    }


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_matches_python_greedy_on_random_chains(seed):
    table = random_table(7, seed)
    want_tokens, want_log_prob = numpy_greedy(table, max_length=5)
    out = run(GreedySampler(max_length=5), markov_step_fn(table), tf.zeros((2, 1)))
    for row in range(2):
        got = out["token_ids"][row]
        assert got[: len(want_tokens)].tolist() == want_tokens
        assert (got[len(want_tokens) :] == 0).all()
        assert out["lengths"][row] == len(want_tokens)
        np.testing.assert_allclose(out["log_probs"][row], want_log_prob, atol=1e-5)


def test_never_emits_pad_even_when_it_is_most_probable():
    table = np.full((5, 5), 0.05)
    table[:, 0] = 0.7  # <pad> most probable everywhere
    table[2, 4], table[4, 3] = 0.2, 0.2
    out = run(GreedySampler(max_length=4), markov_step_fn(table), tf.zeros((1, 1)))
    assert out["token_ids"].tolist() == [[4, 3, 0, 0]]


def test_state_is_threaded_and_rows_stop_independently():
    # The state counts down per row; the row says <eos> when its count reaches 0.
    def step_fn(token_ids, state):
        done = tf.equal(state[:, 0], 0)
        log_probs = tf.where(
            done[:, None],
            tf.math.log([[1e-6, 1e-6, 1e-6, 1.0, 1e-6]]),
            tf.math.log([[1e-6, 1e-6, 1e-6, 1e-6, 1.0]]),
        )
        return log_probs, state - 1

    out = run(GreedySampler(max_length=4), step_fn, tf.constant([[0], [2], [5]]))
    assert out["token_ids"].tolist() == [[3, 0, 0, 0], [4, 4, 3, 0], [4, 4, 4, 4]]
    assert out["lengths"].tolist() == [1, 3, 4]


def test_traces_once_for_any_batch_size():
    sampler = GreedySampler(max_length=3)
    step_fn = markov_step_fn(random_table(6, 0))
    function = tf.function(
        lambda s: sampler(step_fn, s)["token_ids"],
        input_signature=[tf.TensorSpec((None, 1), tf.float32)],
    )
    assert function(tf.zeros((1, 1))).shape == (1, 3)
    assert function(tf.zeros((4, 1))).shape == (4, 3)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"max_length": 0}, "max_length"),
        ({"max_length": 2.5}, "max_length"),
        ({"end_id": -1}, "end_id"),
        ({"start_id": "a"}, "start_id"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        GreedySampler(**kwargs)


def test_config_round_trip():
    sampler = GreedySampler(max_length=7, start_id=1, end_id=2, pad_id=5)
    assert GreedySampler.from_config(sampler.get_config()).get_config() == (
        sampler.get_config()
    )
