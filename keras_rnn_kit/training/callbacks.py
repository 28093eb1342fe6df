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
) -> list[keras.callbacks.Callback]:
    """Returns the callbacks `train` adds to `fit`, in the order they run.

    1. `TerminateOnNaN`: raises at the first non-finite loss with advice.
    2. `ResumableBackup` in `<checkpoint_dir>/backup`: atomic epoch-end backups,
       restored when the same run starts again; deleted when training completes.
    3. `BestModelCheckpoint`: `<checkpoint_dir>/best.keras` whenever `monitor`
       improves.
    4. `keras.callbacks.TensorBoard(log_dir)` when `log_dir` is given.

    Only the chief writes files; other workers get the same callbacks with writing
    turned off (they still restore from the chief's backup) and no TensorBoard.

    Args:
        checkpoint_dir: directory for the backup and the best model.
        monitor: epoch log that decides "best" (`"val_loss"`, `"loss"`, ...).
        log_dir: TensorBoard log directory, or `None` for no logs.
        chief: whether this process is the chief (see `strategy.is_chief`).

    Returns:
        A list of callbacks.

    Example:

    >>> [type(c).__name__ for c in default_callbacks("/tmp/ckpt", "loss")]
    ['TerminateOnNaN', 'ResumableBackup', 'BestModelCheckpoint']
    """
    callbacks = [
        TerminateOnNaN(),
        ResumableBackup(os.path.join(checkpoint_dir, BACKUP_SUBDIR), writer=chief),
        BestModelCheckpoint(checkpoint_dir, monitor=monitor, writer=chief),
    ]
    if log_dir is not None and chief:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=log_dir))
    return callbacks
