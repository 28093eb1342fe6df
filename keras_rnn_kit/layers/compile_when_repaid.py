"""Runs plain TensorFlow ops until they have cost what an XLA compile would.

An XLA program pays back its compile (0.2-0.3 s on a 2-core CPU) only over many
calls of the same shape: a `model.predict` of one short sequence saves about 2 ms
a call by running compiled, so a served model that meets a new length with most
requests would spend more compiling than it saves. Ski rental decides: the first
calls of each shape run the plain-op version, timed in the graph itself
(`tf.timestamp`), and once their total time reaches the cost of a compile, later
calls of that shape run (and so compile) the XLA program. No workload then costs
more than about twice what the better choice in hindsight would have.

The time spent is kept per padded time length and batch size, process-wide, in
one variable outside every model (it is never saved: the kit traces its step loop
for SavedModels, see `keras_rnn_kit.layers.RNN`).
"""

import math

import tensorflow as tf

from keras_rnn_kit.utils import keras_compat


class CompileWhenRepaid:
    """Chooses, per call, between a plain-op function and its XLA-compiled twin.

    Args:
        compile_seconds: float >= 0, the time an XLA compile is taken to cost: the
            plain-op calls of one shape run until they have taken this long in
            all. 0 compiles at once. A traced function keeps the value it was
            traced with.
        min_length: int, a power of two, the shortest padded time length.

    Example:

    >>> import tensorflow as tf
    >>> tier = CompileWhenRepaid(compile_seconds=0.0)
    >>> double = lambda x: (2.0 * x,)
    >>> compiled = tf.function(double, jit_compile=True)
    >>> run = tf.function(lambda x: tier(double, compiled, x, length=32, batch=2))
    >>> [float(v) for v in run(tf.ones([2]))[0]]  # (batch,)
    [2.0, 2.0]
    >>> tier.seconds_spent(length=32, batch=2) == 0.0  # compiled at once
    True
    """

    # Rows of the account: padded lengths min_length * 2**k; columns: batch sizes
    # up to BATCH_SLOTS (larger batches share the last column).
    LENGTH_SLOTS = 16
    BATCH_SLOTS = 256

    def __init__(self, compile_seconds=0.25, min_length=32):
        if not compile_seconds >= 0:
            raise ValueError(
                f"`compile_seconds` must be a number >= 0, got {compile_seconds!r}."
            )
        self.compile_seconds = float(compile_seconds)
        self.min_length = int(min_length)
        self._account = None

    def applies(self):
        """Whether a call traced now may rent: inside a traced function that is not
        itself compiled by XLA (where every branch would be compiled anyway) and
        outside a distribution strategy (whose variable creator would mirror the
        account)."""
        return not (
            tf.executing_eagerly()
            or tf.distribute.has_strategy()
            or keras_compat.in_xla_context()
        )

    def __call__(self, plain, compiled, *args, length, batch):
        """Runs `plain(*args)` or `compiled(*args)`.

        Args:
            plain: the plain-op function.
            compiled: its XLA twin; both return the same flat tuple of tensors,
                and both take every tensor they read as an argument (one that
                captures a tensor from outside raises `ValueError`).
            *args: tensors, tuples of tensors or None.
            length, batch: int32 scalars (or ints), the padded time length and the
                batch size: the shape whose time is counted.

        Returns:
            `plain`'s results until this shape's plain calls have taken
            `compile_seconds` in all, then `compiled`'s.
        """
        slot = self._slot(length, batch)
        account = self._get_account()

        def rent(account_handle, slot, args):
            # Timed inside the branch, so the branch's first-run setup is not
            # counted as time the plain ops took.
            inputs = [a for a in tf.nest.flatten(args) if a is not None]
            with tf.control_dependencies(inputs):
                start = tf.timestamp()
            with tf.control_dependencies([start]):
                started = tf.nest.map_structure(_identity, args)
            results = plain(*started)
            with tf.control_dependencies(results):
                spent = tf.timestamp() - start
            paid = tf.raw_ops.ResourceScatterNdAdd(
                ref=account_handle, indices=[slot], updates=[spent]
            )
            with tf.control_dependencies([paid]):
                return tuple(tf.identity(r) for r in results)

        renting = tf.gather_nd(account, slot) < self.compile_seconds
        return tuple(
            _either(
                renting,
                rent,
                lambda account_handle, slot, args: compiled(*args),
                (account.handle, slot, args),
            )
        )

    def seconds_spent(self, length, batch):
        """The plain-op time counted so far for this padded length and batch size."""
        if self._account is None:
            return 0.0
        return float(tf.gather_nd(self._account, self._slot(length, batch)))

    def _slot(self, length, batch):
        length = tf.cast(length, tf.float64)
        row = tf.math.round(tf.math.log(length / self.min_length) / math.log(2.0))
        row = tf.clip_by_value(tf.cast(row, tf.int32), 0, self.LENGTH_SLOTS - 1)
        column = tf.clip_by_value(tf.cast(batch, tf.int32), 1, self.BATCH_SLOTS) - 1
        return tf.stack([row, column])

    def _get_account(self):
        if self._account is None:
            with tf.init_scope():
                self._account = tf.Variable(
                    tf.zeros([self.LENGTH_SLOTS, self.BATCH_SLOTS], tf.float64),
                    trainable=False,
                    name="compile_when_repaid_seconds",
                )
        return self._account


def _identity(value):
    return None if value is None else tf.identity(value)


def _either(renting, plain, compiled, args):
    """`plain(*args)` if `renting` else `compiled(*args)`, as one `If` op that
    runs the chosen branch function when the op runs.

    `tf.cond` marks its op to be lowered into `Switch`/`Merge` and inlined into
    the caller's graph, which TensorFlow's graph optimizer then works through
    again at the first run of every trace (Keras's `predict` traces twice per
    model). This op is not lowered: each branch stays a function of its own, run
    when chosen. For the kit's loop on a 2-core CPU that made each of the two
    `predict` traces about 20 ms cheaper: the first and second `predict` of a
    batch-1 model (tracing included) took 190-200 and 205-220 ms with
    `tf.cond`, 165-185 and 185-200 ms with this op (`keras.layers.LSTM`:
    170-190 ms each).
    """
    inputs = [a for a in tf.nest.flatten(args) if a is not None]
    specs = [tf.TensorSpec(a.shape, a.dtype) for a in inputs]

    def branch(fn):
        def run(*tensors):
            tensors = iter(tensors)
            rebuilt = tf.nest.map_structure(
                lambda a: None if a is None else next(tensors), args
            )
            return tuple(fn(*rebuilt))

        return tf.function(run, autograph=False).get_concrete_function(*specs)

    then_branch, else_branch = branch(plain), branch(compiled)
    for name, function in (("plain", then_branch), ("compiled", else_branch)):
        if function.captured_inputs:
            raise ValueError(
                f"`{name}` must take every tensor it reads as an argument, but it "
                f"captures {len(function.captured_inputs)} from outside: "
                f"{function.captured_inputs}."
            )
    results = tf.raw_ops.If(
        cond=renting,
        input=inputs,
        Tout=[r.dtype for r in then_branch.outputs],
        then_branch=then_branch,
        else_branch=else_branch,
    )
    for result, like in zip(results, then_branch.outputs, strict=True):
        result.set_shape(like.shape)
    return results
