"""Tests for keras_rnn_kit.training.atomic_files (crash-safe writes)."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from keras_rnn_kit.training import atomic_files
from keras_rnn_kit.training.atomic_files import atomic_write
from keras_rnn_kit.training.atomic_files import atomic_write_json
from keras_rnn_kit.training.atomic_files import read_json
from keras_rnn_kit.training.atomic_files import remove_stale


def test_json_round_trip_and_missing_file(tmp_path):
    path = str(tmp_path / "state.json")
    assert read_json(path) is None
    atomic_write_json(path, {"epoch": 3})
    atomic_write_json(path, {"epoch": 4})
    assert read_json(path) == {"epoch": 4}
    assert os.listdir(tmp_path) == ["state.json"]


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "best.keras"
    path.write_text("old")

    def write(tmp_path_):
        assert tmp_path_.endswith("-best.keras")
        with open(tmp_path_, "w") as f:
            f.write("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(str(path), write)
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["best.keras"]


def test_a_writer_killed_mid_write_leaves_the_old_file_whole(tmp_path):
    path = tmp_path / "epoch.weights.h5"
    path.write_text("complete old backup")
    # Load the module from its file so the child does not import TensorFlow.
    code = textwrap.dedent(
        f"""
        import importlib.util, os, signal
        path = {atomic_files.__file__!r}
        spec = importlib.util.spec_from_file_location("atomic", path)
        atomic = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(atomic)
        def write(tmp):
            with open(tmp, "w") as f:
                f.write("torn")
                f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        atomic.atomic_write({str(path)!r}, write)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert result.returncode == -signal.SIGKILL
    assert path.read_text() == "complete old backup"
    leftovers = sorted(n for n in os.listdir(tmp_path) if n != path.name)
    assert len(leftovers) == 1 and leftovers[0].startswith(".tmp-")
    assert remove_stale(str(tmp_path)) == leftovers
    assert os.listdir(tmp_path) == [path.name]
    assert remove_stale(str(tmp_path / "missing")) == []
