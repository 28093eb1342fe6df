"""Median wall times of callables, after warm-up, and measurement in a fresh process."""

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import keras
import tensorflow as tf


def median_seconds(fn: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    """Calls `fn` `warmup` times, then `repeats` times, and returns the median time.

    `fn` must block until its work is done (e.g. call `.numpy()` on a result).
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_medians(
    fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 2
) -> dict[str, float]:
    """Like `median_seconds` for several callables, alternating them each round so
    that a burst of load on a shared machine hits all of them alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def in_fresh_process(module: str, timeout: int = 3600, **kwargs) -> object:
    """Runs `python -m module '<kwargs as JSON>'` and returns the JSON its last
    stdout line holds: a measurement free of the one-time costs (tracing, XLA
    compiles) that earlier measurements in this process already paid.

    Raises:
        RuntimeError: the child failed; the message ends with its stderr.
    """
    result = subprocess.run(
        [sys.executable, "-m", module, json.dumps(kwargs)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    if result.returncode:
        raise RuntimeError(f"{module} child failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def train_step(model, inputs, target) -> Callable[[], object]:
    """A callable running one compiled forward + backward + SGD step (blocking)
    of `model` (a layer or model) on a mean-squared-error loss."""
    optimizer = keras.optimizers.SGD(1e-3)
    variables = model.trainable_variables

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            outputs = model(inputs, training=True)
            loss = tf.reduce_mean(tf.square(outputs - target))
        optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    return lambda: step().numpy()
