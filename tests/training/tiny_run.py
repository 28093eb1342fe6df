"""A tiny, fully seeded `train` run that tests launch in fresh processes.

`python tests/training/tiny_run.py '<json>'` trains the model of `build_model` on
`make_data()` and finishes the way `train_application` does: it keeps the backup
until the final weights (`w0`, `w1`, ...) and the history (`loss`, `val_loss`) are
written to `<out>` (atomically), then discards it. JSON keys: `out`,
`checkpoint_dir`, `strategy`, `epochs`, `global_batch_size`, `validation`
(validate on `make_data(16)`), `logical_cpus` (split the CPU into that many
devices first), `marker` + `pause` (write the marker file at that point, then
sleep so the test can kill the process there; skipped when the marker already
exists). `pause` is one of `["batch_end", epoch, batch]`, `["after_backup",
epoch]` (the epoch's backup is written, its best model not yet),
`["before_save"]` (`train` returned) and `["before_discard"]` (`<out>` is
written, the backup not yet deleted). Tests that need the same run in-process
import `build_model`, `make_data` and `RUN_KWARGS`.
"""

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

RUN_KWARGS = {"seed": 7, "shuffle_seed": 11, "verbose": 0}


def build_model():
    """A kit LSTM regressor: (batch, 6, 3) -> (batch, 1)."""
    from keras_rnn_kit.cells import LSTMCell

    model = keras.Sequential(
        [keras.Input((6, 3)), keras.layers.RNN(LSTMCell(8)), keras.layers.Dense(1)]
    )
    model.compile(keras.optimizers.Adam(0.01), "mse")
    return model


def make_data(count=32):
    """A learnable toy task: y is the mean of the last time step's features."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(count, 6, 3)).astype("float32")
    y = x[:, -1, :].mean(axis=1, keepdims=True).astype("float32")
    return x, y


def pause(marker, where):
    """Writes `marker`, then sleeps long enough for the test to kill us here."""
    with open(marker, "w") as f:
        f.write(where)
    time.sleep(120)


class PauseAt(keras.callbacks.Callback):
    """Pauses at the end of batch `batch` of epoch `epoch`."""

    def __init__(self, marker, epoch, batch):
        super().__init__()
        self.marker, self.epoch, self.batch = marker, epoch, batch
        self._current = -1

    def on_epoch_begin(self, epoch, logs=None):
        self._current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self._current, batch) == (self.epoch, self.batch):
            pause(self.marker, f"batch_end {self._current} {batch}")


def pause_after_backup(marker, epoch):
    """Makes `ResumableBackup` pause once it has backed up epoch `epoch`, before
    the callbacks after it (the best model) see that epoch."""
    from keras_rnn_kit.training.resumable_backup import ResumableBackup

    back_up = ResumableBackup.on_epoch_end

    def on_epoch_end(self, current, logs=None):
        back_up(self, current, logs)
        if current == epoch:
            pause(marker, f"after_backup {epoch}")

    ResumableBackup.on_epoch_end = on_epoch_end


def main(config):
    import tensorflow as tf

    if config.get("logical_cpus"):
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * config["logical_cpus"]
        )
    from keras_rnn_kit.training.atomic_files import atomic_write
    from keras_rnn_kit.training.trainer import discard_backup
    from keras_rnn_kit.training.trainer import train

    marker = config.get("marker")
    point, *where = config.get("pause") or [None]
    if marker and os.path.exists(marker):
        point = None
    callbacks = [PauseAt(marker, *where)] if point == "batch_end" else []
    if point == "after_backup":
        pause_after_backup(marker, *where)
    model, history = train(
        build_model,
        make_data(),
        make_data(16) if config.get("validation") else None,
        strategy=config.get("strategy", "auto"),
        epochs=config.get("epochs", 3),
        global_batch_size=config.get("global_batch_size", 8),
        checkpoint_dir=config["checkpoint_dir"],
        callbacks=callbacks,
        delete_backup=False,
        **RUN_KWARGS,
    )
    if point == "before_save":
        pause(marker, point)
    weights = {f"w{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}
    logs = {k: np.asarray(v) for k, v in history.history.items()}
    atomic_write(config["out"], lambda path: np.savez(path, **logs, **weights))
    if point == "before_discard":
        pause(marker, point)
    discard_backup(config["checkpoint_dir"], model.distribute_strategy)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
