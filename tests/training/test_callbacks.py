"""Tests for keras_rnn_kit.training.callbacks.default_callbacks."""

import os

import keras

from keras_rnn_kit.training.best_model import BestModelCheckpoint
from keras_rnn_kit.training.callbacks import default_callbacks
from keras_rnn_kit.training.resumable_backup import ResumableBackup
from keras_rnn_kit.training.terminate_on_nan import TerminateOnNaN


def test_chief_gets_every_callback_writing_under_checkpoint_dir(tmp_path):
    nan, backup, best, board = default_callbacks(
        str(tmp_path), "val_acc", log_dir=str(tmp_path / "logs")
    )
    assert isinstance(nan, TerminateOnNaN)
    assert isinstance(backup, ResumableBackup)
    assert isinstance(backup, keras.callbacks.BackupAndRestore)
    assert backup.backup_dir == os.path.join(str(tmp_path), "backup") and backup.writer
    assert isinstance(best, BestModelCheckpoint)
    assert best.monitor == "val_acc" and best.writer
    assert best.path == os.path.join(str(tmp_path), "best.keras")
    assert isinstance(board, keras.callbacks.TensorBoard)
    assert board.log_dir == str(tmp_path / "logs")


def test_other_workers_restore_but_do_not_write_or_log(tmp_path):
    callbacks = default_callbacks(
        str(tmp_path), log_dir=str(tmp_path / "logs"), chief=False
    )
    assert [type(c).__name__ for c in callbacks] == [
        "TerminateOnNaN",
        "ResumableBackup",
        "BestModelCheckpoint",
    ]
    assert not callbacks[1].writer and not callbacks[2].writer
