"""A tiny, fully seeded `train` run that tests launch in fresh processes.

`python tests/training/tiny_run.py '<json>'` trains the model of `build_model` on
`make_data()` and writes the final weights (`w0`, `w1`, ...) and the history
(`loss`, `val_loss`) to `<out>`. JSON keys: `out`, `checkpoint_dir`, `strategy`,
`epochs`, `global_batch_size`, `validation` (validate on `make_data(16)`),
`logical_cpus` (split the CPU into that many devices first),
`marker` + `pause_at` (`[epoch, batch]`: write the marker file at the end of that
batch, then sleep so the test can kill the process mid-epoch; skipped when the
marker already exists). Tests that need the same run in-process import
`build_model`, `make_data` and `RUN_KWARGS`.
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


class PauseAt(keras.callbacks.Callback):
    """Writes `marker` at the end of batch `batch` of epoch `epoch`, then sleeps."""

    def __init__(self, marker, epoch, batch):
        super().__init__()
        self.marker, self.epoch, self.batch = marker, epoch, batch
        self._current = -1

    def on_epoch_begin(self, epoch, logs=None):
        self._current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self._current, batch) == (self.epoch, self.batch):
            with open(self.marker, "w") as f:
                f.write(f"{self._current} {batch}")
            time.sleep(120)


def main(config):
    import tensorflow as tf

    if config.get("logical_cpus"):
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * config["logical_cpus"]
        )
    from keras_rnn_kit.training.trainer import train

    callbacks = []
    marker = config.get("marker")
    if marker and not os.path.exists(marker):
        callbacks.append(PauseAt(marker, *config["pause_at"]))
    model, history = train(
        build_model,
        make_data(),
        make_data(16) if config.get("validation") else None,
        strategy=config.get("strategy", "auto"),
        epochs=config.get("epochs", 3),
        global_batch_size=config.get("global_batch_size", 8),
        checkpoint_dir=config["checkpoint_dir"],
        callbacks=callbacks,
        **RUN_KWARGS,
    )
    weights = {f"w{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}
    logs = {k: np.asarray(v) for k, v in history.history.items()}
    np.savez(config["out"], **logs, **weights)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
