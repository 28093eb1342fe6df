"""Keeps TensorFlow's native (C++) log lines off the terminal of a kit command.

TensorFlow's C++ runtime writes straight to file descriptor 2, some of it before
`TF_CPP_MIN_LOG_LEVEL` is read (`cudart_stub.cc`, `cpu_feature_guard.cc`, the
absl preamble), so neither that variable nor Python's `logging` can silence it.
`hide_native_logs` puts a pipe in front of descriptor 2 and a thread that
forwards every line except those in the absl/glog format
(`I0000 00:00:1796132082.517600    5927 device_compiler.h:208] ...`) at levels
I, W and E, and LiteRT's `INFO: Created TensorFlow Lite XNNPACK delegate for
CPU.` Fatal (F) lines, Python tracebacks, warnings and the kit's own messages
pass through unchanged.

The package's `__init__` calls it when the process was started as `rnnkit`,
`python -m keras_rnn_kit` or one of the kit's own example scripts
(`python examples/translation/train.py`) without `--debug`, before TensorFlow is
imported.

Example:

>>> line = b"I0000 00:00:1796132082.517600  5927 cudart_stub.cc:31] no GPU"
>>> bool(NATIVE_LOG_LINE.match(line))
True
>>> bool(NATIVE_LOG_LINE.match(b"rnnkit train: error: ..."))
False
"""

import atexit
import os
import re
import sys
import threading

NATIVE_LOG_LINE = re.compile(
    rb"[IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.\-]+:\d+\] "
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|To enable the following instructions: .* rebuild TensorFlow"
    # LiteRT's interpreter announces its default CPU delegate on every load.
    rb"|INFO: Created TensorFlow Lite XNNPACK delegate for CPU\."
)
# The kit's example scripts (a source checkout's `examples/`).
KIT_EXAMPLES = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples"
)
# What a pending, newline-less piece of a native line can start with.
_NATIVE_START = re.compile(rb"[IWE]\d|WARNING: All|To enable|INFO: Created")


def launched_as_cli(argv: list[str]) -> bool:
    """Whether `argv` (at package import) is a run of `rnnkit` or of one of the
    kit's example scripts (under `KIT_EXAMPLES`), without `--debug`.

    Example:

    >>> launched_as_cli(["/usr/bin/rnnkit", "train", "vqa"])
    True
    >>> launched_as_cli(["/usr/bin/rnnkit", "--debug", "train", "vqa"])
    False
    >>> launched_as_cli([os.path.join(KIT_EXAMPLES, "vqa", "train.py"), "--tiny"])
    True
    """
    if not argv or "--debug" in argv[1:]:
        return False
    # `python -m keras_rnn_kit` imports the package while argv[0] is still "-m".
    if os.path.basename(argv[0]) == "rnnkit" or argv[0] == "-m":
        return True
    script = os.path.abspath(argv[0])
    return os.path.commonpath([script, KIT_EXAMPLES]) == KIT_EXAMPLES


def _forward(read_end: int, terminal: int) -> None:
    pending = b""
    while chunk := os.read(read_end, 65536):
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        kept = [line + b"\n" for line in lines if not NATIVE_LOG_LINE.match(line)]
        if pending and not _NATIVE_START.match(pending):
            kept.append(pending)
            pending = b""
        if kept:
            os.write(terminal, b"".join(kept))
    if pending and not NATIVE_LOG_LINE.match(pending):
        os.write(terminal, pending)
    os.close(read_end)


def hide_native_logs() -> None:
    """Filters native log lines out of this process's standard error (fd 2)."""
    sys.stderr.flush()
    terminal = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    thread = threading.Thread(
        target=_forward, args=(read_end, terminal), name="native-logs", daemon=True
    )
    thread.start()

    def restore():
        sys.stderr.flush()
        os.dup2(terminal, 2)  # drops the pipe's last writer: the thread sees EOF
        thread.join(timeout=5)

    atexit.register(restore)
