"""Labelled text in CSV, TSV or JSON-lines files with named columns."""

import csv
import json
import os
from collections.abc import Sequence

import tensorflow as tf

from keras_rnn_kit.data.row_errors import MalformedRowError
from keras_rnn_kit.data.row_errors import RowErrors
from keras_rnn_kit.data.row_errors import check_file
from keras_rnn_kit.data.row_errors import read_lines
from keras_rnn_kit.data.text_pipeline import DEFAULT_BUCKET_BOUNDARIES
from keras_rnn_kit.data.text_pipeline import batch_text_dataset

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl",
           ".ndjson": "jsonl"}


def read_labelled_text(
    path: str,
    text_column: str,
    label_column: str | None = None,
    class_names: Sequence[str] | None = None,
    file_format: str | None = None,
    on_error: str = "raise",
) -> tuple[list[str], list[int] | None]:
    """Reads texts and integer labels from a CSV/TSV file (with header) or JSONL.

    Args:
        path: the file. CSV uses standard quoting; TSV splits on tabs with no
            quoting; JSONL holds one JSON object per line. Blank lines are ignored.
        text_column: the column / key holding the text.
        label_column: the column / key holding the label, or None.
        class_names: the label values in class order (e.g. `["neg", "pos"]`), mapped
            to 0, 1, ...; None means labels are already integers >= 0.
        file_format: `"csv"`, `"tsv"` or `"jsonl"`; None infers it from the
            extension.
        on_error: `"raise"` (the default) stops at the first malformed row with an
            error naming file and line; `"skip"` skips such rows and logs the count.

    Returns:
        `(texts, labels)`; `labels` is None without `label_column`.
    """
    path = check_file(path)
    if file_format is None:
        extension = os.path.splitext(path)[1].lower()
        if extension not in FORMATS:
            raise ValueError(
                f"Cannot infer the format of {path!r} from its extension; pass "
                f"`file_format` (one of 'csv', 'tsv', 'jsonl') or use one of "
                f"{', '.join(FORMATS)}."
            )
        file_format = FORMATS[extension]
    if file_format not in ("csv", "tsv", "jsonl"):
        raise ValueError(
            f"`file_format` must be one of 'csv', 'tsv', 'jsonl'; got {file_format!r}."
        )
    label_of = _label_parser(class_names)
    errors = RowErrors(path, on_error)
    if file_format == "jsonl":
        rows = _json_rows(path, errors)
    else:
        columns = [c for c in (text_column, label_column) if c is not None]
        rows = _table_rows(path, file_format, columns, errors)
    texts, labels = [], []
    for line, row in rows:
        if text_column not in row:
            errors.report(line, f"missing text field {text_column!r}")
            continue
        text = row[text_column]
        if not isinstance(text, str):
            errors.report(line, f"text {text!r} is not a string")
            continue
        if label_column is not None:
            if label_column not in row:
                errors.report(line, f"missing label field {label_column!r}")
                continue
            label, problem = label_of(row[label_column])
            if problem:
                errors.report(line, problem)
                continue
            labels.append(label)
        texts.append(text)
    errors.finish()
    return texts, (labels if label_column is not None else None)


def load_delimited_text(
    path: str,
    text_column: str,
    label_column: str | None = None,
    class_names: Sequence[str] | None = None,
    file_format: str | None = None,
    on_error: str = "raise",
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int = 0,
    bucket_boundaries: Sequence[int] | None = DEFAULT_BUCKET_BOUNDARIES,
) -> tf.data.Dataset:
    """`read_labelled_text` as a batched `tf.data` pipeline.

    Args:
        path, text_column, label_column, class_names, file_format, on_error: see
            `read_labelled_text`.
        batch_size, shuffle, seed, bucket_boundaries: see `batch_text_dataset`.

    Returns:
        A `tf.data.Dataset` of `(texts, labels)` (int32 labels), or of `texts`
        without `label_column`.

    Example:

    ```python
    train = load_delimited_text("reviews.csv", "review", "stars_label")
    ```
    """
    texts, labels = read_labelled_text(
        path, text_column, label_column, class_names, file_format, on_error
    )
    if labels is None:
        dataset = tf.data.Dataset.from_tensor_slices(tf.constant(texts, tf.string))
    else:
        dataset = tf.data.Dataset.from_tensor_slices(
            (tf.constant(texts, tf.string), tf.constant(labels, tf.int32))
        )
    return batch_text_dataset(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        bucket_boundaries=bucket_boundaries,
    )


def _label_parser(class_names):
    if class_names is not None:
        names = [str(name) for name in class_names]
        if len(set(names)) != len(names) or not names:
            raise ValueError(
                f"`class_names` must be distinct and non-empty, got {class_names!r}."
            )
        index = {name: i for i, name in enumerate(names)}

        def parse(value):
            key = str(value).strip()
            if key not in index:
                return None, f"label {value!r} is not one of the class_names {names}"
            return index[key], None

        return parse

    def parse(value):
        if isinstance(value, bool) or not isinstance(value, int | str):
            return None, f"label {value!r} is not an integer"
        text = str(value).strip()
        if not text.isdigit():
            return None, f"label {value!r} is not an integer >= 0 (pass class_names)"
        return int(text), None

    return parse


def _table_rows(path, file_format, columns, errors):
    """Returns `(line, {column: value})` of a CSV/TSV file with a header row."""
    read_lines(path)  # raises naming the line if the file is not UTF-8
    with open(path, encoding="utf-8", newline="") as handle:
        if file_format == "csv":
            reader = csv.reader(handle, strict=True)
        else:
            reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return _split_table(path, reader, columns, errors)


def _split_table(path, reader, columns, errors):
    header = next(reader, None)
    if header is None or any(c not in header for c in columns):
        raise ValueError(
            f"{path}:1: the header must name the columns {columns}, got {header}."
        )
    rows = []
    while True:
        try:
            values = next(reader, None)
        except csv.Error as error:
            raise MalformedRowError(f"{path}:{reader.line_num}: {error}") from error
        if values is None:
            break
        line = reader.line_num
        if not values:
            continue
        if len(values) != len(header):
            errors.report(line, f"{len(values)} fields, expected {len(header)}")
            continue
        rows.append((line, dict(zip(header, values, strict=True))))
    return rows


def _json_rows(path, errors):
    rows = []
    for line, text in enumerate(read_lines(path), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as error:
            errors.report(line, f"invalid JSON ({error.msg})")
            continue
        if not isinstance(row, dict):
            errors.report(line, f"expected a JSON object, got {type(row).__name__}")
            continue
        rows.append((line, row))
    return rows
