"""Greedy decoding in one `tf.while_loop`."""

import tensorflow as tf

from keras_rnn_kit.samplers.sampler import Sampler


class GreedySampler(Sampler):
    """Picks the most probable token at every step (`argmax` of `log_probs`).

    See `Sampler` for the `step_fn(token_ids, state) -> (log_probs, new_state)`
    contract. Rows that have produced `end_id` are frozen: their later tokens are
    `pad_id` and add nothing to their score.

    Args:
        max_length: int > 0, most tokens generated (`end_id` included).
        start_id: int, the first input token (`<go>`, default 2).
        end_id: int, the end token (`<eos>`, default 3).
        pad_id: int, written after the end (`<pad>`, default 0).

    Call arguments:
        step_fn: the decoder step, see `Sampler`.
        initial_state: nest of `(batch, ...)` tensors given to the first step.

    Returns:
        A dict: `token_ids` int32 `(batch, max_length)` (generated tokens, `end_id`
        included, then `pad_id`), `lengths` int32 `(batch,)` (tokens up to and
        including `end_id`), `log_probs` float32 `(batch,)` (sum of the chosen
        tokens' log-probabilities).

    Example:

    >>> import tensorflow as tf
    >>> from keras_rnn_kit.samplers import GreedySampler
    >>> row = [.1, .1, .1, .3, .4]               # P(next) after <pad>, <oov>, <go>
    >>> table = tf.math.log([row, row, row, row, [.1, .1, .1, .6, .1]])
    >>> step = lambda ids, state: (tf.gather(table, ids), state)
    >>> out = tf.function(lambda s: GreedySampler(max_length=4)(step, s))(
    ...     tf.zeros((1, 1)))
    >>> out["token_ids"].numpy().tolist()       # 4, then <eos> = 3, then <pad>
    [[4, 3, 0, 0]]
    """

    def __call__(self, step_fn, initial_state):
        batch_size = self.batch_size_of(initial_state)
        token_ids = tf.fill([batch_size, self.max_length], self.pad_id)
        tokens = tf.fill([batch_size], self.start_id)
        finished = tf.zeros([batch_size], tf.bool)
        lengths = tf.zeros([batch_size], tf.int32)
        log_probs = tf.zeros([batch_size], tf.float32)

        def body(t, tokens, state, token_ids, finished, lengths, log_probs):
            # 1. One decoder step. (batch, vocabulary_size)
            step_log_probs, state = step_fn(tokens, state)
            step_log_probs = tf.cast(step_log_probs, tf.float32)
            is_pad = tf.equal(tf.range(tf.shape(step_log_probs)[-1]), self.pad_id)
            step_log_probs = tf.where(is_pad, -1e9, step_log_probs)
            # 2. The best non-<pad> token; finished rows emit <pad> and score nothing.
            best = tf.argmax(step_log_probs, axis=-1, output_type=tf.int32)
            best_log_prob = tf.gather(step_log_probs, best, batch_dims=1)
            tokens = tf.where(finished, self.pad_id, best)
            log_probs += tf.where(finished, 0.0, best_log_prob)
            lengths += tf.cast(tf.logical_not(finished), tf.int32)
            # 3. Record the token and close rows that said <eos>.
            token_ids = self.write_column(token_ids, tokens, t)
            finished = tf.logical_or(finished, tf.equal(tokens, self.end_id))
            return t + 1, tokens, state, token_ids, finished, lengths, log_probs

        _, _, _, token_ids, _, lengths, log_probs = self.decode_loop(
            body, (0, tokens, initial_state, token_ids, finished, lengths, log_probs)
        )
        return {"token_ids": token_ids, "lengths": lengths, "log_probs": log_probs}
