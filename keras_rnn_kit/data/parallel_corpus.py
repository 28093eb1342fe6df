"""Parallel corpora for translation: a TSV of pairs, or two line-aligned files."""

from collections.abc import Sequence

import tensorflow as tf

from keras_rnn_kit.data.row_errors import MalformedRowError
from keras_rnn_kit.data.row_errors import RowErrors
from keras_rnn_kit.data.row_errors import check_file
from keras_rnn_kit.data.row_errors import read_lines
from keras_rnn_kit.data.text_pipeline import DEFAULT_BUCKET_BOUNDARIES
from keras_rnn_kit.data.text_pipeline import batch_text_dataset
from keras_rnn_kit.utils.validation import check_non_negative_int


def read_parallel_tsv(
    path: str, source_column: int = 0, target_column: int = 1, on_error: str = "raise"
) -> list[tuple[str, str]]:
    """Reads `(source, target)` pairs from a tab-separated file without header.

    Extra columns (e.g. the attribution column of Tatoeba/Anki exports) are
    ignored; blank lines are ignored.

    Args:
        path: the file, UTF-8.
        source_column: int >= 0, the field holding the source sentence.
        target_column: int >= 0, the field holding the target sentence.
        on_error: `"raise"` stops at the first line with too few fields or an empty
            sentence, naming file and line; `"skip"` skips and logs the count.

    Returns:
        A list of `(source, target)` string pairs in file order.
    """
    path = check_file(path, "Parallel corpus")
    check_non_negative_int("source_column", source_column)
    check_non_negative_int("target_column", target_column)
    if source_column == target_column:
        raise ValueError(
            "`source_column` and `target_column` must differ, both are "
            f"{source_column}."
        )
    errors = RowErrors(path, on_error)
    needed = max(source_column, target_column) + 1
    pairs = []
    for line, text in enumerate(read_lines(path), start=1):
        if not text.strip():
            continue
        fields = text.split("\t")
        if len(fields) < needed:
            errors.report(line, f"{len(fields)} tab-separated fields, need {needed}")
            continue
        source, target = fields[source_column].strip(), fields[target_column].strip()
        if not source or not target:
            errors.report(line, "empty source or target sentence")
            continue
        pairs.append((source, target))
    errors.finish()
    return pairs


def read_parallel_files(
    source_path: str, target_path: str, on_error: str = "raise"
) -> list[tuple[str, str]]:
    """Reads `(source, target)` pairs from two files aligned line by line.

    Args:
        source_path: one source sentence per line, UTF-8.
        target_path: the matching target sentence on the same line.
        on_error: `"raise"` or `"skip"` for a line that is empty on one side only
            (lines empty on both sides are ignored).

    Returns:
        A list of `(source, target)` string pairs.

    Raises:
        MalformedRowError: naming both files, if their line counts differ.
    """
    source_lines = read_lines(check_file(source_path, "Source file"))
    target_lines = read_lines(check_file(target_path, "Target file"))
    if len(source_lines) != len(target_lines):
        raise MalformedRowError(
            f"{source_path} has {len(source_lines)} lines but {target_path} has "
            f"{len(target_lines)}; the files must be aligned line by line."
        )
    errors = RowErrors(f"{source_path} / {target_path}", on_error)
    pairs = []
    for line, (source, target) in enumerate(
        zip(source_lines, target_lines, strict=True), start=1
    ):
        source, target = source.strip(), target.strip()
        if not source and not target:
            continue
        if not source or not target:
            errors.report(line, "empty on one side only")
            continue
        pairs.append((source, target))
    errors.finish()
    return pairs


def pairs_to_dataset(
    pairs: Sequence[tuple[str, str]],
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int = 0,
    bucket_boundaries: Sequence[int] | None = DEFAULT_BUCKET_BOUNDARIES,
) -> tf.data.Dataset:
    """Batches `(source, target)` pairs, bucketed by source length.

    Args:
        pairs: `(source, target)` string pairs.
        batch_size, shuffle, seed, bucket_boundaries: see `batch_text_dataset`.

    Returns:
        A `tf.data.Dataset` of `(source (batch,), target (batch,))` strings.
    """
    if not pairs:
        raise ValueError("`pairs` is empty: there is nothing to batch.")
    sources = tf.constant([s for s, _ in pairs], tf.string)
    targets = tf.constant([t for _, t in pairs], tf.string)
    return batch_text_dataset(
        tf.data.Dataset.from_tensor_slices((sources, targets)),
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        bucket_boundaries=bucket_boundaries,
    )


def load_parallel_tsv(
    path: str,
    source_column: int = 0,
    target_column: int = 1,
    on_error: str = "raise",
    **batching,
) -> tf.data.Dataset:
    """`read_parallel_tsv` + `pairs_to_dataset` (batching keywords pass through).

    Example:

    ```python
    pairs = load_parallel_tsv("cmn.txt", source_column=1, target_column=0)
    ```
    """
    pairs = read_parallel_tsv(path, source_column, target_column, on_error)
    return pairs_to_dataset(pairs, **batching)


def load_parallel_files(
    source_path: str, target_path: str, on_error: str = "raise", **batching
) -> tf.data.Dataset:
    """`read_parallel_files` + `pairs_to_dataset` (batching keywords pass through).

    Example:

    ```python
    pairs = load_parallel_files("train.zh", "train.en", batch_size=64)
    ```
    """
    pairs = read_parallel_files(source_path, target_path, on_error)
    return pairs_to_dataset(pairs, **batching)
