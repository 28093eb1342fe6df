"""Tests for keras_rnn_kit.training.trainer (`train` and its checks)."""

import glob
import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.cells import LSTMCell
from keras_rnn_kit.training.trainer import resolve_mixed_precision
from keras_rnn_kit.training.trainer import train
from tests.test_case import run_python
from tests.training import tiny_run

# MirroredStrategy averages two half-batch gradients where one device takes the
# mean over the whole batch: same maths, float32 summation order differs.
ATOL = 1e-5


class CountingBuilder:
    """A task builder that records how often it was called."""

    def __init__(self, compiled=True):
        self.calls = 0
        self.compiled = compiled

    def __call__(self):
        self.calls += 1
        model = keras.Sequential(
            [keras.Input((6, 3)), keras.layers.RNN(LSTMCell(4)), keras.layers.Dense(1)]
        )
        if self.compiled:
            model.compile(keras.optimizers.Adam(0.01), "mse")
        return model


@pytest.fixture
def data():
    return tiny_run.make_data(16)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"strategy": "gpu_farm"}, ValueError, "'one_device', 'mirrored'"),
        ({"epochs": 0}, ValueError, "`epochs` must be a positive integer, got 0"),
        ({"global_batch_size": 2.5}, ValueError, "`global_batch_size` must be"),
        ({"mixed_precision": "fp8"}, ValueError, "`mixed_precision` must be one of"),
    ],
)
def test_bad_arguments_fail_before_building(tmp_path, data, kwargs, error, match):
    builder = CountingBuilder()
    with pytest.raises(error, match=match):
        train(builder, data, checkpoint_dir=str(tmp_path), **kwargs)
    assert builder.calls == 0


def test_malformed_tf_config_fails_before_building(tmp_path, data, monkeypatch):
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["localhost"]}}')
    builder = CountingBuilder()
    with pytest.raises(ValueError, match=r'cluster\["worker"\]\[0\] must be'):
        train(builder, data, strategy="multi_worker", checkpoint_dir=str(tmp_path))
    assert builder.calls == 0


def test_unwritable_checkpoint_dir_fails_before_building(tmp_path, data):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    builder = CountingBuilder()
    with pytest.raises(PermissionError, match="`checkpoint_dir` must be a writable"):
        train(builder, data, checkpoint_dir=str(blocker / "checkpoints"))
    assert builder.calls == 0


@pytest.mark.parametrize(
    "make_train_data, match",
    [
        (lambda: (np.zeros((0, 6, 3)), np.zeros((0, 1))), "zero examples"),
        (
            lambda: tf.data.Dataset.from_tensor_slices(
                (np.zeros((4, 6, 3)), np.zeros((4, 1)))
            ).filter(lambda x, y: False),
            "empty dataset",
        ),
    ],
)
def test_data_with_zero_batches_fails_before_building(tmp_path, make_train_data, match):
    builder = CountingBuilder()
    with pytest.raises(ValueError, match=match):
        train(builder, make_train_data(), checkpoint_dir=str(tmp_path))
    assert builder.calls == 0


def test_uncompiled_model_needs_a_loss(tmp_path, data):
    with pytest.raises(ValueError, match="uncompiled model and `loss` is None"):
        train(CountingBuilder(compiled=False), data, checkpoint_dir=str(tmp_path))


def test_uncompiled_model_is_compiled_with_the_given_loss(tmp_path, data):
    model, history = train(
        CountingBuilder(compiled=False),
        data,
        loss="mae",
        optimizer="sgd",
        global_batch_size=8,
        checkpoint_dir=str(tmp_path),
        verbose=0,
    )
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    x, y = data
    np.testing.assert_allclose(
        model.evaluate(x, y, verbose=0),
        np.mean(np.abs(model.predict(x, verbose=0) - y)),
        rtol=1e-5,
    )


def test_fit_writes_best_model_and_tensorboard_logs(tmp_path, data):
    pytest.importorskip("tensorboard")
    x, y = data
    model, history = train(
        CountingBuilder(),
        (x, y),
        (x[:8], y[:8]),
        epochs=3,
        global_batch_size=8,
        checkpoint_dir=str(tmp_path / "ckpt"),
        log_dir=str(tmp_path / "logs"),
        verbose=0,
    )
    val_loss = history.history["val_loss"]
    record = json.loads((tmp_path / "ckpt" / "best.json").read_text())
    assert record["monitor"] == "val_loss"
    assert record["epoch"] == int(np.argmin(val_loss)) + 1
    np.testing.assert_allclose(record["value"], min(val_loss), rtol=1e-6)
    best = keras.saving.load_model(tmp_path / "ckpt" / "best.keras")
    np.testing.assert_allclose(
        best.evaluate(x[:8], y[:8], verbose=0), min(val_loss), rtol=1e-5
    )
    assert glob.glob(str(tmp_path / "logs" / "train" / "events.out.tfevents.*"))
    assert glob.glob(str(tmp_path / "logs" / "validation" / "events.out.tfevents.*"))
    assert not os.path.exists(tmp_path / "ckpt" / "backup")


def test_nan_loss_stops_with_the_step_and_advice(tmp_path, data):
    x, y = data
    x = x.copy()
    x[9, 0, 0] = np.nan  # second batch of 8
    with pytest.raises(FloatingPointError, match=r"epoch 1, step 2 .*clip"):
        train(
            CountingBuilder(),
            (x, y),
            global_batch_size=8,
            epochs=2,
            checkpoint_dir=str(tmp_path),
            verbose=0,
        )


def test_mixed_bfloat16_computes_in_bfloat16_and_restores_the_policy(tmp_path, data):
    model, history = train(
        CountingBuilder(),
        data,
        mixed_precision="mixed_bfloat16",
        global_batch_size=8,
        checkpoint_dir=str(tmp_path),
        verbose=0,
    )
    rnn = model.layers[0]
    assert rnn.compute_dtype == "bfloat16"
    assert all(w.dtype == "float32" for w in model.weights)
    assert np.isfinite(history.history["loss"]).all()
    assert keras.mixed_precision.global_policy().name == "float32"


def test_mixed_float16_gets_a_loss_scale_optimizer(tmp_path, data):
    model, _ = train(
        CountingBuilder(),
        data,
        mixed_precision="mixed_float16",
        global_batch_size=8,
        checkpoint_dir=str(tmp_path),
        verbose=0,
    )
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.layers[0].compute_dtype == "float16"
    assert keras.mixed_precision.global_policy().name == "float32"


def test_auto_mixed_precision_is_bfloat16_on_a_cpu():
    strategy = tf.distribute.get_strategy()
    assert resolve_mixed_precision("auto", strategy) == "mixed_bfloat16"
    assert resolve_mixed_precision(None, strategy) is None


@pytest.mark.slow
def test_mirrored_on_two_cpus_matches_one_device(tmp_path, reference_run):
    out = tmp_path / "mirrored.npz"
    stdout = run_python(
        f"""
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from keras_rnn_kit.training.trainer import train
        from tests.training import tiny_run
        try:
            train(tiny_run.build_model, tiny_run.make_data(), strategy="mirrored",
                  global_batch_size=7, checkpoint_dir={str(tmp_path / "odd")!r})
        except ValueError as error:
            print("INDIVISIBLE", error)
        tiny_run.main({{"out": {str(out)!r}, "strategy": "mirrored", "epochs": 3,
                       "global_batch_size": 8,
                       "checkpoint_dir": {str(tmp_path / "ckpt")!r}}})
        """,
        timeout=120,
    )
    assert (
        "INDIVISIBLE `global_batch_size` must be divisible by the number of "
        "replicas (2)" in stdout
    )
    result = np.load(out)
    np.testing.assert_allclose(result["loss"], reference_run["loss"], atol=ATOL)
    for i, want in enumerate(reference_run["weights"]):
        np.testing.assert_allclose(result[f"w{i}"], want, atol=ATOL)


@pytest.mark.slow
def test_unbatched_tf_data_and_an_unbuilt_model_train_like_arrays(tmp_path, data):
    def unbuilt():
        model = keras.Sequential([keras.layers.RNN(LSTMCell(4)), keras.layers.Dense(1)])
        model.compile(keras.optimizers.Adam(0.01), "mse")
        return model

    x, y = data
    kwargs = {"epochs": 1, "global_batch_size": 8, "seed": 3, "verbose": 0}
    from_arrays, arrays_history = train(
        unbuilt, (x, y), (x, y), checkpoint_dir=str(tmp_path / "a"), **kwargs
    )
    examples = tf.data.Dataset.from_tensor_slices((x, y))
    from_dataset, dataset_history = train(
        unbuilt, examples, examples, checkpoint_dir=str(tmp_path / "b"), **kwargs
    )
    assert from_dataset.built
    assert dataset_history.history == arrays_history.history
    for got, want in zip(
        from_dataset.get_weights(), from_arrays.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(got, want)


def _tiny_train(checkpoint_dir, epochs, **kwargs):
    return train(
        tiny_run.build_model,
        tiny_run.make_data(),
        epochs=epochs,
        global_batch_size=8,
        checkpoint_dir=str(checkpoint_dir),
        **tiny_run.RUN_KWARGS,
        **kwargs,
    )


def test_a_larger_epochs_continues_a_kept_backup(tmp_path, reference_run):
    _, first = _tiny_train(tmp_path, epochs=2, delete_backup=False)
    state = json.loads((tmp_path / "backup" / "state.json").read_text())
    assert state["epoch"] == 2, "delete_backup=False keeps the backup"
    model, history = _tiny_train(tmp_path, epochs=3)
    assert history.epoch == [0, 1, 2]
    assert history.history["loss"][:2] == first.history["loss"]
    np.testing.assert_allclose(
        history.history["loss"], reference_run["loss"], atol=1e-6
    )
    for got, want in zip(model.get_weights(), reference_run["weights"], strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)
    assert not os.path.exists(tmp_path / "backup")


def test_a_backup_of_every_epoch_is_returned_and_one_of_more_is_refused(tmp_path):
    trained, first = _tiny_train(tmp_path, epochs=3, delete_backup=False)
    builder = CountingBuilder()
    with pytest.raises(ValueError, match=r"holds 3 completed epochs, more than the "):
        train(builder, tiny_run.make_data(), epochs=2, checkpoint_dir=str(tmp_path))
    assert builder.calls == 0

    begun = []
    count = keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, _: begun.append(e))
    model, history = _tiny_train(tmp_path, epochs=3, callbacks=[count])
    assert begun == [], "the backup covers every epoch, so none runs"
    assert history.epoch == [0, 1, 2]
    assert history.history == first.history
    for got, want in zip(model.get_weights(), trained.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(
        model.optimizer.variables, trained.optimizer.variables, strict=True
    ):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert not os.path.exists(tmp_path / "backup")
