"""Keeps the best model seen so far as one `.keras` file, written atomically."""

import math
import os

import keras

from keras_rnn_kit.training.atomic_files import atomic_write
from keras_rnn_kit.training.atomic_files import atomic_write_json
from keras_rnn_kit.training.atomic_files import read_json
from keras_rnn_kit.utils.validation import check_choice


class BestModelCheckpoint(keras.callbacks.Callback):
    """Saves the whole model to `<directory>/best.keras` whenever `monitor` improves.

    Like `keras.callbacks.ModelCheckpoint(save_best_only=True)`, but the file is
    written under a temporary name and renamed, so a kill never leaves a torn
    `best.keras`, and the best value is kept in `best.json` so a resumed run only
    overwrites the model when it actually beats the one on disk.

    A kill can land after an epoch's backup was written and before (or while) its
    model was saved here; the resumed run restarts after that epoch and never sees
    it again. So with `backup`, the resumed run first treats the restored epoch as
    if it had just ended: when its logged `monitor` beats `best.json`, the restored
    model (that epoch's weights) becomes `best.keras`.

    Args:
        directory: where `best.keras` and `best.json` go (created if missing).
        monitor: the epoch log to watch, e.g. `"val_loss"` or `"loss"`.
        mode: `"min"` or `"max"`.
        writer: whether this process writes (only the chief does in multi-worker).
        backup: the run's `ResumableBackup`, or `None`. It must come before this
            callback in the `fit` callbacks, so that it has restored the model
            when this one reads `backup.restored_logs`.

    Example:

    >>> import keras, numpy as np, os, tempfile
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> best = BestModelCheckpoint(tempfile.mkdtemp(), monitor="loss")
    >>> _ = model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=2, verbose=0,
    ...               callbacks=[best])
    >>> os.path.exists(best.path)
    True
    """

    def __init__(
        self,
        directory: str,
        monitor: str = "val_loss",
        mode: str = "min",
        writer: bool = True,
        backup=None,
    ):
        super().__init__()
        self.directory = directory
        self.monitor = monitor
        self.mode = check_choice("mode", mode, ("min", "max"))
        self.writer = bool(writer)
        self.backup = backup
        self.path = os.path.join(directory, "best.keras")
        self._record_path = os.path.join(directory, "best.json")
        self.best = math.inf if mode == "min" else -math.inf

    def _improves(self, value: float) -> bool:
        return value < self.best if self.mode == "min" else value > self.best

    def on_train_begin(self, logs=None):
        record = read_json(self._record_path)
        if (
            record
            and record.get("monitor") == self.monitor
            and os.path.exists(self.path)
        ):
            self.best = float(record["value"])
        restored = self.backup.restored_logs if self.backup is not None else []
        if restored and self.monitor in restored[-1]:
            self.on_epoch_end(len(restored) - 1, restored[-1])

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise KeyError(
                f"BestModelCheckpoint monitors {self.monitor!r}, which is not among "
                f"the epoch logs {sorted(logs or {})}."
            )
        value = float(value)
        if not math.isfinite(value) or not self._improves(value):
            return
        self.best = value
        if not self.writer:
            return
        os.makedirs(self.directory, exist_ok=True)
        atomic_write(self.path, lambda path: self.model.save(path, overwrite=True))
        atomic_write_json(
            self._record_path,
            {"monitor": self.monitor, "value": value, "epoch": epoch + 1},
        )
