"""Malformed-row policy shared by the local-file loaders: raise, or skip and count."""

import logging
import os

from keras_rnn_kit.utils.validation import check_choice

logger = logging.getLogger("keras_rnn_kit.data")

ON_ERROR = ("raise", "skip")


class MalformedRowError(ValueError):
    """A row of a local data file cannot be read; the message names file and line."""


class RowErrors:
    """Collects malformed rows of one file.

    With `on_error="raise"` the first problem raises `MalformedRowError` naming the
    file and line; with `"skip"` problems are counted and `finish()` logs one warning
    with the count and the first few line numbers.

    Args:
        path: the file being read.
        on_error: `"raise"` or `"skip"`.
    """

    def __init__(self, path: str, on_error: str = "raise"):
        self.path = path
        self.on_error = check_choice("on_error", on_error, ON_ERROR)
        self.skipped: list[tuple[int, str]] = []

    def report(self, line: int, reason: str) -> None:
        """Raises, or records that row `line` (1-based) was skipped for `reason`."""
        if self.on_error == "raise":
            raise MalformedRowError(
                f"{self.path}:{line}: {reason}. Fix the row or pass "
                'on_error="skip" to skip and count malformed rows.'
            )
        self.skipped.append((line, reason))

    def finish(self) -> int:
        """Logs the skipped rows (if any) and returns how many were skipped."""
        if self.skipped:
            first = "; ".join(f"line {n}: {why}" for n, why in self.skipped[:5])
            logger.warning(
                "Skipped %d malformed rows in %s (%s%s).",
                len(self.skipped),
                self.path,
                first,
                "; ..." if len(self.skipped) > 5 else "",
            )
        return len(self.skipped)


def check_file(path: str, what: str = "Data file") -> str:
    """Returns `path` if it is a file, else raises `FileNotFoundError` naming it."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"`path` must be a str or os.PathLike, got {path!r}.")
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} not found: {path!r}.")
    return path


def read_lines(path: str) -> list[str]:
    """Reads a UTF-8 file as lines without their line breaks.

    Raises:
        ValueError: naming the file and line, if the bytes are not UTF-8.
    """
    with open(path, "rb") as handle:
        raw_lines = handle.read().splitlines()
    lines = []
    for number, raw in enumerate(raw_lines, start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            raise MalformedRowError(
                f"{path}:{number}: not valid UTF-8 ({error.reason} at byte "
                f"{error.start})."
            ) from error
    return lines
