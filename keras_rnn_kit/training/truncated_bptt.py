"""Backpropagation through time, full and truncated.

Full BPTT is what `model.fit` already does on a `keras.layers.RNN`: the layer unrolls
the cell over the whole sequence inside one `tf.GradientTape`, so the gradient of the
loss with respect to the shared weights is the sum of the per-step contributions
(the slides' "copies of the cell over time, weights shared"), and the optimizer
applies it once per batch. Long sequences make that costly (activations for every
step are kept for the backward pass) and the product of Jacobians
`∂h_t/∂h_{t-1}` vanishes or explodes (see `keras_rnn_kit.diagnostics`). Exploding
gradients are clipped by their global norm with an optimizer argument, e.g.
`keras.optimizers.SGD(learning_rate=lr, global_clipnorm=1.0)`: the whole gradient is
rescaled so that its norm is at most 1.0, so no update is longer than `lr * 1.0`.

Truncated BPTT (`TruncatedBPTT`) cuts a long sequence into windows of `window_size`
steps. The state is carried forward from one window to the next (the forward pass is
exactly the full-sequence one) but the gradient is stopped at every window boundary,
so each backward pass spans at most `window_size` steps. With `update="window"` the
optimizer steps once per window (TBPTT(k, k) of Williams & Peng); with
`update="accumulate"` the truncated window gradients are summed and applied once per
batch, which is what a `tf.distribute` strategy requires (it cannot synchronize
inside the in-graph window loop). For streams longer than a batch, set
`stateful_across_batches=True` and feed consecutive windows from `stream_windows`.

Reference:
    Williams & Peng, "An efficient gradient-based algorithm for on-line training of
    recurrent network trajectories", Neural Computation 1990.
"""

import copy

import keras
import numpy as np
import tensorflow as tf

from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_positive_int
from keras_rnn_kit.utils.validation import check_rank

UPDATES = ("window", "accumulate")


@keras.saving.register_keras_serializable(package="keras_rnn_kit")
class TruncatedBPTT(keras.Model):
    """A recurrent layer plus a per-step head, trained with truncated BPTT.

    `call` runs the full sequence from `initial_state` or zeros (so `predict` and
    `evaluate` are unchanged, also with `stateful_across_batches`); only
    `train_step` works in windows. For each batch `(batch, T, features)` it loops over
    `ceil(T / window_size)` windows in graph (`tf.while_loop`, any `T`, the last
    window shorter when `window_size` does not divide `T`); in each window it runs
    the layer from the carried state, computes the compiled loss on that window's
    targets, takes the gradient (which stops at the window's first step) and either
    applies it (`update="window"`) or adds it to a running sum applied after the last
    window (`update="accumulate"`, the sum of the window losses weighted by their
    length over `T`, i.e. the per-step mean loss). The reported `loss` is that mean
    (under a strategy, over the global batch, as on one device), the compiled metrics
    see every window.

    Args:
        recurrent: a `keras.layers.RNN` (e.g. of a kit cell) built with
            `return_sequences=True, return_state=True`, not `stateful`, not
            `go_backwards`.
        head: a layer applied to the `(batch, time, units)` outputs, e.g.
            `keras.layers.Dense(n)`.
        window_size: int > 0, steps per truncation window.
        update: `"window"` (default, one optimizer update per window) or
            `"accumulate"` (one update per batch; needed under `tf.distribute`).
        stateful_across_batches: if True, the final state of each batch is kept in
            non-trainable variables and is the initial state of the next batch
            (consecutive windows of a stream, see `stream_windows`); reset it with
            `reset_state()`, e.g. at the start of every epoch.
        batch_size: int > 0, required when `stateful_across_batches` is True (the
            number of parallel sub-streams), as for a stateful Keras RNN.
        **kwargs: base `keras.Model` arguments (`name`, ...).

    Call arguments:
        inputs: `(batch, time, features)` float tensor.
        initial_state: optional list of `(batch, units)` tensors, else zeros.
        training: bool, passed to the layers.

    Returns:
        The head's output over the whole sequence, e.g. `(batch, time, n)`.

    Example:

    >>> import numpy as np, keras
    >>> from keras_rnn_kit.cells import VanillaRNNCell
    >>> from keras_rnn_kit.training import TruncatedBPTT
    >>> rnn = keras.layers.RNN(VanillaRNNCell(8), return_sequences=True,
    ...                        return_state=True)
    >>> model = TruncatedBPTT(rnn, keras.layers.Dense(1), window_size=4)
    >>> model.compile(optimizer="adam", loss="mse")
    >>> x = np.random.normal(size=(4, 10, 3)).astype("float32")  # 3 windows: 4, 4, 2
    >>> history = model.fit(x, x[..., :1], epochs=1, verbose=0)
    >>> model.predict(x, verbose=0).shape  # (batch, time, 1)
    (4, 10, 1)
    """

    def __init__(
        self,
        recurrent,
        head,
        window_size,
        update="window",
        stateful_across_batches=False,
        batch_size=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _check_recurrent(recurrent)
        if not isinstance(head, keras.layers.Layer):
            raise ValueError(
                "`head` must be a keras.layers.Layer applied to every step, e.g. "
                f"keras.layers.Dense(n); got {head!r} ({type(head).__name__})."
            )
        self.recurrent = recurrent
        self.head = head
        self.window_size = check_positive_int("window_size", window_size)
        self.update = check_choice("update", update, UPDATES)
        if not isinstance(stateful_across_batches, bool):
            kind = type(stateful_across_batches).__name__
            raise ValueError(
                "`stateful_across_batches` must be a bool, got "
                f"{stateful_across_batches!r} ({kind})."
            )
        self.stateful_across_batches = stateful_across_batches
        self.batch_size = batch_size
        self.carried_state = []
        if stateful_across_batches:
            check_positive_int("batch_size", batch_size)
            self.carried_state = [
                self.add_weight(
                    shape=(batch_size, size),
                    initializer="zeros",
                    trainable=False,
                    name=f"carried_state_{i}",
                )
                for i, size in enumerate(_state_sizes(recurrent))
            ]

    def build(self, input_shape):
        check_rank("inputs", input_shape, 3, "(batch, time, features)")
        if not self.recurrent.built:
            self.recurrent.build(input_shape)
        if not self.head.built:
            units = _state_sizes(self.recurrent)[0]
            self.head.build(tuple(input_shape[:2]) + (units,))

    def call(self, inputs, initial_state=None, training=None):
        outputs, *_ = self.recurrent(
            inputs, initial_state=initial_state, training=training
        )
        return self.head(outputs, training=training)

    def call_window(self, inputs, states, training=False):
        """Runs one window from `states`; the returned state carries no gradient.

        Args:
            inputs: `(batch, steps, features)` slice of the sequence.
            states: list of `(batch, units)` tensors, the state before the window.
            training: bool, passed to the layers.

        Returns:
            `(predictions, next_states)`: the head's output on the window and the
            state after its last step, wrapped in `tf.stop_gradient` (the
            truncation point).
        """
        outputs, *next_states = self.recurrent(
            inputs, initial_state=states, training=training
        )
        predictions = self.head(outputs, training=training)
        return predictions, [tf.stop_gradient(s) for s in next_states]

    def fit(self, x=None, y=None, **kwargs):
        """`keras.Model.fit`, never reordering a stream's batches.

        With `stateful_across_batches`, batch `k + 1` continues batch `k`, so
        shuffling would feed every window a stranger's state: `shuffle`
        defaults to False and `shuffle=True` raises. A `tf.data.Dataset` is
        read in its own order either way (no `shuffle=True` warning).
        """
        if self.stateful_across_batches and kwargs.get("shuffle") is True:
            raise ValueError(
                "`shuffle` must be False with `stateful_across_batches=True`: each "
                "batch continues the previous one's stream; got shuffle=True."
            )
        if self.stateful_across_batches or isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)
        return super().fit(x, y, **kwargs)

    def reset_state(self):
        """Zeroes the state carried across batches (`stateful_across_batches`)."""
        if not self.stateful_across_batches:
            raise ValueError(
                "reset_state() needs a model built with stateful_across_batches=True; "
                "this one starts every batch from zeros already."
            )
        for variable in self.carried_state:
            variable.assign(keras.ops.zeros_like(variable))

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        _check_batch(x, y)
        if self.update == "window" and tf.distribute.has_strategy():
            raise ValueError(
                "`update='window'` applies the optimizer inside the in-graph window "
                "loop, which tf.distribute strategies cannot synchronize; build the "
                "model with update='accumulate' to train under a strategy."
            )
        if not self.built:
            self(x[:, :1])
        variables = self.trainable_variables
        if not self.optimizer.built:
            self.optimizer.build(variables)
        batch = x.shape[0] or tf.shape(x)[0]
        time = tf.shape(x)[1]
        num_windows = (time + self.window_size - 1) // self.window_size
        states = self._batch_initial_state(batch)
        grad_sums = [tf.zeros_like(v) for v in variables]
        # `compute_loss` divides each replica's loss by the replicas, so that the
        # optimizer's cross-replica sum of gradients is the global mean; the
        # reported loss undoes that, as keras' own `train_step` does.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync

        def window_step(index, states, loss_sum, grad_sums):
            start = index * self.window_size
            stop = tf.minimum(start + self.window_size, time)
            weight = tf.cast(stop - start, "float32") / tf.cast(time, "float32")
            y_w = _slice_time(y, start, stop)
            sw_w = _slice_time(sample_weight, start, stop)
            with tf.GradientTape() as tape:
                y_pred, next_states = self.call_window(
                    x[:, start:stop], states, training=True
                )
                loss = self.compute_loss(
                    x=x, y=y_w, y_pred=y_pred, sample_weight=sw_w, training=True
                )
                scaled = self.optimizer.scale_loss(loss)
                if self.update == "accumulate":
                    scaled = scaled * tf.cast(weight, scaled.dtype)
            grads = tape.gradient(scaled, variables)
            grads = [
                tf.zeros_like(v) if g is None else g
                for v, g in zip(variables, grads, strict=True)
            ]
            self.compute_metrics(x, y_w, y_pred, sample_weight=sw_w)
            if self.update == "window":
                self.optimizer.apply(grads, variables)
            else:
                grad_sums = [s + g for s, g in zip(grad_sums, grads, strict=True)]
            loss_sum += tf.cast(loss, "float32") * (weight * replicas)
            return index + 1, next_states, loss_sum, grad_sums

        invariants = [
            tf.TensorShape([]),
            [tf.TensorShape([None]).concatenate(s.shape[1:]) for s in states],
            tf.TensorShape([]),
            [v.shape for v in grad_sums],
        ]
        _, states, loss_sum, grad_sums = tf.while_loop(
            lambda index, *_: index < num_windows,
            window_step,
            [tf.constant(0), states, tf.constant(0.0), grad_sums],
            shape_invariants=invariants,
        )
        if self.update == "accumulate":
            self.optimizer.apply(grad_sums, variables)
        for variable, state in zip(self.carried_state, states, strict=False):
            variable.assign(tf.cast(state, variable.dtype))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss_sum, sample_weight=batch)
        return self.get_metrics_result()

    def _batch_initial_state(self, batch):
        if not self.stateful_across_batches:
            return [
                tf.zeros(tf.stack([batch, size]), dtype=self.compute_dtype)
                for size in _state_sizes(self.recurrent)
            ]
        message = (
            "with stateful_across_batches=True every batch must hold "
            f"batch_size={self.batch_size} sub-streams (see stream_windows)"
        )
        if isinstance(batch, int) and batch != self.batch_size:
            raise ValueError(f"{message}; got a batch of {batch}.")
        check = tf.debugging.assert_equal(batch, self.batch_size, message=message)
        with tf.control_dependencies([check]):
            return [
                tf.cast(tf.identity(v), self.compute_dtype) for v in self.carried_state
            ]

    def get_config(self):
        config = {
            "recurrent": keras.saving.serialize_keras_object(self.recurrent),
            "head": keras.saving.serialize_keras_object(self.head),
            "window_size": self.window_size,
            "update": self.update,
            "stateful_across_batches": self.stateful_across_batches,
            "batch_size": self.batch_size,
        }
        return {"name": self.name, "trainable": self.trainable, **config}

    @classmethod
    def from_config(cls, config):
        config = copy.deepcopy(config)  # RNN.from_config pops keys in place
        recurrent = keras.saving.deserialize_keras_object(config.pop("recurrent"))
        head = keras.saving.deserialize_keras_object(config.pop("head"))
        return cls(recurrent=recurrent, head=head, **config)


def stream_windows(inputs, targets, window_size: int, num_streams: int):
    """Cuts one long stream into consecutive windows of `num_streams` sub-streams.

    The stream is split into `num_streams` equal contiguous sub-streams (row `b` of
    every batch continues sub-stream `b`), and each dataset element is the next
    `window_size` steps of all of them, in order; the last element is shorter when
    `window_size` does not divide the sub-stream length. Feed it (unshuffled) to a
    `TruncatedBPTT(..., stateful_across_batches=True, batch_size=num_streams)`.

    Args:
        inputs: `(T_total, features)` array, the stream.
        targets: `(T_total, ...)` array, one target per step.
        window_size: int > 0, steps per element.
        num_streams: int > 0, parallel sub-streams (the batch size); must divide
            `T_total` (trim or pad the stream first; nothing is dropped here).

    Returns:
        A `tf.data.Dataset` of `(x, y)` with `x` `(num_streams, window, features)`
        and `y` `(num_streams, window, ...)`.

    Example:

    >>> import numpy as np, keras
    >>> from keras_rnn_kit.cells import LSTMCell
    >>> from keras_rnn_kit.training import TruncatedBPTT, stream_windows
    >>> stream = np.random.normal(size=(10, 2)).astype("float32")
    >>> ds = stream_windows(stream, stream[:, :1], window_size=2, num_streams=2)
    >>> [x.shape[1] for x, _ in ds]  # sub-streams of 5 steps: 2 + 2 + 1
    [2, 2, 1]
    >>> rnn = keras.layers.RNN(LSTMCell(4), return_sequences=True, return_state=True)
    >>> model = TruncatedBPTT(rnn, keras.layers.Dense(1), window_size=2,
    ...                       stateful_across_batches=True, batch_size=2)
    >>> model.compile(optimizer="adam", loss="mse")
    >>> restart = keras.callbacks.LambdaCallback(
    ...     on_epoch_begin=lambda epoch, logs: model.reset_state())
    >>> history = model.fit(ds, epochs=2, callbacks=[restart], verbose=0)
    """
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    check_rank("inputs", inputs.shape, 2, "(T_total, features)")
    window_size = check_positive_int("window_size", window_size)
    num_streams = check_positive_int("num_streams", num_streams)
    total = inputs.shape[0]
    if targets.ndim < 1 or targets.shape[0] != total:
        raise ValueError(
            f"`targets` must have one row per step of `inputs` ({total}), got shape "
            f"{targets.shape}."
        )
    if total % num_streams:
        raise ValueError(
            f"`num_streams` ({num_streams}) must divide the stream length {total}; "
            f"trim it to {total - total % num_streams} steps or pad it."
        )
    length = total // num_streams
    x = inputs.reshape((num_streams, length) + inputs.shape[1:])
    y = targets.reshape((num_streams, length) + targets.shape[1:])
    x, y = tf.constant(x), tf.constant(y)

    def window(index):
        start = index * window_size
        return x[:, start : start + window_size], y[:, start : start + window_size]

    num_windows = -(-length // window_size)
    return tf.data.Dataset.range(num_windows).map(window)


def _check_recurrent(recurrent):
    if not isinstance(recurrent, keras.layers.RNN):
        raise ValueError(
            "`recurrent` must be a keras.layers.RNN (e.g. of a kit cell), got "
            f"{recurrent!r} ({type(recurrent).__name__})."
        )
    flags = {
        "return_sequences": (recurrent.return_sequences, True),
        "return_state": (recurrent.return_state, True),
        "stateful": (recurrent.stateful, False),
        "go_backwards": (recurrent.go_backwards, False),
    }
    for flag, (got, wanted) in flags.items():
        if got != wanted:
            raise ValueError(
                f"`recurrent` must be built with {flag}={wanted}, got {flag}={got}."
            )


def _state_sizes(recurrent):
    sizes = recurrent.cell.state_size
    return list(sizes) if isinstance(sizes, list | tuple) else [sizes]


def _check_batch(x, y):
    check_rank("x", x.shape, 3, "(batch, time, features)")
    if y is None or len(y.shape) < 2:
        raise ValueError(
            "`y` must hold one target per step, shape (batch, time, ...), got "
            f"{None if y is None else tuple(y.shape)}."
        )
    if None not in (x.shape[1], y.shape[1]) and x.shape[1] != y.shape[1]:
        raise ValueError(
            f"`y` must have as many steps as `x` ({x.shape[1]}), got shape "
            f"{tuple(y.shape)}."
        )


def _slice_time(tensor, start, stop):
    """Slices `(batch, time, ...)` per-step tensors; leaves per-sample ones alone."""
    if tensor is None or len(tensor.shape) < 2:
        return tensor
    return tensor[:, start:stop]
