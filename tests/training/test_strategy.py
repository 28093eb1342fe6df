"""Tests for keras_rnn_kit.training.strategy (names, TF_CONFIG checks, chief)."""

import json

import pytest
import tensorflow as tf

from keras_rnn_kit.training.strategy import get_strategy
from keras_rnn_kit.training.strategy import in_multi_worker_mode
from keras_rnn_kit.training.strategy import is_chief
from keras_rnn_kit.training.strategy import parse_tf_config

TWO_WORKERS = {
    "cluster": {"worker": ["127.0.0.1:2222", "127.0.0.1:2223"]},
    "task": {"type": "worker", "index": 1},
}


@pytest.fixture(autouse=True)
def _no_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)


def _with(**changes):
    config = json.loads(json.dumps(TWO_WORKERS))
    for path, value in changes.items():
        section, key = path.split("__")
        config[section][key] = value
    return json.dumps(config)


def test_unknown_name_lists_the_accepted_ones():
    with pytest.raises(ValueError) as info:
        get_strategy("horovod")
    message = str(info.value)
    for name in ("'auto'", "'one_device'", "'mirrored'", "'multi_worker'", "'tpu'"):
        assert name in message
    assert "'horovod'" in message


def test_auto_on_a_single_cpu_is_the_default_strategy():
    strategy = get_strategy("auto")
    assert strategy is tf.distribute.get_strategy()
    assert strategy.num_replicas_in_sync == 1
    assert not in_multi_worker_mode(strategy)


def test_one_device_runs_on_the_cpu():
    strategy = get_strategy("one_device")
    assert isinstance(strategy, tf.distribute.OneDeviceStrategy)
    assert strategy.extended.worker_devices[0].endswith("CPU:0")


def test_multi_worker_without_tf_config_says_what_is_missing():
    with pytest.raises(ValueError, match="needs the `TF_CONFIG` environment variable"):
        get_strategy("multi_worker")


@pytest.mark.parametrize(
    "raw, problem",
    [
        ("{not json", "it is not valid JSON"),
        ("[1, 2]", "it must be a JSON object, got list"),
        ('{"task": {"type": "worker", "index": 0}}', '"cluster" must be a non-empty'),
        (
            '{"cluster": {"worker": []}, "task": {}}',
            'cluster["worker"] must be a non-empty list',
        ),
        (_with(cluster__worker=["127.0.0.1"]), 'must be a "host:port" string'),
        (_with(cluster__worker=["127.0.0.1:http"]), "with a port in 1..65535"),
        (_with(cluster__worker=["127.0.0.1:70000"]), "with a port in 1..65535"),
        (json.dumps({"cluster": TWO_WORKERS["cluster"]}), '"task" must be an object'),
        (
            _with(task__type="ps"),
            "task \"type\" must be one of the cluster jobs ['worker']",
        ),
        (_with(task__index="1"), "task \"index\" must be an integer, got '1'"),
        (
            _with(task__index=2),
            'task "index" must be in [0, 2) for job "worker", got 2',
        ),
    ],
)
def test_malformed_tf_config_says_what_is_wrong(raw, problem):
    with pytest.raises(ValueError) as info:
        parse_tf_config(raw)
    message = str(info.value)
    assert message.startswith("`TF_CONFIG` is malformed: ")
    assert problem in message
    assert repr(raw) in message


def test_malformed_tf_config_in_the_environment_fails_get_strategy(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", _with(task__index=5))
    with pytest.raises(ValueError, match="must be in \\[0, 2\\)"):
        get_strategy("multi_worker")
    with pytest.raises(ValueError, match="must be in \\[0, 2\\)"):
        get_strategy("auto")


def test_valid_tf_config_and_the_chief():
    assert parse_tf_config(json.dumps(TWO_WORKERS)) == TWO_WORKERS
    assert parse_tf_config("") is None
    assert is_chief({}) is True
    assert is_chief(TWO_WORKERS) is False
    assert is_chief(json.loads(_with(task__index=0))) is True
    with_chief = {
        "cluster": {"chief": ["h:1"], "worker": ["h:2"]},
        "task": {"type": "worker", "index": 0},
    }
    assert is_chief(with_chief) is False
    assert is_chief({**with_chief, "task": {"type": "chief", "index": 0}}) is True
