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
# How a native line starts: a pending, newline-less piece that starts with one of
# these (or is the start of one) is held until its line ends. Native code writes a
# line in pieces (LiteRT: "INFO: ", the message, "\n"), so a read can end anywhere.
_GLOG_START = re.compile(rb"[IWE](?:\d|\Z)")  # `I0000 00:00...`, or its first letter
_LITERAL_STARTS = (b"WARNING: All", b"To enable", b"INFO: Created")


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


def _may_be_native(piece: bytes) -> bool:
    """Whether `piece`, the start of a line, may still be a native log line."""
    return bool(_GLOG_START.match(piece)) or any(
        piece.startswith(start) or start.startswith(piece) for start in _LITERAL_STARTS
    )


class NativeLineFilter:
    r"""Drops native log lines from a byte stream read in arbitrary pieces.

    Example:

    >>> lines = NativeLineFilter()
    >>> lines.feed(b"Epoch 1/2\nINFO: "), lines.feed(b"Created TensorFlow Lite ")
    (b'Epoch 1/2\n', b'')
    >>> lines.feed(b"XNNPACK delegate for CPU.\nI"), lines.finish()
    (b'', b'I')
    """

    def __init__(self):
        self.pending = b""

    def feed(self, chunk: bytes) -> bytes:
        """What to forward of `chunk`: every ended line that is not native, and
        the unended rest unless it may still become a native line."""
        lines = (self.pending + chunk).split(b"\n")
        self.pending = lines.pop()
        kept = b"".join(
            line + b"\n" for line in lines if not NATIVE_LOG_LINE.match(line)
        )
        if self.pending and not _may_be_native(self.pending):
            kept, self.pending = kept + self.pending, b""
        return kept

    def finish(self) -> bytes:
        """What to forward of the unended rest when the stream closes."""
        rest, self.pending = self.pending, b""
        return b"" if NATIVE_LOG_LINE.match(rest) else rest


def _forward(read_end: int, terminal: int) -> None:
    lines = NativeLineFilter()
    while chunk := os.read(read_end, 65536):
        if kept := lines.feed(chunk):
            os.write(terminal, kept)
    if rest := lines.finish():
        os.write(terminal, rest)
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
