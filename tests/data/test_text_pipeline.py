import pytest
import tensorflow as tf

from keras_rnn_kit.data import batch_text_dataset
from keras_rnn_kit.data import dataset_texts


def texts_of_lengths(lengths):
    return [" ".join(["w"] * n) + f" id{i}" for i, n in enumerate(lengths)]


def test_buckets_group_similar_lengths_and_keep_every_element():
    lengths = [1, 30, 2, 31, 3, 32, 1, 33]
    texts = texts_of_lengths(lengths)
    labels = list(range(len(texts)))
    dataset = tf.data.Dataset.from_tensor_slices((texts, labels))
    batched = batch_text_dataset(dataset, batch_size=2, seed=3, bucket_boundaries=[10])
    seen = []
    for batch_texts, batch_labels in batched:
        words = [len(t.split()) - 1 for t in batch_texts.numpy()]
        assert len({n < 10 for n in words}) == 1, words  # one bucket per batch
        seen += batch_labels.numpy().tolist()
    assert sorted(seen) == labels


def test_shuffle_is_seeded_and_plain_batching_keeps_order():
    dataset = tf.data.Dataset.from_tensor_slices([str(i) for i in range(20)])

    def order(**kwargs):
        return list(dataset_texts(batch_text_dataset(dataset, batch_size=4, **kwargs)))

    assert order(seed=1) == order(seed=1)
    assert order(seed=1) != order(seed=2)
    assert order(shuffle=False, bucket_boundaries=None) == [str(i) for i in range(20)]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"batch_size": 0}, "`batch_size`"),
        ({"seed": -1}, "`seed`"),
        ({"bucket_boundaries": [8, 4]}, "`bucket_boundaries`"),
    ],
)
def test_argument_errors(kwargs, match):
    dataset = tf.data.Dataset.from_tensor_slices(["a"])
    with pytest.raises(ValueError, match=match):
        batch_text_dataset(dataset, **kwargs)
