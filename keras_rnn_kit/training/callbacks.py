"""The callbacks every `train` run gets, assembled in one place."""

import os

import keras

from keras_rnn_kit.training.best_model import BestModelCheckpoint
from keras_rnn_kit.training.resumable_backup import ResumableBackup
from keras_rnn_kit.training.terminate_on_nan import TerminateOnNaN

BACKUP_SUBDIR = "backup"


def default_callbacks(
    checkpoint_dir: str,
    monitor: str = "val_loss",
    log_dir: str | None = None,
    chief: bool = True,
    delete_backup: bool = True,
) -> list[keras.callbacks.Callback]:
    """Returns the callbacks `train` adds to `fit`, in the order they run.

    1. `TerminateOnNaN`: raises at the first non-finite loss with advice.
    2. `ResumableBackup` in `<checkpoint_dir>/backup`: atomic epoch-end backups
       (weights, optimizer state, epoch logs), restored when the same run starts
       again; deleted when training completes if `delete_backup`.
    3. `BestModelCheckpoint`: `<checkpoint_dir>/best.keras` whenever `monitor`
       improves; after a restore, first the restored epoch if it was never saved.
    4. `keras.callbacks.TensorBoard(log_dir)` when `log_dir` is given.

    Only the chief writes files; other workers get the same callbacks with writing
    turned off (they still restore from the chief's backup) and no TensorBoard.

    Args:
        checkpoint_dir: directory for the backup and the best model.
        monitor: epoch log that decides "best" (`"val_loss"`, `"loss"`, ...).
        log_dir: TensorBoard log directory, or `None` for no logs.
        chief: whether this process is the chief (see `strategy.is_chief`).
        delete_backup: delete the backup when `fit` ends; `False` keeps it for
            the caller to delete once the run's results are on disk.

    Returns:
        A list of callbacks.

    Example:

    >>> [type(c).__name__ for c in default_callbacks("/tmp/ckpt", "loss")]
    ['TerminateOnNaN', 'ResumableBackup', 'BestModelCheckpoint']
    """
    backup = ResumableBackup(
        os.path.join(checkpoint_dir, BACKUP_SUBDIR),
        writer=chief,
        delete_checkpoint=delete_backup,
    )
    callbacks = [
        TerminateOnNaN(),
        backup,
        BestModelCheckpoint(
            checkpoint_dir, monitor=monitor, writer=chief, backup=backup
        ),
    ]
    if log_dir is not None and chief:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=log_dir))
    return callbacks
