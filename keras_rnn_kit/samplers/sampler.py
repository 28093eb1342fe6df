"""The decoding contract the kit's samplers share (`step_fn`, ids, lengths)."""

import tensorflow as tf

from keras_rnn_kit.utils.validation import check_non_negative_int
from keras_rnn_kit.utils.validation import check_positive_int


class Sampler:
    """Base of the in-graph samplers: arguments, the `step_fn` contract, config.

    A sampler drives a decoder one token at a time through a `step_fn`:

        log_probs, new_state = step_fn(token_ids, state)

    - `token_ids`: int32 `(batch,)`, the previous token of every row (`start_id`
      at the first step).
    - `state`: any nest (dict, list, tuple) of tensors whose first axis is the
      batch; the sampler never looks inside it, only tiles it across beams and
      reorders rows with `tf.gather`, so encoder memory may travel in it.
    - `log_probs`: float `(batch, vocabulary_size)` log-probabilities of the next
      token (e.g. `log_softmax` of the logits).
    - `new_state`: the same nest, shapes and dtypes as `state`.

    Decoding stops for a row at `end_id` (which is kept in the output) and for
    everyone at `max_length` tokens; positions after the end hold `pad_id`, which
    is never generated before the end. The
    loop is one `tf.while_loop`, so a sampler called inside a `tf.function` traces
    to a single graph that exports (SavedModel, TFLite with flex ops); called
    eagerly it gives the same result, one Python iteration per token.

    Args:
        max_length: int > 0, most tokens generated (`end_id` included).
        start_id: int >= 0, the token fed at the first step (`<go>`).
        end_id: int >= 0, the token that ends a sequence (`<eos>`).
        pad_id: int >= 0, written after the end.
    """

    def __init__(self, max_length=50, start_id=2, end_id=3, pad_id=0):
        self.max_length = check_positive_int("max_length", max_length)
        self.start_id = check_non_negative_int("start_id", start_id)
        self.end_id = check_non_negative_int("end_id", end_id)
        self.pad_id = check_non_negative_int("pad_id", pad_id)

    @staticmethod
    def batch_size_of(state):
        """Returns the dynamic batch size: the first axis of the first state leaf."""
        leaves = tf.nest.flatten(state)
        if not leaves:
            raise ValueError(
                "`initial_state` must hold at least one tensor with a batch axis, "
                f"got {state!r}."
            )
        return tf.shape(leaves[0])[0]

    def decode_loop(self, body, loop_vars):
        """Runs `body` in a `tf.while_loop` until every row is finished or
        `max_length` steps have run.

        `loop_vars` is `(t, tokens, state, token_ids, finished, lengths,
        log_probs)`. Each iteration's results get the static shapes of the
        incoming loop variables back, which reshapes and gathers by a traced
        batch size would otherwise forget.
        """

        def condition(*loop_vars):
            return tf.logical_not(tf.reduce_all(loop_vars[4]))

        def shaped_body(*loop_vars):
            def keep_shape(new, old):
                new.set_shape(old.shape)
                return new

            new_vars = body(*loop_vars)
            return tf.nest.map_structure(keep_shape, new_vars, loop_vars)

        loop_vars = tf.nest.map_structure(tf.convert_to_tensor, loop_vars)
        return tf.while_loop(
            condition, shaped_body, loop_vars, maximum_iterations=self.max_length
        )

    def write_column(self, token_ids, column, t):
        """Returns `token_ids` (`(..., max_length)`) with `[..., t]` set to `column`."""
        at_t = tf.equal(tf.range(self.max_length), t)
        return tf.where(at_t, tf.expand_dims(column, -1), token_ids)

    def get_config(self):
        return {
            "max_length": self.max_length,
            "start_id": self.start_id,
            "end_id": self.end_id,
            "pad_id": self.pad_id,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({arguments})"
