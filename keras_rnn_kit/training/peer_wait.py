"""Waits, in Python, for the other tasks of a `TF_CONFIG` cluster; honours SIGTERM.

`tf.distribute.MultiWorkerMirroredStrategy()` registers this task with TensorFlow's
coordination service inside one C++ call (`context.ensure_initialized()`) that holds
the GIL. When a peer never starts, that call never returns and prints nothing at
`TF_CPP_MIN_LOG_LEVEL=2`; the same call installs TensorFlow's own SIGTERM handler (a
preemption notifier), which swallows the signal. So `get_strategy` first runs
`wait_for_peers` here, where signals are delivered and a deadline can be kept, and
only creates the strategy once every peer's port accepts connections.

A peer's port accepts connections once its TensorFlow server is up, or while it is
itself in `wait_for_peers`: each waiting task listens on its own port (a "beacon")
and closes it just before TensorFlow binds that port, so tasks can start in any
order without waiting for each other forever.

`honour_sigterm` makes SIGTERM end the process within a moment, also while the main
thread is blocked in a TensorFlow collective (Python handlers only run between
bytecodes of the main thread; a watcher thread runs ours when the main thread
cannot).
"""

import contextlib
import os
import signal
import socket
import struct
import sys
import threading
import time

DEFAULT_PEER_TIMEOUT_S = 300.0
PEER_TIMEOUT_ENV = "RNNKIT_PEER_TIMEOUT_S"
SIGTERM_EXIT_STATUS = 128 + signal.SIGTERM
_COORDINATED_JOBS = ("chief", "worker")
_STDERR_GRACE_S = 0.25

_sigterm_wakeup = None


class PeerTimeoutError(TimeoutError):
    """Some tasks of the `TF_CONFIG` cluster did not start within the peer timeout."""


def resolve_peer_timeout(peer_timeout_s: float | None = None) -> float:
    """The peer timeout in seconds: the argument, else `$RNNKIT_PEER_TIMEOUT_S`, else
    `DEFAULT_PEER_TIMEOUT_S` (300).

    Args:
        peer_timeout_s: a positive number of seconds (`float("inf")` waits forever),
            or `None` for the environment variable or the default.

    Returns:
        float.

    Raises:
        ValueError: naming the argument or the variable, when it is not a positive
            number.

    Example:

    >>> resolve_peer_timeout(30)
    30.0
    """
    if peer_timeout_s is None:
        raw = os.environ.get(PEER_TIMEOUT_ENV, "").strip()
        if not raw:
            return DEFAULT_PEER_TIMEOUT_S
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        source = f"${PEER_TIMEOUT_ENV}"
    else:
        raw, source = peer_timeout_s, "`peer_timeout_s`"
        number = isinstance(raw, int | float) and not isinstance(raw, bool)
        value = float(raw) if number else float("nan")
    if not value > 0:
        raise ValueError(
            f"{source} must be a positive number of seconds (e.g. 300, or inf to "
            f"wait forever); got {raw!r}."
        )
    return value


def task_name(job: str, index: int) -> str:
    """How messages name a task: `task_name("worker", 1)` is `"worker 1"`."""
    return f"{job} {index}"


def peers(config: dict) -> list[tuple[str, str]]:
    """The `(name, address)` of every chief and worker of `config["cluster"]` other
    than this task (`config["task"]`), in `TF_CONFIG` order.

    Example:

    >>> peers({"cluster": {"worker": ["a:1", "b:2"]},
    ...        "task": {"type": "worker", "index": 0}})
    [('worker 1', 'b:2')]
    """
    me = (config["task"]["type"], config["task"]["index"])
    return [
        (task_name(job, index), address)
        for job in _COORDINATED_JOBS
        for index, address in enumerate(config["cluster"].get(job, []))
        if (job, index) != me
    ]


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def probe(address: str, timeout_s: float = 1.0) -> str | None:
    """Tries one TCP connection to `address` (`"host:port"`).

    Args:
        address: `"host:port"`, as in `TF_CONFIG`.
        timeout_s: how long the connection attempt may take.

    Returns:
        `None` when something accepts connections there (the peer has started),
        else why not.

    Example:

    >>> probe("127.0.0.1:1", timeout_s=0.5)  # nothing listens on port 1
    '[Errno 111] Connection refused'
    """
    try:
        with socket.create_connection(_host_port(address), timeout=timeout_s):
            return None
    except ConnectionResetError:
        # Accepted, then reset before this side looked: a waiting peer's beacon
        # resets every probe at once (`_answer`), so it is up.
        return None
    except OSError as error:
        return str(error) or type(error).__name__


def _open_beacon(config: dict) -> socket.socket:
    job, index = config["task"]["type"], config["task"]["index"]
    address = config["cluster"][job][index]
    port = _host_port(address)[1]
    dualstack = socket.has_dualstack_ipv6()
    try:
        beacon = socket.create_server(
            ("", port),
            family=socket.AF_INET6 if dualstack else socket.AF_INET,
            dualstack_ipv6=dualstack,
        )
    except OSError as error:
        raise RuntimeError(
            f"{task_name(job, index)} cannot listen on its own port {port} "
            f'(TF_CONFIG cluster["{job}"][{index}] = {address!r}): {error}. Another '
            "process (an earlier run?) holds it: stop that process or give this task "
            "a free port in every worker's TF_CONFIG."
        ) from error
    beacon.setblocking(False)
    return beacon


def _answer(beacon: socket.socket) -> None:
    """Accepts and resets the peers' probes, so the backlog never fills up."""
    while True:
        try:
            connection, _ = beacon.accept()
        except (BlockingIOError, InterruptedError):
            return
        # l_onoff=1, l_linger=0: close with a reset, leaving no TIME_WAIT on the
        # port TensorFlow binds next.
        connection.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        connection.close()


def _timeout_message(me: str, missing: dict, timeout_s: float) -> str:
    listed = "; ".join(
        f"{name} at {address} (last attempt: {reason})"
        for (name, address), reason in missing.items()
    )
    return (
        f"{me} waited {timeout_s:g} s for its peers and these never started: "
        f"{listed}. Start them with the same TF_CONFIG cluster (each with its own "
        "task index), check that every address resolves and its port is reachable "
        "from this machine (firewall, container port mapping), or wait longer with "
        f"get_strategy(..., peer_timeout_s=...) or ${PEER_TIMEOUT_ENV}."
    )


def wait_for_peers(
    config: dict,
    timeout_s: float,
    *,
    stream=None,
    poll_s: float = 0.5,
    report_every_s: float = 10.0,
) -> None:
    """Returns once every peer of `config` accepts TCP connections on its port.

    While waiting, this task listens on its own port (see the module docstring) and
    writes `"rnnkit: worker 0 waiting for worker 1 at host:port (12 s of 300 s)"` to
    `stream` at once and then every `report_every_s` seconds, so a user sees why the
    run does not start even at `TF_CPP_MIN_LOG_LEVEL=2`.

    Args:
        config: a parsed, valid `TF_CONFIG` (`parse_tf_config`).
        timeout_s: how long to wait, in seconds.
        stream: where progress lines go; `None` is `sys.stderr`.
        poll_s: seconds between two rounds of connection attempts.
        report_every_s: seconds between two progress lines.

    Raises:
        PeerTimeoutError: naming each missing task, its address, the last
            connection error, the timeout and what to do.
        RuntimeError: when this task's own port is taken by another process.

    Example:

    >>> wait_for_peers({"cluster": {"worker": ["127.0.0.1:23456"]},
    ...                 "task": {"type": "worker", "index": 0}}, timeout_s=1)
    """
    stream = sys.stderr if stream is None else stream
    me = task_name(config["task"]["type"], config["task"]["index"])
    missing = {peer: "not tried yet" for peer in peers(config)}
    if not missing:
        return
    start = time.monotonic()
    deadline, next_report = start + timeout_s, start
    with contextlib.closing(_open_beacon(config)) as beacon:
        while True:
            for peer in list(missing):
                _answer(beacon)
                timeout = min(1.0, max(0.05, deadline - time.monotonic()))
                reason = probe(peer[1], timeout)
                if reason is None:
                    del missing[peer]
                else:
                    missing[peer] = reason
            now = time.monotonic()
            if not missing:
                if next_report > start:
                    print(
                        f"rnnkit: {me}: all peers joined after {now - start:.0f} s",
                        file=stream,
                        flush=True,
                    )
                return
            if now >= deadline:
                raise PeerTimeoutError(_timeout_message(me, missing, timeout_s))
            if now >= next_report:
                waiting = ", ".join(f"{name} at {address}" for name, address in missing)
                print(
                    f"rnnkit: {me} waiting for {waiting} "
                    f"({now - start:.0f} s of {timeout_s:g} s)",
                    file=stream,
                    flush=True,
                )
                next_report = now + report_every_s
            _answer(beacon)
            time.sleep(max(0.0, min(poll_s, deadline - now)))


class _SigtermExit:
    """The SIGTERM handler: one line on stderr, then `os._exit` (no clean-up that
    could wait on a peer that is gone). The main thread and the watcher may both
    run it for one signal; the first one exits."""

    def __init__(self, name: str):
        self.line = (
            f"rnnkit: {name} received SIGTERM; exiting now with status "
            f"{SIGTERM_EXIT_STATUS}.\n"
        ).encode()
        self.exiting = threading.Lock()

    def __call__(self, signum, frame):
        if not self.exiting.acquire(blocking=False):
            return
        os.write(2, self.line)
        # A moment for a thread that forwards fd 2 (the CLI's native-log filter,
        # `keras_rnn_kit.native_logs`) to pass the line on before the process ends.
        time.sleep(_STDERR_GRACE_S)
        os._exit(SIGTERM_EXIT_STATUS)


def _watch(receive: socket.socket) -> None:
    """Runs our SIGTERM handler for a main thread blocked in C++ (see
    `honour_sigterm`); returns when the wakeup socket is closed."""
    while True:
        signals = receive.recv(64)
        if not signals:
            return
        if int(signal.SIGTERM) in signals:
            handler = signal.getsignal(signal.SIGTERM)
            if isinstance(handler, _SigtermExit):
                handler(signal.SIGTERM, None)


def honour_sigterm(name: str) -> None:
    """Makes SIGTERM end this process at once: `"rnnkit: <name> received SIGTERM;
    exiting now with status 143."` on stderr, then exit status 143.

    TensorFlow's multi-worker strategy replaces the SIGTERM handler with one that
    only records the signal, so call this again after creating the strategy. The
    handler also runs while the main thread is blocked inside TensorFlow: Python's
    C-level handler writes the signal number to a wakeup socket that a daemon thread
    reads (unless another wakeup fd, e.g. asyncio's, is already set). Does nothing
    outside the main thread, where Python cannot set signal handlers.

    Args:
        name: how the line names this process, e.g. `"worker 1"`.

    Example:

    >>> honour_sigterm("worker 1")  # `kill <pid>` now ends this process at once
    """
    global _sigterm_wakeup
    if threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGTERM, _SigtermExit(name))
    if _sigterm_wakeup is not None:
        return
    receive, send = socket.socketpair()
    send.setblocking(False)
    previous = signal.set_wakeup_fd(send.fileno(), warn_on_full_buffer=False)
    if previous != -1:
        signal.set_wakeup_fd(previous)
        receive.close()
        send.close()
        return
    _sigterm_wakeup = (receive, send)
    threading.Thread(target=_watch, args=(receive,), daemon=True).start()
