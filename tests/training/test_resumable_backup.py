"""Tests for keras_rnn_kit.training.resumable_backup (atomic backups, SIGKILL)."""

import json
import os
import signal
import time

import h5py
import keras
import numpy as np
import pytest

from keras_rnn_kit.training.resumable_backup import ResumableBackup
from tests.training import processes

KILL_TIMEOUT_S = 120
# The resumed run replays the interrupted epoch from the epoch-start backup with the
# same batches (stateless per-epoch shuffle), so only float32 rounding may differ.
ATOL = 1e-6


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
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[backup])
    state = json.loads((tmp_path / "state.json").read_text())
    assert state == {"epoch": 2, "weights": "epoch-2.weights.h5"}
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


def test_a_non_writer_restores_but_never_writes(tmp_path):
    x, y = _data(16)
    _model(0).fit(
        x,
        y,
        batch_size=8,
        epochs=1,
        verbose=0,
        callbacks=[ResumableBackup(str(tmp_path), delete_checkpoint=False)],
    )
    before = sorted(os.listdir(tmp_path))
    reader = ResumableBackup(str(tmp_path), writer=False)
    history = _model(1).fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[reader])
    assert history.epoch == [1]
    assert sorted(os.listdir(tmp_path)) == before
    assert json.loads((tmp_path / "state.json").read_text())["epoch"] == 1


def test_stale_temporary_files_are_removed_at_start(tmp_path):
    (tmp_path / ".tmp-abc-epoch-3.weights.h5").write_bytes(b"torn")
    x, y = _data(8)
    _model(0).fit(
        x,
        y,
        batch_size=8,
        epochs=1,
        verbose=0,
        callbacks=[ResumableBackup(str(tmp_path), delete_checkpoint=False)],
    )
    assert not any(n.startswith(".tmp-") for n in os.listdir(tmp_path))


@pytest.mark.slow
def test_sigkill_mid_epoch_then_restart_matches_uninterrupted_run(
    tmp_path, reference_run
):
    config = {
        "out": str(tmp_path / "resumed.npz"),
        "checkpoint_dir": str(tmp_path / "checkpoints"),
        "marker": str(tmp_path / "marker"),
        "pause_at": [1, 1],
        "epochs": 3,
        "global_batch_size": 8,
    }
    backup_dir = tmp_path / "checkpoints" / "backup"
    runs = []
    with processes.killed_on_exit(runs):
        runs.append(processes.start(config, str(tmp_path / "first.log")))
        deadline = time.monotonic() + KILL_TIMEOUT_S
        while not os.path.exists(config["marker"]):
            assert runs[0].poll() is None, processes.tail(str(tmp_path / "first.log"))
            assert time.monotonic() < deadline, "the run never reached epoch 2, batch 2"
            time.sleep(0.2)
        os.kill(runs[0].pid, signal.SIGKILL)
        assert runs[0].wait(timeout=10) == -signal.SIGKILL

        # What the kill left behind: a state naming a complete, loadable backup of
        # epoch 1, no torn or temporary file, no result.
        state = json.loads((backup_dir / "state.json").read_text())
        assert state == {"epoch": 1, "weights": "epoch-1.weights.h5"}
        assert sorted(os.listdir(backup_dir)) == ["epoch-1.weights.h5", "state.json"]
        with h5py.File(backup_dir / state["weights"], "r") as f:
            assert len(f.keys()) > 0
        keras.saving.load_model(tmp_path / "checkpoints" / "best.keras")
        assert not os.path.exists(config["out"])

        runs.append(processes.start(config, str(tmp_path / "second.log")))
        code = runs[1].wait(timeout=KILL_TIMEOUT_S)
        assert code == 0, processes.tail(str(tmp_path / "second.log"))

    resumed = np.load(config["out"])
    np.testing.assert_allclose(resumed["loss"], reference_run["loss"][1:], atol=ATOL)
    for i, want in enumerate(reference_run["weights"]):
        np.testing.assert_allclose(resumed[f"w{i}"], want, atol=ATOL)
    assert not os.path.exists(backup_dir), "the finished run deletes its backup"
    best = keras.saving.load_model(tmp_path / "checkpoints" / "best.keras")
    for got, want in zip(best.get_weights(), reference_run["weights"], strict=True):
        np.testing.assert_allclose(got, want, atol=ATOL)
