"""Beam search in one `tf.while_loop`."""

import tensorflow as tf

from keras_rnn_kit.samplers.sampler import Sampler
from keras_rnn_kit.utils.validation import check_positive_int

_NEG_INF = -1e9


class BeamSampler(Sampler):
    """Keeps the `beam_width` most probable prefixes at every step.

    See `Sampler` for the `step_fn(token_ids, state) -> (log_probs, new_state)`
    contract; `step_fn` sees `batch * beam_width` rows (row `b * beam_width + k`
    is beam `k` of example `b`). At each step every live beam is extended by
    every token, the `beam_width` best totals per example survive, and their
    states and prefixes are reordered with `tf.gather`. A beam that produced
    `end_id` stays in the beam with a fixed score (it extends only by `pad_id`
    at log-probability 0), so finished and live hypotheses compete for the same
    slots. The search stops when every beam has ended or after `max_length`
    tokens; the beams are then ranked by

        score = log P(y) / length(y) ** length_penalty

    (`length_penalty=0` ranks by total log-probability; larger values favour
    longer outputs) and the `n_best` best are returned.

    Args:
        beam_width: int >= 1; 1 is greedy decoding.
        length_penalty: float >= 0, the exponent above.
        n_best: int in [1, beam_width], how many hypotheses to return.
        max_length: int > 0, most tokens generated (`end_id` included).
        start_id: int, the first input token (`<go>`, default 2).
        end_id: int, the end token (`<eos>`, default 3).
        pad_id: int, written after the end (`<pad>`, default 0).

    Call arguments:
        step_fn: the decoder step, see `Sampler`.
        initial_state: nest of `(batch, ...)` tensors for one beam; the sampler
            repeats each row `beam_width` times.

    Returns:
        A dict, best first along axis 1: `token_ids` int32
        `(batch, n_best, max_length)`, `lengths` int32 `(batch, n_best)`,
        `log_probs` float32 `(batch, n_best)` (total log-probability) and
        `scores` float32 `(batch, n_best)` (after the length penalty).

    Example:

    >>> import tensorflow as tf
    >>> from keras_rnn_kit.samplers import BeamSampler
    >>> row = [.1, .1, .1, .3, .4]               # P(next) after <pad>, <oov>, <go>
    >>> table = tf.math.log([row, row, row, row, [.1, .1, .1, .6, .1]])
    >>> step = lambda ids, state: (tf.gather(table, ids), state)
    >>> sampler = BeamSampler(beam_width=2, n_best=2, max_length=3)
    >>> out = tf.function(lambda s: sampler(step, s))(tf.zeros((1, 1)))
    >>> out["token_ids"].numpy().tolist()  # <eos> (0.3) beats greedy's 4 <eos> (0.24)
    [[[3, 0, 0], [4, 3, 0]]]

    Reference:
        Sutskever, Vinyals & Le, "Sequence to Sequence Learning with Neural
        Networks", NeurIPS 2014; Wu et al., "Google's Neural Machine Translation
        System", 2016 (length penalty).
    """

    def __init__(self, beam_width=4, length_penalty=0.0, n_best=1, **kwargs):
        super().__init__(**kwargs)
        self.beam_width = check_positive_int("beam_width", beam_width)
        if (
            isinstance(length_penalty, bool)
            or not isinstance(length_penalty, int | float)
            or length_penalty < 0
        ):
            raise ValueError(
                "`length_penalty` must be a float >= 0, got "
                f"{length_penalty!r} ({type(length_penalty).__name__})."
            )
        self.length_penalty = float(length_penalty)
        self.n_best = check_positive_int("n_best", n_best)
        if n_best > beam_width:
            raise ValueError(
                f"`n_best` must be at most `beam_width` ({beam_width}), got {n_best}."
            )

    def __call__(self, step_fn, initial_state):
        width, length = self.beam_width, self.max_length
        batch_size = self.batch_size_of(initial_state)
        # Row b * width + k is beam k of example b.
        state = tf.nest.map_structure(
            lambda x: tf.repeat(x, width, axis=0), initial_state
        )
        tokens = tf.fill([batch_size * width], self.start_id)
        token_ids = tf.fill([batch_size, width, length], self.pad_id)
        # Only beam 0 is live at first, so the first step does not pick duplicates.
        first = tf.concat([[0.0], tf.fill([width - 1], _NEG_INF)], 0)
        log_probs = tf.tile(first[tf.newaxis], [batch_size, 1])
        finished = tf.zeros([batch_size, width], tf.bool)
        lengths = tf.zeros([batch_size, width], tf.int32)

        def body(t, tokens, state, token_ids, finished, lengths, log_probs):
            # 1. One decoder step for every beam. (batch, width, vocabulary_size)
            step_log_probs, state = step_fn(tokens, state)
            step_log_probs = tf.cast(step_log_probs, tf.float32)
            vocabulary_size = tf.shape(step_log_probs)[-1]
            step_log_probs = tf.reshape(
                step_log_probs, [batch_size, width, vocabulary_size]
            )
            # 2. A live beam never emits <pad>; a finished one extends only by
            # <pad>, at no cost.
            is_pad = tf.equal(tf.range(vocabulary_size), self.pad_id)
            step_log_probs = tf.where(
                finished[..., tf.newaxis],
                tf.where(is_pad, 0.0, _NEG_INF),
                tf.where(is_pad, _NEG_INF, step_log_probs),
            )
            # 3. Best `width` extensions per example. (batch, width * vocabulary_size)
            totals = tf.reshape(
                log_probs[..., tf.newaxis] + step_log_probs, [batch_size, -1]
            )
            log_probs, best = tf.math.top_k(totals, k=width)
            parents = best // vocabulary_size
            new_tokens = tf.cast(best % vocabulary_size, tf.int32)
            # 4. Reorder prefixes, flags, lengths and states by parent beam.
            token_ids = tf.gather(token_ids, parents, batch_dims=1)
            finished = tf.gather(finished, parents, batch_dims=1)
            lengths = tf.gather(lengths, parents, batch_dims=1)
            rows = tf.reshape(
                parents + tf.range(batch_size)[:, tf.newaxis] * width, [-1]
            )
            state = tf.nest.map_structure(lambda x: tf.gather(x, rows), state)
            # 5. Append the new tokens and close beams that said <eos>.
            token_ids = self.write_column(token_ids, new_tokens, t)
            lengths += tf.cast(tf.logical_not(finished), tf.int32)
            finished = tf.logical_or(finished, tf.equal(new_tokens, self.end_id))
            tokens = tf.reshape(new_tokens, [-1])
            return t + 1, tokens, state, token_ids, finished, lengths, log_probs

        _, _, _, token_ids, _, lengths, log_probs = self.decode_loop(
            body, (0, tokens, state, token_ids, finished, lengths, log_probs)
        )
        # 6. Rank the final beams with the length penalty and keep `n_best`.
        scores = log_probs / tf.pow(
            tf.cast(tf.maximum(lengths, 1), tf.float32), self.length_penalty
        )
        scores, order = tf.math.top_k(scores, k=self.n_best)
        return {
            "token_ids": tf.gather(token_ids, order, batch_dims=1),
            "lengths": tf.gather(lengths, order, batch_dims=1),
            "log_probs": tf.gather(log_probs, order, batch_dims=1),
            "scores": scores,
        }

    def get_config(self):
        config = {
            "beam_width": self.beam_width,
            "length_penalty": self.length_penalty,
            "n_best": self.n_best,
        }
        return {**super().get_config(), **config}
