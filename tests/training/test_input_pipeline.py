"""Tests for keras_rnn_kit.training.input_pipeline (global batches, resumable order)."""

import numpy as np
import pytest
import tensorflow as tf

from keras_rnn_kit.training.input_pipeline import make_dataset


def _arrays(count=10):
    x = np.arange(count * 2, dtype="float32").reshape(count, 2)
    return x, x[:, :1] * 10


def _ids(dataset):
    """The example ids (x[:, 0] / 2) of every batch, one list per batch."""
    return [list((b[0][:, 0].numpy() // 2).astype(int)) for b in dataset]


def test_arrays_are_batched_in_order_with_a_final_partial_batch():
    dataset, steps = make_dataset(_arrays(10), 4)
    assert steps == 3
    assert _ids(dataset) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    x, y = next(iter(dataset))
    np.testing.assert_array_equal(y.numpy(), x.numpy()[:, :1] * 10)


def test_python_lists_of_texts_and_labels_are_arrays_not_structures():
    texts = [f"review {i}" for i in range(5)]
    dataset, steps = make_dataset((texts, [i % 2 for i in range(5)]), 2)
    assert steps == 3
    batches = list(dataset)
    assert [t.decode() for t in batches[0][0].numpy()] == ["review 0", "review 1"]
    assert batches[-1][1].numpy().tolist() == [0]


def test_drop_remainder_drops_only_the_last_partial_batch():
    dataset, steps = make_dataset(_arrays(10), 4, drop_remainder=True)
    assert steps == 2
    assert _ids(dataset) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_unbatched_datasets_are_batched_and_variable_lengths_padded():
    ragged = tf.data.Dataset.from_generator(
        lambda: ((np.ones(n, "float32"), np.float32(n)) for n in (1, 3, 2)),
        output_signature=(tf.TensorSpec((None,)), tf.TensorSpec(())),
    )
    dataset, steps = make_dataset(ragged, 2)
    assert steps is None
    batches = list(dataset)
    np.testing.assert_array_equal(batches[0][0].numpy(), [[1, 0, 0], [1, 1, 1]])
    np.testing.assert_array_equal(batches[1][0].numpy(), [[1, 1]])


def test_dataset_of_known_length_reports_its_steps():
    dataset, steps = make_dataset(tf.data.Dataset.from_tensor_slices(_arrays(9)), 3)
    assert steps == 3
    assert _ids(dataset) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


@pytest.mark.parametrize(
    "data, kwargs, match",
    [
        ((np.zeros((0, 2)), np.zeros((0, 1))), {}, "`train_data` holds zero examples"),
        (_arrays(3), {"drop_remainder": True}, "has 3 examples, fewer than"),
        (
            (np.zeros((4, 2)), np.zeros((5, 1))),
            {},
            r"same number of examples .*\[4, 5\]",
        ),
        (np.zeros((4, 2)), {}, "tuple \\(x, y\\) / \\(x, y, sample_weight\\)"),
        ((np.zeros((4, 2)),), {}, "got tuple of length 1"),
        (tf.data.Dataset.range(0), {}, "`train_data` is an empty dataset"),
        (tf.data.Dataset.range(3).repeat(), {}, "`train_data` is infinite"),
    ],
)
def test_data_that_cannot_make_batches_is_refused(data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_dataset(data, 4, **kwargs)


def test_unknown_length_empty_dataset_is_refused():
    empty = tf.data.Dataset.range(5).filter(lambda i: i > 10)
    with pytest.raises(ValueError, match="`validation_data` is an empty dataset"):
        make_dataset(empty, 2, name="validation_data")


def test_shuffle_seed_is_refused_for_datasets():
    with pytest.raises(ValueError, match="shuffle it yourself"):
        make_dataset(tf.data.Dataset.range(4), 2, shuffle_seed=1, epochs=(0, 1))


def test_each_epoch_is_a_fresh_permutation_fixed_by_seed_and_epoch():
    dataset, steps = make_dataset(_arrays(10), 4, shuffle_seed=5, epochs=(0, 3))
    assert steps == 3
    batches = _ids(dataset)
    assert [len(b) for b in batches] == [4, 4, 2] * 3
    epochs = [sum(batches[i * 3 : (i + 1) * 3], []) for i in range(3)]
    for order in epochs:
        assert sorted(order) == list(range(10))
    assert epochs[0] != epochs[1] != epochs[2]
    assert epochs[0] != list(range(10))

    tf.random.set_seed(999)  # the order must not depend on the global seed
    resumed, _ = make_dataset(_arrays(10), 4, shuffle_seed=5, epochs=(1, 3))
    assert _ids(resumed) == batches[3:]
    other, _ = make_dataset(_arrays(10), 4, shuffle_seed=6, epochs=(0, 1))
    assert _ids(other) != batches[:3]


def test_named_inputs_and_sample_weights_stay_aligned_when_shuffled():
    ids = np.arange(12, dtype="int32")[:, None] * np.ones((1, 4), "int32")
    data = (
        {"token_ids": ids, "padding_mask": ids > 5},
        ids[:, 0] * 2,
        ids[:, 0].astype("float32") / 10,
    )
    dataset, _ = make_dataset(data, 5, shuffle_seed=2, epochs=(0, 2))
    seen = []
    for x, y, weight in dataset:
        first = x["token_ids"].numpy()[:, 0]
        np.testing.assert_array_equal(y.numpy(), first * 2)
        np.testing.assert_allclose(weight.numpy(), first / 10, rtol=1e-6)
        np.testing.assert_array_equal(x["padding_mask"].numpy()[:, 0], first > 5)
        seen.extend(first.tolist())
    assert sorted(seen) == sorted(list(range(12)) * 2)
