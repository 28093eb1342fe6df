"""Tests for keras_rnn_kit.native_logs (the `rnnkit` stderr filter)."""

import os
import threading

from keras_rnn_kit.native_logs import KIT_EXAMPLES
from keras_rnn_kit.native_logs import NativeLineFilter
from keras_rnn_kit.native_logs import _forward
from keras_rnn_kit.native_logs import launched_as_cli

NATIVE = [
    b"WARNING: All log messages before absl::InitializeLog() is called are written "
    b"to STDERR",
    b"I0000 00:00:1796132391.935422    9375 cudart_stub.cc:31] Could not find cuda "
    b"drivers on your machine, GPU will not be used.",
    b"To enable the following instructions: AVX2 FMA, in other operations, rebuild "
    b"TensorFlow with the appropriate compiler flags.",
    b"E0000 00:00:1796132396.580925    9375 cuda_platform.cc:52] failed call to cuInit",
    b"W0000 00:00:1796132397.481383    9375 op_kernel.cc:1858] OP_REQUIRES failed",
    b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
]
KEPT = [
    b"rnnkit train: error: `--data` names a file that does not exist",
    b"F0000 00:00:1796132397.481383    9375 check.cc:1] Check failed: fatal stays",
    b"Traceback (most recent call last):",
    b"Item 10000 00:00 looks like a log line but is not one",
    b"INFO: Created the user's own log line",
]


def _filtered(chunks):
    read_end, write_end = os.pipe()
    out_read, out_write = os.pipe()
    thread = threading.Thread(target=_forward, args=(read_end, out_write))
    thread.start()
    for chunk in chunks:
        os.write(write_end, chunk)
    os.close(write_end)
    thread.join(timeout=10)
    os.close(out_write)
    with os.fdopen(out_read, "rb") as f:
        return f.read()


def test_native_lines_are_dropped_and_everything_else_kept_in_order():
    lines = [line for pair in zip(NATIVE, KEPT, strict=False) for line in pair]
    lines.append(NATIVE[-1])
    text = b"\n".join(lines) + b"\n"
    # Split mid-line, so the filter must join pieces before deciding.
    got = _filtered([text[:50], text[50:200], text[200:]])
    assert got == b"".join(line + b"\n" for line in KEPT)


def test_a_partial_line_that_is_not_native_is_forwarded_at_once():
    assert _filtered([b"Epoch 1/3 \r", b"\n"]) == b"Epoch 1/3 \r\n"


def test_a_line_read_in_two_pieces_is_judged_whole_wherever_it_was_cut():
    # Native code writes a line in several writes (LiteRT: "INFO: ", the
    # message, "\n"); a read may end after any byte of it.
    for line in NATIVE + KEPT:
        expected = b"" if line in NATIVE else line + b"\n"
        for cut in range(1, len(line) + 1):
            lines = NativeLineFilter()
            got = lines.feed(line[:cut]) + lines.feed(line[cut:] + b"\n")
            assert got + lines.finish() == expected, (line, cut)


def test_an_unended_piece_is_held_only_while_it_may_be_native():
    lines = NativeLineFilter()
    assert lines.feed(b"INFO: ") == b""
    assert lines.feed(b"Created the user's") == b""
    assert lines.feed(b" line\nWARN") == b"INFO: Created the user's line\n"
    assert lines.feed(b"ED: ") == b"WARNED: "
    assert lines.feed(b"\nE") == b"\n"
    assert lines.finish() == b"E"


def test_only_rnnkit_runs_without_debug_are_filtered():
    assert launched_as_cli(["/venv/bin/rnnkit", "train", "vqa"])
    assert launched_as_cli(["-m", "predict"])
    assert not launched_as_cli(["/venv/bin/rnnkit", "train", "--debug"])
    assert not launched_as_cli(["/venv/bin/pytest", "tests"])
    assert not launched_as_cli([])


def test_the_kits_example_scripts_are_filtered_and_other_scripts_are_not():
    script = os.path.join(KIT_EXAMPLES, "translation", "train.py")
    assert os.path.isfile(script)
    assert launched_as_cli([script, "--tiny"])
    assert not launched_as_cli([script, "--tiny", "--debug"])
    assert not launched_as_cli([KIT_EXAMPLES + "_mine/train.py"])
    assert not launched_as_cli([os.path.join(os.path.dirname(KIT_EXAMPLES), "x.py")])
