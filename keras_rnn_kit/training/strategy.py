"""Picks a `tf.distribute` strategy by name and checks `TF_CONFIG` before using it.

Keras 3 (TensorFlow backend) trains under whatever strategy the model was built in, so
`get_strategy` is the one place the kit decides how a run is spread over devices and
machines. Every failure is raised here, before any variable or dataset exists.
"""

import json
import os

import tensorflow as tf

from keras_rnn_kit.training.peer_wait import honour_sigterm
from keras_rnn_kit.training.peer_wait import resolve_peer_timeout
from keras_rnn_kit.training.peer_wait import task_name
from keras_rnn_kit.training.peer_wait import wait_for_peers

STRATEGY_NAMES = ("auto", "one_device", "mirrored", "multi_worker", "tpu")

_multi_worker_strategy = None


def _tf_config_error(problem: str, raw: str) -> ValueError:
    return ValueError(
        f"`TF_CONFIG` is malformed: {problem}. Got TF_CONFIG={raw!r}. Expected e.g. "
        '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
        '"task": {"type": "worker", "index": 0}} (see docs/multi_worker.md).'
    )


def _check_address(job: str, i: int, address, raw: str) -> None:
    if not isinstance(address, str) or address.count(":") < 1:
        raise _tf_config_error(
            f'cluster["{job}"][{i}] must be a "host:port" string, got {address!r}', raw
        )
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise _tf_config_error(
            f'cluster["{job}"][{i}] must be "host:port" with a port in 1..65535, '
            f"got {address!r}",
            raw,
        )


def parse_tf_config(raw: str | None = None) -> dict | None:
    """Parses and validates `TF_CONFIG` (the environment variable by default).

    Args:
        raw: the JSON text; `None` reads `os.environ["TF_CONFIG"]`.

    Returns:
        The parsed dict, or `None` when `TF_CONFIG` is unset or empty.

    Raises:
        ValueError: naming what is wrong (not JSON, no `cluster`, an address that is
            not `host:port`, a `task` whose `type` is not a cluster job or whose
            `index` is out of range).

    Example:

    >>> parse_tf_config('{"cluster": {"worker": ["localhost:2222"]},'
    ...                 ' "task": {"type": "worker", "index": 0}}')["task"]
    {'type': 'worker', 'index': 0}
    """
    raw = os.environ.get("TF_CONFIG", "") if raw is None else raw
    if not raw.strip():
        return None
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as error:
        raise _tf_config_error(f"it is not valid JSON ({error})", raw) from None
    if not isinstance(config, dict):
        raise _tf_config_error(
            f"it must be a JSON object, got {type(config).__name__}", raw
        )
    cluster = config.get("cluster")
    if not isinstance(cluster, dict) or not cluster:
        raise _tf_config_error('"cluster" must be a non-empty object of job lists', raw)
    for job, addresses in cluster.items():
        if not isinstance(addresses, list) or not addresses:
            raise _tf_config_error(
                f'cluster["{job}"] must be a non-empty list of "host:port" strings, '
                f"got {addresses!r}",
                raw,
            )
        for i, address in enumerate(addresses):
            _check_address(job, i, address, raw)
    task = config.get("task")
    if not isinstance(task, dict):
        raise _tf_config_error('"task" must be an object with "type" and "index"', raw)
    job, index = task.get("type"), task.get("index")
    if job not in cluster:
        raise _tf_config_error(
            f'task "type" must be one of the cluster jobs {sorted(cluster)}, '
            f"got {job!r}",
            raw,
        )
    if isinstance(index, bool) or not isinstance(index, int):
        raise _tf_config_error(f'task "index" must be an integer, got {index!r}', raw)
    if not 0 <= index < len(cluster[job]):
        raise _tf_config_error(
            f'task "index" must be in [0, {len(cluster[job])}) for job "{job}", '
            f"got {index}",
            raw,
        )
    return config


def is_chief(config: dict | None = None) -> bool:
    """Whether this process writes checkpoints and logs: the `chief` task, or worker
    0 of a cluster without a chief, or any process without `TF_CONFIG`.

    Args:
        config: a parsed `TF_CONFIG`; `None` parses the environment variable.

    Returns:
        bool.
    """
    config = parse_tf_config() if config is None else config
    if not config:
        return True
    job, index = config["task"]["type"], config["task"]["index"]
    if "chief" in config["cluster"]:
        return job == "chief"
    return job == "worker" and index == 0


def _multi_worker(peer_timeout_s):
    global _multi_worker_strategy
    config = parse_tf_config()
    if config is None:
        raise ValueError(
            "strategy='multi_worker' needs the `TF_CONFIG` environment variable "
            "describing the cluster and this task; it is unset. See "
            "docs/multi_worker.md."
        )
    timeout_s = resolve_peer_timeout(peer_timeout_s)
    if _multi_worker_strategy is None:
        me = task_name(config["task"]["type"], config["task"]["index"])
        honour_sigterm(me)
        wait_for_peers(config, timeout_s)
        _multi_worker_strategy = tf.distribute.MultiWorkerMirroredStrategy()
        # Creating the strategy installed TensorFlow's SIGTERM handler over ours.
        honour_sigterm(me)
    return _multi_worker_strategy


def _mirrored():
    gpus = tf.config.list_logical_devices("GPU")
    devices = gpus or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy(devices=[d.name for d in devices])


def _tpu():
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        raise RuntimeError(
            f"strategy='tpu' found no usable TPU ({error}). Run on a TPU VM or pick "
            f"one of {STRATEGY_NAMES}."
        ) from error
    return tf.distribute.TPUStrategy(resolver)


def get_strategy(
    name: str = "auto", *, peer_timeout_s: float | None = None
) -> tf.distribute.Strategy:
    """Returns a distribution strategy by name.

    Args:
        name: one of
            - `"auto"`: `MultiWorkerMirroredStrategy` when `TF_CONFIG` names more
              than one task, else `MirroredStrategy` over all local GPUs when there
              are several, else the default (no-op) strategy.
            - `"one_device"`: `OneDeviceStrategy` on the first GPU, else the CPU.
            - `"mirrored"`: `MirroredStrategy` over all local GPUs, or over all
              logical CPU devices when there is no GPU.
            - `"multi_worker"`: `MultiWorkerMirroredStrategy` from `TF_CONFIG`
              (validated first; one instance per process). Before creating it,
              this task waits for every other chief/worker of the cluster to
              start, printing a progress line to stderr, and from then on SIGTERM
              ends the process at once with status 143 (see
              `keras_rnn_kit.training.peer_wait`).
            - `"tpu"`: `TPUStrategy` on the TPU this VM is attached to.
        peer_timeout_s: multi-worker only: how many seconds to wait for the other
            tasks to start; `None` reads `$RNNKIT_PEER_TIMEOUT_S`, else 300.

    Returns:
        A `tf.distribute.Strategy`.

    Raises:
        ValueError: for an unknown name (the message lists the accepted ones), a
            malformed `TF_CONFIG` or a peer timeout that is not a positive number.
        PeerTimeoutError: (a `TimeoutError`) when a peer has not started within
            the peer timeout; the message names it, its address and the fixes.
        RuntimeError: for `"tpu"` when no TPU is reachable, or for a multi-worker
            task whose own port is taken by another process.

    Example:

    >>> get_strategy("one_device").num_replicas_in_sync
    1
    """
    if name not in STRATEGY_NAMES:
        accepted = ", ".join(repr(n) for n in STRATEGY_NAMES)
        raise ValueError(f"`strategy` must be one of {accepted}; got {name!r}.")
    if name == "multi_worker":
        return _multi_worker(peer_timeout_s)
    if name == "tpu":
        return _tpu()
    if name == "mirrored":
        return _mirrored()
    if name == "one_device":
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.OneDeviceStrategy(
            (gpus or tf.config.list_logical_devices("CPU"))[0].name
        )
    config = parse_tf_config()
    if config and sum(len(tasks) for tasks in config["cluster"].values()) > 1:
        return _multi_worker(peer_timeout_s)
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return _mirrored()
    return tf.distribute.get_strategy()


def in_multi_worker_mode(strategy: tf.distribute.Strategy) -> bool:
    """Whether `strategy` spans more than one process (a `MultiWorkerMirroredStrategy`
    over a cluster of two or more tasks)."""
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and (
        strategy.cluster_resolver is not None
        and sum(
            len(tasks)
            for tasks in strategy.cluster_resolver.cluster_spec().as_dict().values()
        )
        > 1
    )
