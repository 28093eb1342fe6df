"""Tests for keras_rnn_kit.training.resumable_backup (atomic backups).

Killing real runs (SIGKILL) in every window is tests/training/test_kill_resume.py.
"""

import json
import os

import keras
import numpy as np
import pytest

from keras_rnn_kit.training import resumable_backup
from keras_rnn_kit.training.resumable_backup import ResumableBackup
from keras_rnn_kit.training.resumable_backup import delete_backup


def _model(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2), keras.layers.Dense(1)]
    )
    model.compile(keras.optimizers.Adam(0.01), "mse")
    return model


def _data(count):
    x = np.random.default_rng(0).normal(size=(count, 3)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


class _WeightsAtTrainBegin(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = [w.copy() for w in self.model.get_weights()]


def test_each_epoch_leaves_one_complete_backup_named_by_state(tmp_path):
    x, y = _data(16)
    model = _model(0)
    backup = ResumableBackup(str(tmp_path), delete_checkpoint=False)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[backup])
    state = json.loads((tmp_path / "state.json").read_text())
    assert state == {
        "epoch": 2,
        "weights": "epoch-2.weights.h5",
        "logs": [{"loss": loss} for loss in history.history["loss"]],
    }
    assert sorted(os.listdir(tmp_path)) == ["epoch-2.weights.h5", "state.json"]
    assert backup.saved_epoch() == 2
    fresh = _model(1)
    fresh.optimizer.build(fresh.trainable_variables)
    fresh.load_weights(tmp_path / "epoch-2.weights.h5")
    for got, want in zip(fresh.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_restart_restores_weights_and_skips_finished_epochs(tmp_path):
    x, y = _data(16)
    first = _model(0)
    first.fit(
        x,
        y,
        batch_size=8,
        epochs=2,
        verbose=0,
        callbacks=[ResumableBackup(str(tmp_path), delete_checkpoint=False)],
    )
    probe = _WeightsAtTrainBegin()
    second = _model(1)
    history = second.fit(
        x,
        y,
        batch_size=8,
        epochs=3,
        verbose=0,
        callbacks=[ResumableBackup(str(tmp_path)), probe],
    )
    assert history.epoch == [2]
    for got, want in zip(probe.weights, first.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert not os.path.exists(tmp_path), "a completed run deletes its backup"


def test_restores_the_logs_and_refuses_a_backup_past_the_last_epoch(tmp_path):
    x, y = _data(16)
    history = _model(0).fit(
        x,
        y,
        batch_size=8,
        epochs=2,
        verbose=0,
        callbacks=[ResumableBackup(str(tmp_path), delete_checkpoint=False)],
    )
    backup = ResumableBackup(str(tmp_path))
    assert backup.resume_epoch(2) == 2
    assert [logs["loss"] for logs in backup.saved_logs()] == history.history["loss"]
    message = (
        f"backup in '{tmp_path}' holds 2 completed epochs, more than the epochs=1 "
        r".* Pass epochs>=2 .* or delete"
    )
    with pytest.raises(ValueError, match=message):
        backup.resume_epoch(1)
    with pytest.raises(ValueError, match=message):
        _model(1).fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[backup])
    assert backup.saved_epoch() == 2, "a refused backup is kept"
    resumed = _model(1).fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[backup])
    assert resumed.epoch == [], "a backup of every epoch leaves none to run"
    assert [logs["loss"] for logs in backup.restored_logs] == history.history["loss"]


def _backed_up_epoch(backup_dir, x, y):
    """Trains one epoch of `_model(0)` with a kept backup in `backup_dir`."""
    _model(0).fit(
        x,
        y,
        batch_size=8,
        epochs=1,
        verbose=0,
        callbacks=[ResumableBackup(str(backup_dir), delete_checkpoint=False)],
    )


def test_a_non_writer_restores_but_never_writes(tmp_path):
    x, y = _data(16)
    _backed_up_epoch(tmp_path, x, y)
    before = sorted(os.listdir(tmp_path))
    reader = ResumableBackup(str(tmp_path), writer=False)
    history = _model(1).fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[reader])
    assert history.epoch == [1]
    assert sorted(os.listdir(tmp_path)) == before
    assert json.loads((tmp_path / "state.json").read_text())["epoch"] == 1


def test_stale_temporary_files_are_removed_at_start(tmp_path):
    (tmp_path / ".tmp-abc-epoch-3.weights.h5").write_bytes(b"torn")
    x, y = _data(8)
    _backed_up_epoch(tmp_path, x, y)
    assert not any(n.startswith(".tmp-") for n in os.listdir(tmp_path))


def test_delete_backup_removes_the_state_before_the_weights(tmp_path, monkeypatch):
    x, y = _data(8)
    _backed_up_epoch(tmp_path, x, y)
    left_by_a_kill = []
    rmtree = resumable_backup.shutil.rmtree

    def killed_midway(path):
        left_by_a_kill.extend(sorted(os.listdir(path)))
        rmtree(path)

    monkeypatch.setattr(resumable_backup.shutil, "rmtree", killed_midway)
    delete_backup(str(tmp_path))
    assert left_by_a_kill == ["epoch-1.weights.h5"]
    assert not os.path.exists(tmp_path)
    delete_backup(str(tmp_path))
