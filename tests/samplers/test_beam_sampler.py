import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.samplers import BeamSampler
from keras_rnn_kit.samplers import GreedySampler
from tests.samplers.markov import best_sequences
from tests.samplers.markov import markov_step_fn
from tests.samplers.markov import random_table
from tests.samplers.markov import second_order_step_fn

# From <go> (row 2): token 4 with 0.6, token 5 with 0.4. After 4: <eos> 0.4, so
# greedy ends with 0.6 * 0.4 = 0.24; after 5: <eos> 0.9, so 5 <eos> has 0.36.
TRAP = np.full((6, 6), 1e-3)
TRAP[2, 4], TRAP[2, 5] = 0.6, 0.4
TRAP[4, 3], TRAP[4, 1], TRAP[4, 5] = 0.4, 0.3, 0.3
TRAP[5, 3], TRAP[5, 4] = 0.9, 0.1
TRAP[[0, 1, 3], 3] = 1.0


def run(sampler, step_fn, state):
    return {
        k: v.numpy()
        for k, v in tf.function(lambda s: sampler(step_fn, s))(state).items()
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_width_one_equals_greedy_token_for_token(seed):
    step_fn = markov_step_fn(random_table(8, seed))
    state = tf.zeros((3, 1))
    greedy = run(GreedySampler(max_length=6), step_fn, state)
    beam = run(BeamSampler(beam_width=1, max_length=6), step_fn, state)
    np.testing.assert_array_equal(beam["token_ids"][:, 0], greedy["token_ids"])
    np.testing.assert_allclose(beam["log_probs"][:, 0], greedy["log_probs"], atol=1e-5)


def test_beam_finds_the_more_probable_sequence_greedy_misses():
    step_fn = markov_step_fn(TRAP)
    greedy = run(GreedySampler(max_length=4), step_fn, tf.zeros((1, 1)))
    beam = run(BeamSampler(beam_width=2, max_length=4), step_fn, tf.zeros((1, 1)))
    assert greedy["token_ids"].tolist() == [[4, 3, 0, 0]]
    assert beam["token_ids"][:, 0].tolist() == [[5, 3, 0, 0]]
    np.testing.assert_allclose(greedy["log_probs"], np.log([0.24]), atol=1e-5)
    np.testing.assert_allclose(beam["log_probs"][:, 0], np.log([0.36]), atol=1e-5)
    assert beam["log_probs"][0, 0] > greedy["log_probs"][0]


@pytest.mark.parametrize("seed", [0, 1])
def test_wide_beam_equals_exhaustive_search(seed):
    # Vocabulary 6 without <pad>: at most 5 * 5 live prefixes after two steps, so a
    # beam of 25 is exact for max_length 3.
    table = random_table(6, seed)
    want = best_sequences(table, max_length=3, count=3)
    out = run(
        BeamSampler(beam_width=25, n_best=3, max_length=3),
        markov_step_fn(table),
        tf.zeros((2, 1)),
    )
    for rank, (log_prob, tokens) in enumerate(want):
        for row in range(2):
            got = out["token_ids"][row, rank]
            assert got[: len(tokens)].tolist() == tokens
            assert (got[len(tokens) :] == 0).all()
            np.testing.assert_allclose(out["log_probs"][row, rank], log_prob, atol=1e-5)
            assert out["lengths"][row, rank] == len(tokens)


def test_length_penalty_rescores_finished_beams():
    # <eos> at once: log 0.3 / 1; 4 <eos>: log(0.4 * 0.6) / 2 = -0.71 > -1.20.
    table = np.full((5, 5), 0.1)
    table[2] = [0.1, 0.1, 0.1, 0.3, 0.4]
    table[4] = [0.1, 0.1, 0.1, 0.6, 0.1]
    step_fn = markov_step_fn(table)
    plain = run(BeamSampler(beam_width=2, max_length=3), step_fn, tf.zeros((1, 1)))
    penalised = run(
        BeamSampler(beam_width=2, length_penalty=1.0, max_length=3),
        step_fn,
        tf.zeros((1, 1)),
    )
    assert plain["token_ids"][0, 0].tolist() == [3, 0, 0]
    assert penalised["token_ids"][0, 0].tolist() == [4, 3, 0]
    np.testing.assert_allclose(penalised["scores"][0, 0], np.log(0.24) / 2, atol=1e-5)


def test_states_are_reordered_with_their_beams():
    # A second-order model keeps the token before the previous one in the state;
    # without reordering the state with the beams, scores would come out wrong.
    table = random_table(5, seed=3, order=2)
    want = best_sequences(table, max_length=3, count=2)
    out = run(
        BeamSampler(beam_width=16, n_best=2, max_length=3),
        second_order_step_fn(table),
        tf.fill((2, 1), 2),
    )
    for rank, (log_prob, tokens) in enumerate(want):
        assert out["token_ids"][0, rank][: len(tokens)].tolist() == tokens
        np.testing.assert_allclose(out["log_probs"][:, rank], log_prob, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"beam_width": 0}, "beam_width"),
        ({"beam_width": 2, "n_best": 3}, "n_best"),
        ({"length_penalty": -0.5}, "length_penalty"),
        ({"length_penalty": "big"}, "length_penalty"),
        ({"max_length": 0}, "max_length"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        BeamSampler(**kwargs)


def test_config_round_trip():
    sampler = BeamSampler(beam_width=3, length_penalty=0.6, n_best=2, max_length=9)
    assert BeamSampler.from_config(sampler.get_config()).get_config() == (
        sampler.get_config()
    )
