"""One training step of a task under MirroredStrategy (two logical CPUs) and one
device, in a child process, and the comparison of the two results."""

import numpy as np

from tests.test_case import run_python

# Two replicas each average half the batch and the gradients are summed across
# replicas: the same maths as one device, in another float32 summation order.
# One Adam step moves each weight by about the learning rate (1e-3, 2e-3), so
# 1e-6 is a thousand times below any update and 30 times the measured 3e-8.
ATOL = 1e-6
GLOBAL_BATCH = 8
STRATEGIES = ("mirrored", "one_device")


def one_step(builder, data, strategy, checkpoint_dir):
    """`train` one step of `builder()` on `data` under `strategy` (a name or a
    `tf.distribute.Strategy`); returns the weights, the loss and the replicas."""
    from keras_rnn_kit.training import train

    model, history = train(
        builder,
        data,
        strategy=strategy,
        epochs=1,
        global_batch_size=GLOBAL_BATCH,
        checkpoint_dir=checkpoint_dir,
        seed=5,
        verbose=0,
    )
    weights = {f"w{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}
    return {
        "replicas": model.distribute_strategy.num_replicas_in_sync,
        "loss": history.history["loss"][0],
        **weights,
    }


def run_both_strategies(folder, module, tasks):
    """Runs `module.run_one_step(task, strategy, checkpoint_dir)` for every task on
    both strategies in one child process with two logical CPUs.

    Returns:
        `{(task, strategy): npz}`.
    """
    run_python(
        f"""
        import numpy as np
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from keras_rnn_kit.training import get_strategy
        from {module} import run_one_step
        # One MirroredStrategy for all tasks: a second instance in the same
        # process reuses the collective instance keys of the first and aborts.
        strategies = {{"mirrored": get_strategy("mirrored"),
                       "one_device": get_strategy("one_device")}}
        for task in {tuple(tasks)!r}:
            for name, strategy in strategies.items():
                out = run_one_step(task, strategy, {str(folder)!r} + f"/{{task}}_ckpt")
                np.savez({str(folder)!r} + f"/{{task}}_{{name}}.npz", **out)
        """,
        timeout=300,
    )
    return {
        (task, strategy): np.load(folder / f"{task}_{strategy}.npz")
        for task in tasks
        for strategy in STRATEGIES
    }


def assert_same_step(name, mirrored, one_device, initial):
    """Asserts the mirrored step equals the one-device step (loss and every weight
    within `ATOL`); returns the dtypes of the weights the step left unchanged."""
    assert int(mirrored["replicas"]) == 2 and int(one_device["replicas"]) == 1
    np.testing.assert_allclose(mirrored["loss"], one_device["loss"], atol=ATOL)
    names = [f"w{i}" for i in range(len(initial))]
    assert sorted(names) == sorted(k for k in one_device.files if k.startswith("w"))
    unmoved, largest = [], 0.0
    for weight, start in zip(names, initial, strict=True):
        np.testing.assert_allclose(mirrored[weight], one_device[weight], atol=ATOL)
        if np.array_equal(one_device[weight], start):
            unmoved.append(start.dtype)
        difference = np.abs(mirrored[weight] - one_device[weight].astype("float64"))
        largest = max(largest, float(np.max(difference, initial=0.0)))
    print(
        f"{name}: mirrored vs one device: loss {float(mirrored['loss']):.7f} vs "
        f"{float(one_device['loss']):.7f}, max |weight diff| {largest:.3g}"
    )
    return unmoved
