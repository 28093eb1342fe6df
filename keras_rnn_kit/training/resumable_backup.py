"""`BackupAndRestore` whose backups survive a `SIGKILL` at any moment."""

import os

import keras

from keras_rnn_kit.training.atomic_files import atomic_write
from keras_rnn_kit.training.atomic_files import atomic_write_json
from keras_rnn_kit.training.atomic_files import read_json
from keras_rnn_kit.training.atomic_files import remove_stale
from keras_rnn_kit.utils import keras_compat

STATE_FILE = "state.json"


class ResumableBackup(keras.callbacks.BackupAndRestore):
    """Backs up weights and optimizer state at every epoch end; restores on restart.

    `keras.callbacks.BackupAndRestore` overwrites `latest.weights.h5` in place and
    then its epoch counter, so a kill during a save leaves a torn file, or weights
    of epoch `k + 1` next to a counter that says `k`. Here each backup is a new
    file `epoch-<k>.weights.h5` written under a temporary name and renamed once
    complete, then `state.json` (`{"epoch": k, "weights": ...}`) is replaced
    atomically to point at it, and only then are older backups deleted. A kill at
    any moment leaves a `state.json` that names a complete weights file.

    Backups are taken at epoch ends only: a run killed mid-epoch restarts that
    epoch from its beginning, so with a deterministic input order the restarted run
    ends with the same weights as one that was never interrupted.

    Args:
        backup_dir: local directory for the backups (created if missing).
        writer: whether this process writes backups. In a multi-worker run only
            the chief writes; every worker restores from the chief's directory
            (which must be on a shared filesystem).
        delete_checkpoint: delete `backup_dir` when training ends normally.

    Example:

    >>> import keras, numpy as np, tempfile
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> backup = ResumableBackup(tempfile.mkdtemp(), delete_checkpoint=False)
    >>> _ = model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=2, verbose=0,
    ...               callbacks=[backup])
    >>> backup.saved_epoch()
    2
    """

    def __init__(self, backup_dir: str, writer: bool = True, delete_checkpoint=True):
        super().__init__(
            backup_dir, save_freq="epoch", delete_checkpoint=delete_checkpoint
        )
        self.writer = bool(writer)
        self._state_path = os.path.join(backup_dir, STATE_FILE)

    def saved_epoch(self) -> int:
        """The number of epochs the latest backup has completed (0 without one)."""
        state = read_json(self._state_path)
        return int(state["epoch"]) if state else 0

    def on_train_begin(self, logs=None):
        if self.writer:
            os.makedirs(self.backup_dir, exist_ok=True)
            remove_stale(self.backup_dir)
        state = read_json(self._state_path)
        if not state:
            return
        if not self.model.built:
            raise ValueError(
                "ResumableBackup restores weights at the start of `fit`, so the model "
                f"must be built first; {self.model.name!r} is not. Give it an "
                "`keras.Input` or call it once on a batch."
            )
        if self.model.optimizer is not None and not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        self.model.load_weights(os.path.join(self.backup_dir, state["weights"]))
        keras_compat.set_initial_epoch(self.model, int(state["epoch"]))

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        if not self.writer:
            return
        name = f"epoch-{self._current_epoch}.weights.h5"
        atomic_write(
            os.path.join(self.backup_dir, name),
            lambda path: self.model.save_weights(path, overwrite=True),
        )
        atomic_write_json(
            self._state_path, {"epoch": self._current_epoch, "weights": name}
        )
        for old in os.listdir(self.backup_dir):
            if old.startswith("epoch-") and old != name:
                os.remove(os.path.join(self.backup_dir, old))

    def on_train_end(self, logs=None):
        if self.writer:
            super().on_train_end(logs)
