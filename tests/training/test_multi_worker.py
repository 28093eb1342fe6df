"""Tests for keras_rnn_kit.training.multi_worker (Keras 3 fit on several workers)."""

import os
import time

import keras
import numpy as np
import pytest

from keras_rnn_kit.training import multi_worker
from keras_rnn_kit.training.multi_worker import FirstReplicaBuild
from keras_rnn_kit.training.multi_worker import multi_worker_fit
from keras_rnn_kit.utils import keras_compat
from tests.training import processes
from tests.training import tiny_run

WORKER_TIMEOUT_S = 150
# Two workers each average the gradients of half of every global batch; the
# single-process run takes one mean over the whole batch. Same maths, different
# float32 summation order, so the weights agree to rounding, not bit for bit.
ATOL = 1e-5


def test_outside_multi_worker_mode_the_model_is_left_alone():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    train_step = model.train_step
    with multi_worker_fit(model) as same:
        assert same is model
        assert "train_step" not in model.__dict__
        model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    assert model.train_step == train_step
    assert "_maybe_symbolic_build" not in model.__dict__


def test_first_replica_build_defers_to_keras_on_one_replica(monkeypatch):
    calls = []

    class KerasHook(keras.Model):
        """Records each call of Keras's own build hook, then runs it."""

    def keras_hook(self, iterator=None, data_batch=None):
        calls.append("keras")
        hook = getattr(keras.Model, keras_compat.SYMBOLIC_BUILD_HOOK)
        return hook(self, iterator=iterator, data_batch=data_batch)

    setattr(KerasHook, keras_compat.SYMBOLIC_BUILD_HOOK, keras_hook)

    class Tiny(FirstReplicaBuild, KerasHook):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

    monkeypatch.setattr(
        multi_worker,
        "build_from_first_replica",
        lambda *args, **kwargs: calls.append("first replica"),
    )
    model = Tiny()
    model.compile("sgd", "mse")
    assert model.distribute_strategy.num_replicas_in_sync == 1
    model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    assert calls == ["keras"]
    assert model.built


@pytest.mark.slow
def test_two_workers_match_each_other_and_a_single_process(tmp_path, reference_run):
    ports = processes.free_ports(2)
    workers = []
    with processes.killed_on_exit(workers):
        # Worker 1 starts first and waits for worker 0 (a late peer must work).
        for index in (1, 0):
            config = {
                "out": str(tmp_path / f"worker{index}.npz"),
                "checkpoint_dir": str(tmp_path / f"checkpoints{index}"),
                "strategy": "multi_worker",
                "epochs": 3,
                "global_batch_size": 8,
                "validation": True,
            }
            workers.append(
                processes.start(
                    config,
                    str(tmp_path / f"worker{index}.log"),
                    env={"TF_CONFIG": processes.tf_config(ports, index)},
                )
            )
            if index == 1:
                log = str(tmp_path / "worker1.log")
                processes.wait_for_text(
                    workers[0], log, "waiting for", WORKER_TIMEOUT_S
                )
        deadline = time.monotonic() + WORKER_TIMEOUT_S
        for index, worker in zip((1, 0), workers, strict=True):
            remaining = max(1.0, deadline - time.monotonic())
            code = worker.wait(timeout=remaining)
            assert code == 0, processes.tail(str(tmp_path / f"worker{index}.log"))
    assert "all peers joined" in processes.tail(str(tmp_path / "worker1.log"))

    results = [np.load(tmp_path / f"worker{i}.npz") for i in range(2)]
    names = [n for n in results[0].files if n.startswith("w")]
    assert len(names) == len(reference_run["weights"])
    for name in names:
        np.testing.assert_array_equal(results[0][name], results[1][name])
    for name, want in zip(names, reference_run["weights"], strict=True):
        np.testing.assert_allclose(results[0][name], want, atol=ATOL)
    np.testing.assert_allclose(results[0]["loss"], reference_run["loss"], atol=ATOL)
    assert results[0]["loss"][-1] < results[0]["loss"][0]
    # Validation ran through the patched test step: its last value is the loss of
    # the final weights, as one process evaluates it.
    model = tiny_run.build_model()
    model.set_weights(reference_run["weights"])
    x_val, y_val = tiny_run.make_data(16)
    want = model.evaluate(x_val, y_val, batch_size=8, verbose=0)
    np.testing.assert_allclose(results[1]["val_loss"][-1], want, atol=ATOL)
    # Only the chief (worker 0) writes; each worker got its own directory here so
    # that what worker 1 would have written shows.
    assert sorted(os.listdir(tmp_path / "checkpoints0")) == ["best.json", "best.keras"]
    assert os.listdir(tmp_path / "checkpoints1") == []
