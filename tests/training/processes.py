"""Launching `tiny_run` in child processes with bounded waits and sure cleanup."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time

from tests.test_case import REPO_ROOT

TINY_RUN = os.path.join(REPO_ROOT, "tests", "training", "tiny_run.py")


def free_ports(count: int) -> list[int]:
    """Ports on 127.0.0.1 that were free a moment ago (bound together, then freed)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config(ports: list[int], index: int) -> str:
    """`TF_CONFIG` of worker `index` in a cluster of workers on `ports`."""
    return json.dumps(
        {
            "cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
            "task": {"type": "worker", "index": index},
        }
    )


def start(
    config: dict, log_path: str, env: dict | None = None, script: str = TINY_RUN
) -> subprocess.Popen:
    """Starts `script` (`tiny_run.py`) with `config`; stdout and stderr go to
    `log_path`."""
    child_env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    child_env.update(TF_CPP_MIN_LOG_LEVEL="2", **(env or {}))
    with open(log_path, "w") as log:
        return subprocess.Popen(
            [sys.executable, script, json.dumps(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            env=child_env,
        )


def tail(path: str, chars: int = 3000) -> str:
    with open(path) as f:
        return f.read()[-chars:]


def wait_for_text(
    process: subprocess.Popen, log_path: str, text: str, timeout_s: float
) -> None:
    """Returns once `text` is in the log at `log_path`; fails, showing the log, if
    `process` ends or `timeout_s` passes first."""
    deadline = time.monotonic() + timeout_s
    while text not in tail(log_path, chars=100_000):
        assert process.poll() is None, tail(log_path)
        assert time.monotonic() < deadline, tail(log_path)
        time.sleep(0.2)


@contextlib.contextmanager
def killed_on_exit(processes: list[subprocess.Popen]):
    """Kills (SIGKILL) and reaps every process still running when the block exits,
    whether it succeeded or failed."""
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
