"""`BackupAndRestore` whose backups survive a `SIGKILL` at any moment."""

import os
import shutil

import keras
import numpy as np

from keras_rnn_kit.training.atomic_files import atomic_write
from keras_rnn_kit.training.atomic_files import atomic_write_json
from keras_rnn_kit.training.atomic_files import read_json
from keras_rnn_kit.training.atomic_files import remove_stale
from keras_rnn_kit.utils import keras_compat

STATE_FILE = "state.json"


def delete_backup(backup_dir: str) -> None:
    """Deletes a `ResumableBackup` directory so that a kill part-way is harmless.

    `state.json` goes first (one atomic `os.remove`), so a kill during the rest of
    the deletion leaves weights files that nothing points at, never a state that
    names a deleted file. A missing directory is left alone.

    Args:
        backup_dir: the backup directory.
    """
    state_path = os.path.join(backup_dir, STATE_FILE)
    if os.path.exists(state_path):
        os.remove(state_path)
    if os.path.isdir(backup_dir):
        shutil.rmtree(backup_dir)


def _check_covers(backup_dir: str, saved: int, epochs: int) -> None:
    if saved > epochs:
        raise ValueError(
            f"The backup in {backup_dir!r} holds {saved} completed epochs, more than "
            f"the epochs={epochs} asked for, so resuming from it would not give a "
            f"run of that length. Pass epochs>={saved} to finish the run it belongs "
            f"to, or delete {backup_dir!r} to start over."
        )


class ResumableBackup(keras.callbacks.BackupAndRestore):
    """Backs up weights, optimizer state and epoch logs at every epoch end;
    restores them on restart.

    `keras.callbacks.BackupAndRestore` overwrites `latest.weights.h5` in place and
    then its epoch counter, so a kill during a save leaves a torn file, or weights
    of epoch `k + 1` next to a counter that says `k`. Here each backup is a new
    file `epoch-<k>.weights.h5` written under a temporary name and renamed once
    complete, then `state.json` (`{"epoch": k, "weights": ..., "logs": [...]}`,
    with the logs of epochs 1 to `k`) is replaced atomically to point at it, and
    only then are older backups deleted. A kill at any moment leaves a
    `state.json` that names a complete weights file.

    Backups are taken at epoch ends only: a run killed mid-epoch restarts that
    epoch from its beginning, so with a deterministic input order the restarted run
    ends with the same weights as one that was never interrupted. A backup of more
    epochs than `fit` asks for is refused (`ValueError`) rather than returned as
    if it were a run of that length; one of exactly as many runs no epoch.

    Args:
        backup_dir: local directory for the backups (created if missing).
        writer: whether this process writes backups. In a multi-worker run only
            the chief writes; every worker restores from the chief's directory
            (which must be on a shared filesystem).
        delete_checkpoint: delete `backup_dir` (with `delete_backup`) when
            training ends normally.

    Attributes:
        restored_logs: the epoch logs (one dict per epoch) restored by the last
            `on_train_begin`; empty when that run started from scratch.

    Example:

    >>> import keras, numpy as np, tempfile
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> backup = ResumableBackup(tempfile.mkdtemp(), delete_checkpoint=False)
    >>> _ = model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=2, verbose=0,
    ...               callbacks=[backup])
    >>> backup.saved_epoch(), len(backup.saved_logs())
    (2, 2)
    """

    def __init__(self, backup_dir: str, writer: bool = True, delete_checkpoint=True):
        super().__init__(
            backup_dir, save_freq="epoch", delete_checkpoint=delete_checkpoint
        )
        self.writer = bool(writer)
        self.restored_logs = []
        self._logs = []
        self._state_path = os.path.join(backup_dir, STATE_FILE)

    def saved_epoch(self) -> int:
        """The number of epochs the latest backup has completed (0 without one)."""
        state = read_json(self._state_path)
        return int(state["epoch"]) if state else 0

    def saved_logs(self) -> list[dict]:
        """The logs of the backed-up epochs, one dict per epoch ([] without one)."""
        state = read_json(self._state_path)
        return list(state.get("logs", [])) if state else []

    def resume_epoch(self, epochs: int) -> int:
        """The epoch a run of `epochs` epochs resumes at (0 without a backup).

        Args:
            epochs: the total number of epochs of the run.

        Raises:
            ValueError: when the backup holds more than `epochs` epochs.
        """
        saved = self.saved_epoch()
        _check_covers(self.backup_dir, saved, epochs)
        return saved

    def on_train_begin(self, logs=None):
        if self.writer:
            os.makedirs(self.backup_dir, exist_ok=True)
            remove_stale(self.backup_dir)
        state = read_json(self._state_path)
        self.restored_logs = list(state.get("logs", [])) if state else []
        self._logs = list(self.restored_logs)
        if not state:
            return
        _check_covers(self.backup_dir, int(state["epoch"]), self.params["epochs"])
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
        self._logs.append({k: np.asarray(v).tolist() for k, v in (logs or {}).items()})
        if not self.writer:
            return
        name = f"epoch-{self._current_epoch}.weights.h5"
        atomic_write(
            os.path.join(self.backup_dir, name),
            lambda path: self.model.save_weights(path, overwrite=True),
        )
        atomic_write_json(
            self._state_path,
            {"epoch": self._current_epoch, "weights": name, "logs": self._logs},
        )
        for old in os.listdir(self.backup_dir):
            if old.startswith("epoch-") and old != name:
                os.remove(os.path.join(self.backup_dir, old))

    def on_train_end(self, logs=None):
        if self.writer and self.delete_checkpoint:
            delete_backup(self.backup_dir)
