import logging

import pytest

from keras_rnn_kit.data.row_errors import MalformedRowError
from keras_rnn_kit.data.row_errors import RowErrors
from keras_rnn_kit.data.row_errors import check_file
from keras_rnn_kit.data.row_errors import read_lines


def test_raise_names_file_and_line():
    with pytest.raises(MalformedRowError, match=r"data\.csv:7: bad label"):
        RowErrors("data.csv").report(7, "bad label")


def test_skip_counts_and_logs(caplog):
    errors = RowErrors("data.csv", on_error="skip")
    for line in range(2, 9):
        errors.report(line, "bad")
    with caplog.at_level(logging.WARNING, logger="keras_rnn_kit.data"):
        assert errors.finish() == 7
    assert "Skipped 7 malformed rows in data.csv" in caplog.text
    assert "line 2: bad" in caplog.text and "; ..." in caplog.text


def test_on_error_choice_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="`on_error`.*'raise', 'skip'.*'ignore'"):
        RowErrors("x", on_error="ignore")
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        check_file(str(tmp_path / "missing.txt"))


def test_read_lines_reports_bad_utf8_line(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes(b"ok\r\nfine\n\xff\xfe broken\n")
    with pytest.raises(MalformedRowError, match=r"mixed\.txt:3: not valid UTF-8"):
        read_lines(str(path))
    path.write_bytes("ok\r\n好\n".encode())
    assert read_lines(str(path)) == ["ok", "好"]
