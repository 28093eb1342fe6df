"""Shuffling, length-bucketed batching and prefetching shared by every text loader."""

from collections.abc import Iterator
from collections.abc import Sequence

import tensorflow as tf

from keras_rnn_kit.utils.validation import check_non_negative_int
from keras_rnn_kit.utils.validation import check_positive_int

DEFAULT_BUCKET_BOUNDARIES = (16, 32, 64, 128, 256, 512)


def word_count(text: tf.Tensor) -> tf.Tensor:
    """Number of whitespace-separated words of a scalar `tf.string`, as int32."""
    return tf.size(tf.strings.split(text), out_type=tf.int32)


def batch_text_dataset(
    dataset: tf.data.Dataset,
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int = 0,
    shuffle_buffer: int = 10_000,
    bucket_boundaries: Sequence[int] | None = DEFAULT_BUCKET_BOUNDARIES,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """Shuffles, batches texts of similar length together and prefetches.

    Args:
        dataset: unbatched elements whose first component (or the element itself)
            is a scalar `tf.string`; its word count picks the bucket.
        batch_size: int > 0, the size of every batch (the last of each bucket may
            be smaller unless `drop_remainder`).
        shuffle: bool, shuffle with `seed` (reshuffled every epoch).
        seed: int >= 0, the shuffle seed.
        shuffle_buffer: int > 0, elements held by the shuffle buffer.
        bucket_boundaries: increasing word counts that separate the buckets, or
            None for plain batches in (shuffled) order.
        drop_remainder: bool, drop incomplete batches.

    Returns:
        A batched, prefetched `tf.data.Dataset` with the same structure.
    """
    check_positive_int("batch_size", batch_size)
    check_non_negative_int("seed", seed)
    check_positive_int("shuffle_buffer", shuffle_buffer)
    if shuffle:
        dataset = dataset.shuffle(
            shuffle_buffer, seed=seed, reshuffle_each_iteration=True
        )
    if bucket_boundaries:
        boundaries = [int(b) for b in bucket_boundaries]
        if boundaries != sorted(set(boundaries)) or boundaries[0] <= 0:
            raise ValueError(
                "`bucket_boundaries` must be strictly increasing positive ints, got "
                f"{list(bucket_boundaries)!r}."
            )

        def length(*element):
            return word_count(element[0])

        dataset = dataset.bucket_by_sequence_length(
            length,
            bucket_boundaries=boundaries,
            bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
            no_padding=True,
            drop_remainder=drop_remainder,
        )
    else:
        dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.prefetch(tf.data.AUTOTUNE)


def dataset_texts(dataset: tf.data.Dataset, component: int = 0) -> Iterator[str]:
    """Yields the strings of one component of a batched text dataset, decoded.

    Handy for `Vocabulary.build(dataset_texts(train))`.

    Args:
        dataset: batched elements `(texts, ...)` or plain batches of texts.
        component: which tuple component holds the texts.
    """
    for element in dataset:
        texts = element[component] if isinstance(element, tuple) else element
        for text in texts.numpy().reshape(-1):
            yield text.decode("utf-8")
