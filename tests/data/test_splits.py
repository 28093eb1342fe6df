"""Tests for keras_rnn_kit.data.splits."""

import doctest

import numpy as np
import pytest

from keras_rnn_kit.data import splits
from keras_rnn_kit.data.splits import split_indices


def assert_partition(train, test, count):
    """Every index in 0..count-1 is in exactly one split."""
    assert train.dtype == test.dtype == np.int64
    merged = np.sort(np.concatenate([train, test]))
    np.testing.assert_array_equal(merged, np.arange(count))


def test_docstring_example_runs():
    assert doctest.testmod(splits).failed == 0


def test_stratified_split_keeps_each_class_share():
    # Sorted by label, as a file sorted by its label column would be.
    labels = np.array([0] * 300 + [1] * 100 + [2] * 50)
    train, test = split_indices(labels, 0.2, seed=0)
    assert_partition(train, test, len(labels))
    assert np.bincount(labels[test]).tolist() == [60, 20, 10]
    assert np.bincount(labels[train]).tolist() == [240, 80, 40]


def test_splits_come_shuffled():
    labels = np.array([0] * 50 + [1] * 50)
    train, test = split_indices(labels, 0.2, seed=0)
    # Not in file order, and the classes are interleaved in the training order.
    assert not np.array_equal(train, np.sort(train))
    assert 0 < np.mean(labels[train][:40]) < 1


def test_same_seed_same_split_other_seed_other_split():
    labels = np.arange(100) % 3
    first = split_indices(labels, 0.3, seed=7)
    again = split_indices(labels, 0.3, seed=7)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    other = split_indices(labels, 0.3, seed=8)
    assert set(other[1].tolist()) != set(first[1].tolist())


def test_global_numpy_state_is_untouched():
    np.random.seed(3)
    expected = np.random.rand()
    np.random.seed(3)
    split_indices(10, 0.2, seed=0)
    assert np.random.rand() == expected


def test_count_split_is_a_plain_seeded_shuffle():
    train, test = split_indices(20, 0.1, seed=0)
    assert_partition(train, test, 20)
    assert len(test) == 2 and len(train) == 18
    # `stratify=False` with labels splits the same way as the count.
    by_labels = split_indices(np.zeros(20, int), 0.1, seed=0, stratify=False)
    np.testing.assert_array_equal(by_labels[1], test)


def test_tiny_classes_are_in_both_splits():
    # 2 examples of class 1 and 3 of class 2: 0.1 of them rounds to 0, yet each
    # class with 2 or more examples gets one test example and keeps one.
    labels = np.array([0] * 20 + [1] * 2 + [2] * 3)
    train, test = split_indices(labels, 0.1, seed=0)
    assert_partition(train, test, len(labels))
    assert sorted(set(labels[test].tolist())) == [0, 1, 2]
    assert sorted(set(labels[train].tolist())) == [0, 1, 2]
    # A large fraction still leaves one training example per class.
    train, test = split_indices(labels, 0.9, seed=0)
    assert np.bincount(labels[train]).tolist() == [2, 1, 1]


def test_a_single_example_class_goes_to_training():
    labels = np.array(["neg"] * 5 + ["pos"])
    train, test = split_indices(labels, 0.4, seed=0)
    assert_partition(train, test, 6)
    assert "pos" in labels[train] and "pos" not in labels[test]


def test_smallest_split_has_one_example_each_side():
    train, test = split_indices(2, 0.5, seed=0)
    assert len(train) == len(test) == 1
    assert_partition(train, test, 2)


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1, True, "0.2"])
def test_test_fraction_must_lie_in_the_open_unit_interval(fraction):
    with pytest.raises(ValueError, match="`test_fraction` must be a float in"):
        split_indices(10, fraction)


@pytest.mark.parametrize("data", [0, 1, [1], np.zeros((4, 2))])
def test_too_few_examples_or_bad_shape(data):
    with pytest.raises(ValueError, match="`labels_or_count`"):
        split_indices(data, 0.5)


def test_distinct_texts_keeps_first_rows_and_drops_contradictions():
    texts = ["a", "b", "a", "c", "b", "c", "d", "a"]
    labels = [1, 0, 1, 1, 0, 0, 1, 1]
    rows, repeats, conflicting = splits.distinct_texts(texts, labels)
    # "a" x3 and "b" x2 keep their first row; "c" has both labels; "d" once.
    assert rows.tolist() == [0, 1, 6]
    assert rows.dtype == np.int64
    assert (repeats, conflicting) == (3, 1)


def test_distinct_texts_of_distinct_rows_keeps_them_all():
    rows, repeats, conflicting = splits.distinct_texts(["x", "y"], np.array([0, 1]))
    assert rows.tolist() == [0, 1] and (repeats, conflicting) == (0, 0)
