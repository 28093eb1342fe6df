"""Tests for keras_rnn_kit.training.peer_wait (waiting for peers, SIGTERM)."""

import io
import json
import os
import signal
import socket
import threading
import time

import pytest

from keras_rnn_kit.training import peer_wait
from keras_rnn_kit.training import strategy
from keras_rnn_kit.training.peer_wait import PeerTimeoutError
from keras_rnn_kit.training.peer_wait import peers
from keras_rnn_kit.training.peer_wait import probe
from keras_rnn_kit.training.peer_wait import resolve_peer_timeout
from keras_rnn_kit.training.peer_wait import wait_for_peers
from tests.training import processes

# A child process imports TensorFlow (~5 s on a loaded machine) before it waits.
CHILD_BOUND_S = 60
BLOCKED_RUN = os.path.join(os.path.dirname(__file__), "peer_blocked_run.py")


def _two_workers(ports, index=0):
    return json.loads(processes.tf_config(ports, index))


def test_a_listening_port_counts_as_joined_and_a_closed_one_does_not():
    with socket.create_server(("127.0.0.1", 0)) as server:
        assert probe(f"127.0.0.1:{server.getsockname()[1]}") is None
    (closed,) = processes.free_ports(1)
    assert "refused" in probe(f"127.0.0.1:{closed}").lower()


def test_peers_are_the_other_chiefs_and_workers_in_tf_config_order():
    config = {
        "cluster": {
            "worker": ["w0:1", "w1:2"],
            "evaluator": ["e0:3"],
            "chief": ["c0:4"],
        },
        "task": {"type": "worker", "index": 0},
    }
    assert peers(config) == [("chief 0", "c0:4"), ("worker 1", "w1:2")]


def test_the_peer_timeout_comes_from_the_argument_the_environment_or_the_default(
    monkeypatch,
):
    monkeypatch.delenv("RNNKIT_PEER_TIMEOUT_S", raising=False)
    assert resolve_peer_timeout() == 300.0
    monkeypatch.setenv("RNNKIT_PEER_TIMEOUT_S", "2.5")
    assert resolve_peer_timeout() == 2.5
    assert resolve_peer_timeout(7) == 7.0
    monkeypatch.setenv("RNNKIT_PEER_TIMEOUT_S", "inf")
    assert resolve_peer_timeout() == float("inf")


@pytest.mark.parametrize("value", [0, -1, True, "10", float("nan")])
def test_a_bad_peer_timeout_argument_is_refused(value):
    with pytest.raises(ValueError) as info:
        resolve_peer_timeout(value)
    assert str(info.value) == (
        "`peer_timeout_s` must be a positive number of seconds (e.g. 300, or inf to "
        f"wait forever); got {value!r}."
    )


def test_a_bad_peer_timeout_variable_is_refused(monkeypatch):
    monkeypatch.setenv("RNNKIT_PEER_TIMEOUT_S", "ten")
    with pytest.raises(ValueError, match=r"\$RNNKIT_PEER_TIMEOUT_S must be .*'ten'"):
        resolve_peer_timeout()


def test_returns_at_once_and_silently_when_the_peers_are_up():
    own, peer = processes.free_ports(2)
    stream = io.StringIO()
    with socket.create_server(("127.0.0.1", peer)):
        start = time.monotonic()
        wait_for_peers(_two_workers([own, peer]), 5, stream=stream)
    assert time.monotonic() - start < 2
    assert stream.getvalue() == ""
    with socket.create_server(("", own)):  # the beacon let go of this port
        pass


def test_a_missing_peer_is_named_with_its_address_after_the_timeout():
    own, missing = processes.free_ports(2)
    stream = io.StringIO()
    start = time.monotonic()
    with pytest.raises(PeerTimeoutError) as info:
        wait_for_peers(_two_workers([own, missing]), 0.5, stream=stream, poll_s=0.1)
    assert 0.5 <= time.monotonic() - start < 3
    message = str(info.value)
    assert message.startswith(
        "worker 0 waited 0.5 s for its peers and these never started: "
        f"worker 1 at 127.0.0.1:{missing} (last attempt: "
    )
    assert "refused" in message.lower()
    for fix in (
        "same TF_CONFIG",
        "firewall",
        "peer_timeout_s",
        "RNNKIT_PEER_TIMEOUT_S",
    ):
        assert fix in message
    assert stream.getvalue() == (
        f"rnnkit: worker 0 waiting for worker 1 at 127.0.0.1:{missing} (0 s of 0.5 s)\n"
    )


def test_a_late_peer_is_waited_for_and_the_wait_says_when_it_ended():
    own, late = processes.free_ports(2)
    stream = io.StringIO()
    server = []
    timer = threading.Timer(
        0.5, lambda: server.append(socket.create_server(("", late)))
    )
    timer.start()
    try:
        wait_for_peers(_two_workers([own, late]), 10, stream=stream, poll_s=0.1)
    finally:
        timer.join()
        server[0].close()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("rnnkit: worker 0 waiting for worker 1 at ")
    assert lines[-1].startswith("rnnkit: worker 0: all peers joined after ")


def test_while_waiting_this_task_answers_on_its_own_port():
    own, missing = processes.free_ports(2)
    errors = []

    def wait():
        config = _two_workers([own, missing])
        try:
            wait_for_peers(config, 3.0, stream=io.StringIO(), poll_s=0.05)
        except PeerTimeoutError as error:
            errors.append(error)

    waiting = threading.Thread(target=wait)
    started = time.monotonic()
    waiting.start()
    time.sleep(0.3)
    # Probes ending well inside the 3 s wait (a loaded machine may probe slowly:
    # a probe that outlives the wait would meet the closed port). The beacon
    # resets each probe it accepts; one it resets before the prober reads the
    # connect result still counts as answered (`probe`).
    answers = []
    while len(answers) < 50 and time.monotonic() - started < 2.0:
        answers.append(probe(f"127.0.0.1:{own}"))
    waiting.join()
    assert len(answers) >= 5 and answers == [None] * len(answers)
    assert len(errors) == 1


def test_own_port_taken_by_another_process_is_a_clear_error():
    own, peer = processes.free_ports(2)
    with socket.create_server(("127.0.0.1", own)), pytest.raises(RuntimeError) as info:
        wait_for_peers(_two_workers([own, peer]), 1, stream=io.StringIO())
    assert f"worker 0 cannot listen on its own port {own}" in str(info.value)
    assert "earlier run" in str(info.value)


def test_get_strategy_waits_for_the_peers_first(monkeypatch):
    own, missing = processes.free_ports(2)
    monkeypatch.setenv("TF_CONFIG", processes.tf_config([own, missing], 0))
    monkeypatch.setattr(strategy, "_multi_worker_strategy", None)
    honoured = []
    monkeypatch.setattr(strategy, "honour_sigterm", honoured.append)
    with pytest.raises(PeerTimeoutError, match="worker 1 at 127.0.0.1:"):
        strategy.get_strategy("multi_worker", peer_timeout_s=0.2)
    assert honoured == ["worker 0"]
    with pytest.raises(ValueError, match="`peer_timeout_s` must be a positive"):
        strategy.get_strategy("auto", peer_timeout_s=0)


def test_the_watcher_runs_our_handler_only_for_sigterm():
    calls = []

    class Recorded(peer_wait._SigtermExit):
        def __call__(self, signum, frame):
            calls.append(signum)

    previous = signal.signal(signal.SIGTERM, Recorded("test"))
    receive, send = socket.socketpair()
    watcher = threading.Thread(target=peer_wait._watch, args=(receive,))
    watcher.start()
    try:
        send.send(bytes([signal.SIGINT, signal.SIGTERM]))
        send.close()
        watcher.join(timeout=5)
    finally:
        signal.signal(signal.SIGTERM, previous)
        receive.close()
    assert not watcher.is_alive()
    assert calls == [signal.SIGTERM]


def _start_lone_worker(tmp_path, timeout_s):
    ports = processes.free_ports(2)
    config = {
        "out": str(tmp_path / "out.npz"),
        "checkpoint_dir": str(tmp_path / "checkpoints"),
        "strategy": "multi_worker",
    }
    log = str(tmp_path / "worker0.log")
    env = {
        "TF_CONFIG": processes.tf_config(ports, 0),
        "RNNKIT_PEER_TIMEOUT_S": str(timeout_s),
    }
    return processes.start(config, log, env=env), ports, log


@pytest.mark.slow
def test_a_lone_worker_fails_naming_the_missing_one(tmp_path):
    worker, ports, log = _start_lone_worker(tmp_path, 3)
    with processes.killed_on_exit([worker]):
        code = worker.wait(timeout=CHILD_BOUND_S)
    output = processes.tail(log)
    assert code != 0, output
    assert f"waiting for worker 1 at 127.0.0.1:{ports[1]} (0 s of 3 s)" in output
    assert (
        "PeerTimeoutError: worker 0 waited 3 s for its peers and these never "
        f"started: worker 1 at 127.0.0.1:{ports[1]}"
    ) in output


@pytest.mark.slow
def test_sigterm_ends_a_waiting_worker_at_once(tmp_path):
    worker, ports, log = _start_lone_worker(tmp_path, 120)
    with processes.killed_on_exit([worker]):
        processes.wait_for_text(worker, log, "waiting for worker 1", CHILD_BOUND_S)
        worker.terminate()
        code = worker.wait(timeout=10)
    output = processes.tail(log)
    assert code == 143, output
    assert output.rstrip().endswith(
        "rnnkit: worker 0 received SIGTERM; exiting now with status 143."
    )


@pytest.mark.slow
def test_sigterm_ends_a_worker_blocked_in_a_collective(tmp_path):
    ports = processes.free_ports(2)
    logs = [str(tmp_path / f"worker{index}.log") for index in range(2)]
    workers = []
    with processes.killed_on_exit(workers):
        for index in range(2):
            env = {"TF_CONFIG": processes.tf_config(ports, index)}
            workers.append(
                processes.start({}, logs[index], env=env, script=BLOCKED_RUN)
            )
        processes.wait_for_text(workers[1], logs[1], "idle", CHILD_BOUND_S)
        processes.wait_for_text(workers[0], logs[0], "blocking", CHILD_BOUND_S)
        time.sleep(1)  # worker 0 is now inside the all-reduce
        workers[0].terminate()
        code = workers[0].wait(timeout=10)
        workers[1].terminate()
    output = processes.tail(logs[0])
    assert code == 143, output
    assert output.rstrip().endswith(
        "rnnkit: worker 0 received SIGTERM; exiting now with status 143."
    )
