"""A run killed (SIGKILL) in any window resumes to the uninterrupted result.

The windows: mid-epoch, between an epoch's backup and its best-model save, after
the last epoch's backup but before the final result is saved, and after that save
but before the backup is deleted. The slow test kills one `tiny_run` at each in
turn; the in-process tests cover the same windows of `BestModelCheckpoint` and
`train_application` without a child process.
"""

import json
import os
import signal
import time

import h5py
import keras
import numpy as np
import pytest

from keras_rnn_kit import applications
from keras_rnn_kit import training
from keras_rnn_kit.models.recipe import PreparedData
from keras_rnn_kit.models.recipe import Recipe
from keras_rnn_kit.training.best_model import BestModelCheckpoint
from keras_rnn_kit.training.resumable_backup import ResumableBackup
from tests.training import processes
from tests.training import tiny_run

KILL_TIMEOUT_S = 120
# A resumed run replays an interrupted epoch from the epoch-start backup with the
# same batches (stateless per-epoch shuffle), so only float32 rounding may differ.
ATOL = 1e-6


def _kill_at_marker(config, log_path, runs):
    runs.append(processes.start(config, log_path))
    deadline = time.monotonic() + KILL_TIMEOUT_S
    while not os.path.exists(config["marker"]):
        assert runs[-1].poll() is None, processes.tail(log_path)
        assert time.monotonic() < deadline, f"the run never reached {config['pause']}"
        time.sleep(0.2)
    os.kill(runs[-1].pid, signal.SIGKILL)
    assert runs[-1].wait(timeout=10) == -signal.SIGKILL


def _assert_backup_of(backup_dir, epochs, reference_loss):
    """The backup holds `epochs` complete epochs and nothing else."""
    if epochs == 0:
        assert os.listdir(backup_dir) == []
        return
    state = json.loads((backup_dir / "state.json").read_text())
    assert state["epoch"] == epochs
    assert sorted(os.listdir(backup_dir)) == [state["weights"], "state.json"]
    with h5py.File(backup_dir / state["weights"], "r") as f:
        assert len(f.keys()) > 0
    logged = [logs["loss"] for logs in state["logs"]]
    np.testing.assert_allclose(logged, reference_loss[:epochs], atol=ATOL)


def _temporary_files(directory):
    return [
        os.path.join(root, name)
        for root, _, names in os.walk(directory)
        for name in names
        if name.startswith(".tmp-")
    ]


@pytest.mark.slow
def test_sigkill_in_every_window_then_rerun_matches_uninterrupted_run(
    tmp_path, reference_run
):
    checkpoints = tmp_path / "checkpoints"
    backup_dir = checkpoints / "backup"
    out = tmp_path / "result.npz"
    loss = reference_run["loss"]
    # (pause point, epochs in the backup after the kill, best epoch on disk)
    windows = [
        (["batch_end", 0, 1], 0, None),
        (["after_backup", 0], 1, None),
        (["batch_end", 2, 1], 2, 2),
        (["before_save"], 3, 3),
        (["before_discard"], 3, 3),
    ]
    runs = []
    with processes.killed_on_exit(runs):
        for index, (pause, epochs_backed_up, best_epoch) in enumerate(windows):
            config = {
                "out": str(out),
                "checkpoint_dir": str(checkpoints),
                "marker": str(tmp_path / f"marker{index}"),
                "pause": pause,
                "epochs": 3,
                "global_batch_size": 8,
            }
            _kill_at_marker(config, str(tmp_path / f"run{index}.log"), runs)
            _assert_backup_of(backup_dir, epochs_backed_up, loss)
            assert not _temporary_files(tmp_path), pause
            assert out.exists() == (pause == ["before_discard"])
            if best_epoch is None:
                assert not (checkpoints / "best.keras").exists()
            else:
                record = json.loads((checkpoints / "best.json").read_text())
                assert record["epoch"] == best_epoch
                np.testing.assert_allclose(
                    record["value"], loss[best_epoch - 1], atol=ATOL
                )
                keras.saving.load_model(checkpoints / "best.keras")

        config.pop("pause")
        runs.append(processes.start(config, str(tmp_path / "last.log")))
        code = runs[-1].wait(timeout=KILL_TIMEOUT_S)
        assert code == 0, processes.tail(str(tmp_path / "last.log"))

    result = np.load(out)
    np.testing.assert_allclose(result["loss"], loss, atol=ATOL)
    for i, want in enumerate(reference_run["weights"]):
        np.testing.assert_allclose(result[f"w{i}"], want, atol=ATOL)
    assert not backup_dir.exists(), "the finished run deletes its backup"
    assert not _temporary_files(tmp_path)
    best = keras.saving.load_model(checkpoints / "best.keras")
    for got, want in zip(best.get_weights(), reference_run["weights"], strict=True):
        np.testing.assert_allclose(got, want, atol=ATOL)


def _dense_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    return model


def test_an_epoch_backed_up_but_not_saved_as_best_is_saved_on_resume(tmp_path):
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    backup_dir = str(tmp_path / "backup")
    # A kill after the epoch's backup, before the best model saw it.
    backed_up = _dense_model()
    backed_up.fit(
        x,
        y,
        epochs=1,
        verbose=0,
        callbacks=[ResumableBackup(backup_dir, delete_checkpoint=False)],
    )
    (tmp_path / "best.keras").write_bytes(b"an older best model")

    def resume(best_value):
        """Resumes (no epoch left) with an older best model worth `best_value`."""
        record = {"monitor": "loss", "value": best_value, "epoch": 0}
        (tmp_path / "best.json").write_text(json.dumps(record))
        backup = ResumableBackup(backup_dir, delete_checkpoint=False)
        best = BestModelCheckpoint(str(tmp_path), monitor="loss", backup=backup)
        _dense_model().fit(x, y, epochs=1, verbose=0, callbacks=[backup, best])
        return json.loads((tmp_path / "best.json").read_text())

    epoch_loss = ResumableBackup(backup_dir).saved_logs()[0]["loss"]
    assert 0.0 < epoch_loss < 9.0
    assert resume(best_value=0.0) == {"monitor": "loss", "value": 0.0, "epoch": 0}
    assert (tmp_path / "best.keras").read_bytes() == b"an older best model"
    assert resume(best_value=9.0) == {
        "monitor": "loss",
        "value": epoch_loss,
        "epoch": 1,
    }
    saved = keras.saving.load_model(tmp_path / "best.keras")
    for got, want in zip(saved.get_weights(), backed_up.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


class _Killed(Exception):
    pass


class _ToyRecipe(Recipe):
    """`tiny_run` as an application, so `train_application` runs in a second."""

    name = "toy"
    data_help = "none"

    def load(self, data, tiny=False, seed=0):
        return PreparedData(
            "tiny_run data", tiny_run.make_data(), tiny_run.make_data(16)
        )

    def build(self, prepared, tiny=False, epochs=None, batch_size=None):
        return tiny_run.build_model()

    def evaluate(self, model, test):
        return {"mse": model.evaluate(*test, verbose=0)}

    def predict(self, model, inputs, options):
        return [str(row) for row in model.predict(inputs, verbose=0)]


def _toy_application():
    return _ToyRecipe(epochs=1, batch_size=16)


def test_train_application_keeps_the_backup_until_its_files_are_written(
    tmp_path, monkeypatch
):
    monkeypatch.setitem(applications.APPLICATIONS, "toy", _toy_application())
    out = tmp_path / "out"
    backup_dir = out / "checkpoints" / "backup"
    on_disk = {}

    def killed_before_discarding(checkpoint_dir, strategy):
        on_disk["files"] = sorted(os.listdir(out))
        on_disk["backup"] = ResumableBackup(str(backup_dir)).saved_epoch()
        raise _Killed

    monkeypatch.setattr(training, "discard_backup", killed_before_discarding)
    with pytest.raises(_Killed):
        applications.train_application("toy", out=str(out), verbose=0, log=print)
    assert on_disk == {
        "files": ["checkpoints", "metrics.json", "toy.keras"],
        "backup": 1,
    }
    first = json.loads((out / "metrics.json").read_text())
    first_model = keras.saving.load_model(out / "toy.keras")
    monkeypatch.undo()

    monkeypatch.setitem(applications.APPLICATIONS, "toy", _toy_application())
    epochs_run = []
    back_up = ResumableBackup.on_epoch_end

    def counted(self, epoch, logs=None):
        epochs_run.append(epoch)
        back_up(self, epoch, logs)

    monkeypatch.setattr(ResumableBackup, "on_epoch_end", counted)
    result = applications.train_application("toy", out=str(out), verbose=0, log=print)
    assert epochs_run == [], "the rerun restores the finished run, training nothing"
    assert result["metrics"]["final_loss"] == first["final_loss"]
    assert result["metrics"]["mse"] == pytest.approx(first["mse"], rel=1e-6)
    model = keras.saving.load_model(result["model_path"])
    for got, want in zip(model.get_weights(), first_model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert not backup_dir.exists()
    assert sorted(os.listdir(out / "checkpoints")) == ["best.json", "best.keras"]
    assert not _temporary_files(out)
