"""Hand-made `step_fn`s for sampler tests: next-token tables (Markov chains)."""

import itertools

import numpy as np
import tensorflow as tf

PAD, GO, EOS = 0, 2, 3


def markov_step_fn(probabilities):
    """A `step_fn` whose next-token distribution depends on the previous token only.

    `probabilities[i]` is P(next | previous = i). The state is a dummy `(batch, 1)`
    tensor that also checks the sampler threads state through unchanged in shape.
    """
    table = tf.math.log(tf.constant(probabilities, tf.float32))

    def step_fn(token_ids, state):
        return tf.gather(table, token_ids), state + 1.0

    return step_fn


def random_table(vocabulary_size, seed, order=1):
    """A random row-stochastic next-token table, `(V,) * order + (V,)`."""
    rng = np.random.default_rng(seed)
    shape = (vocabulary_size,) * order
    return rng.dirichlet(np.ones(vocabulary_size), size=shape)


def second_order_step_fn(probabilities):
    """A `step_fn` over a `(V, V, V)` table; the state `(batch, 1)` holds the
    token before the previous one, so a sampler that reorders beams must reorder
    the state with them."""
    table = tf.math.log(tf.constant(probabilities, tf.float32))

    def step_fn(token_ids, state):
        log_probs = tf.gather_nd(table, tf.stack([state[:, 0], token_ids], axis=1))
        return log_probs, token_ids[:, None]

    return step_fn


def best_sequences(probabilities, max_length, count=1):
    """Exhaustive search: the `count` most probable outputs (never `<pad>`;
    ending at `<eos>` or `max_length`), as `(log_prob, tokens)`, best first.

    `probabilities` is a first-order table `(V, V)` (P(next | previous)) or a
    second-order one `(V, V, V)` (P(next | before previous, previous), with
    `<go>` standing in before the start)."""
    log_table = np.log(np.asarray(probabilities, dtype=np.float64))
    vocabulary = [v for v in range(len(probabilities)) if v != PAD]
    second_order = log_table.ndim == 3
    results = []
    for length in range(1, max_length + 1):
        for tokens in itertools.product(vocabulary, repeat=length):
            if EOS in tokens[:-1]:
                continue
            if length < max_length and tokens[-1] != EOS:
                continue
            history = (GO, GO) + tokens
            score = sum(
                log_table[history[i], history[i + 1], history[i + 2]]
                if second_order
                else log_table[history[i + 1], history[i + 2]]
                for i in range(length)
            )
            results.append((score, list(tokens)))
    results.sort(key=lambda item: -item[0])
    return results[:count]


def numpy_greedy(probabilities, max_length):
    """Greedy decoding from `<go>` in plain Python: `(tokens, log_prob)`."""
    log_table = np.log(np.asarray(probabilities, dtype=np.float64))
    previous, tokens, total = GO, [], 0.0
    for _ in range(max_length):
        row = log_table[previous].copy()
        row[PAD] = -np.inf
        previous = int(np.argmax(row))
        tokens.append(previous)
        total += row[previous]
        if previous == EOS:
            break
    return tokens, total
