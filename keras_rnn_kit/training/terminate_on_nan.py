"""Stops training at the first non-finite loss and says what to try next."""

import math

import keras


class TerminateOnNaN(keras.callbacks.TerminateOnNaN):
    """Raises `FloatingPointError` when the training loss becomes NaN or infinite.

    Unlike `keras.callbacks.TerminateOnNaN`, which prints a line and stops, the
    error names the epoch, the step within it and the global step, gives the last
    finite loss and the learning rate, and suggests the usual remedies for an
    exploding recurrent network: gradient clipping and a lower learning rate.
    Raising (rather than stopping quietly) also keeps `on_train_end` cleanups such
    as `BackupAndRestore` from deleting the last good backup.

    Args:
        monitor: the log key to watch, default `"loss"`.

    Example:

    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile(keras.optimizers.SGD(1e30), "mse")
    >>> try:
    ...     model.fit(np.ones((4, 1)) * 1e30, np.ones((4, 1)), epochs=3, batch_size=2,
    ...               callbacks=[TerminateOnNaN()], verbose=0)
    ... except FloatingPointError as error:
    ...     print(str(error).split(";")[0])
    Training loss became inf at epoch 1, step 1 (global step 1)
    """

    def __init__(self, monitor: str = "loss"):
        super().__init__(raise_error=True)
        self.monitor = monitor
        self._epoch = 0
        self._last_finite = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            return
        value = float(value)
        if math.isfinite(value):
            self._last_finite = value
            return
        self.model.stop_training = True
        steps = (self.params or {}).get("steps") or 0
        global_step = self._epoch * steps + batch + 1 if steps else "unknown"
        learning_rate = getattr(self.model.optimizer, "learning_rate", None)
        if learning_rate is not None:
            learning_rate = f"{float(keras.ops.convert_to_numpy(learning_rate)):.3g}"
        raise FloatingPointError(
            f"Training loss became {value} at epoch {self._epoch + 1}, step "
            f"{batch + 1} (global step {global_step}); the last finite "
            f"{self.monitor} was {self._last_finite}. Recurrent networks usually "
            "diverge through exploding gradients: clip them (e.g. "
            "`keras.optimizers.Adam(clipnorm=1.0)`) and/or lower the learning rate "
            f"(currently {learning_rate}), and check the inputs for NaN/inf."
        )
