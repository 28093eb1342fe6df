"""A worker stuck in a collective, for the test that SIGTERM still ends it.

`python tests/training/peer_blocked_run.py` (with `TF_CONFIG` set; a JSON argument
from `processes.start` is ignored) creates the multi-worker strategy with
`get_strategy`. Worker 0 then prints `blocking` and
all-reduces, which blocks inside TensorFlow's C++ because worker 1 prints `idle`
and sleeps instead of joining the collective.
"""

import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import tensorflow as tf  # noqa: E402

from keras_rnn_kit.training.strategy import get_strategy  # noqa: E402


def main():
    strategy = get_strategy("multi_worker")
    if json.loads(os.environ["TF_CONFIG"])["task"]["index"] != 0:
        print("idle", flush=True)
        time.sleep(120)
        return

    @tf.function
    def all_reduce():
        ones = strategy.run(lambda: tf.ones(()))
        return strategy.reduce("SUM", ones, axis=None)

    print("blocking", flush=True)
    all_reduce()


if __name__ == "__main__":
    main()
