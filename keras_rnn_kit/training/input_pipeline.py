"""Turns numpy tuples or unbatched `tf.data` datasets into global-batch datasets.

`fit` under a `tf.distribute` strategy splits each batch it receives across the
replicas (and, with several workers, shards batches across workers), so the dataset
handed to `fit` carries the *global* batch. This module batches it, optionally
reshuffles it in an order fixed by `(seed, epoch)` so that a resumed run sees the
same batches as an uninterrupted one, and refuses data that yields no batch.
"""

import numpy as np
import tensorflow as tf


def _flatten(structure):
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in _flatten(structure[key])]
    if isinstance(structure, list | tuple):
        return [leaf for item in structure for leaf in _flatten(item)]
    return [structure]


def _as_array(component):
    """A plain list of values (e.g. texts or labels) is one array, not a structure."""
    if isinstance(component, list) and not any(
        isinstance(item, list | tuple | dict | np.ndarray) for item in component
    ):
        return np.asarray(component)
    return component


def _from_arrays(data, name: str) -> tuple[tf.data.Dataset, int]:
    if not isinstance(data, tuple | list) or len(data) not in (2, 3):
        raise ValueError(
            f"`{name}` must be a tf.data.Dataset of single examples or a tuple "
            f"(x, y) / (x, y, sample_weight) of arrays; got {type(data).__name__}"
            f"{f' of length {len(data)}' if isinstance(data, tuple | list) else ''}."
        )
    data = tuple(_as_array(component) for component in data)
    leaves = _flatten(data)
    lengths = {len(np.asarray(leaf)) for leaf in leaves if leaf is not None}
    if len(lengths) > 1:
        raise ValueError(
            f"Every array in `{name}` must have the same number of examples (first "
            f"dimension); got lengths {sorted(lengths)}."
        )
    count = lengths.pop() if lengths else 0
    if count == 0:
        raise ValueError(f"`{name}` holds zero examples, so it yields zero batches.")
    dataset = tf.data.Dataset.from_tensor_slices(data)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA
    )
    return dataset.with_options(options), count


def _count(dataset: tf.data.Dataset, name: str) -> int | None:
    cardinality = int(dataset.cardinality())
    if cardinality == tf.data.INFINITE_CARDINALITY:
        raise ValueError(
            f"`{name}` is infinite (e.g. ends in `.repeat()`); pass a finite dataset "
            "of single examples, `train` repeats it once per epoch."
        )
    if cardinality == tf.data.UNKNOWN_CARDINALITY:
        for _ in dataset.take(1):
            return None
        cardinality = 0
    if cardinality == 0:
        raise ValueError(f"`{name}` is an empty dataset, so it yields zero batches.")
    return cardinality


def _batch(dataset: tf.data.Dataset, batch_size: int, drop_remainder: bool):
    shapes = tf.nest.flatten(
        tf.nest.map_structure(lambda spec: spec.shape, dataset.element_spec)
    )
    if all(shape.is_fully_defined() for shape in shapes):
        return dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.padded_batch(batch_size, drop_remainder=drop_remainder)


def make_dataset(
    data,
    global_batch_size: int,
    name: str = "train_data",
    drop_remainder: bool = False,
    shuffle_seed: int | None = None,
    epochs: tuple[int, int] | None = None,
) -> tuple[tf.data.Dataset, int | None]:
    """Batches `data` by the global batch size.

    Args:
        data: a `tf.data.Dataset` whose elements are single examples `(x, y)` or
            `(x, y, sample_weight)` (variable-length leaves are zero-padded per
            batch), or a tuple of numpy arrays / dicts of arrays of that layout.
        global_batch_size: examples per step summed over all replicas.
        name: the argument name used in error messages.
        drop_remainder: drop the last, smaller batch of each epoch.
        shuffle_seed: if set (arrays only), examples are reshuffled every epoch in
            an order that depends only on `(shuffle_seed, epoch)`.
        epochs: `(first, last)`: with `shuffle_seed`, the stream covers these
            epochs (`first` > 0 when a run resumes) back to back.

    Returns:
        `(dataset, batches_per_epoch)`; `batches_per_epoch` is `None` when the
        dataset's length is unknown (then `fit` finds each epoch's end itself).

    Raises:
        ValueError: for a layout it cannot batch, arrays of different lengths,
            data that yields zero batches, or `shuffle_seed` with a dataset.

    Example:

    >>> import numpy as np
    >>> ds, steps = make_dataset((np.zeros((10, 3)), np.zeros((10, 1))), 4)
    >>> steps, ds.element_spec[0].shape
    (3, TensorShape([None, 3]))
    """
    if isinstance(data, tf.data.Dataset):
        dataset, count = data, _count(data, name)
    else:
        dataset, count = _from_arrays(data, name)
    if count is not None and drop_remainder and count < global_batch_size:
        raise ValueError(
            f"`{name}` has {count} examples, fewer than global_batch_size="
            f"{global_batch_size} with drop_remainder=True, so it yields zero batches."
        )
    steps = None
    if count is not None:
        steps = count // global_batch_size
        steps += 0 if drop_remainder or count % global_batch_size == 0 else 1
    if shuffle_seed is None:
        return _batch(dataset, global_batch_size, drop_remainder), steps
    if isinstance(data, tf.data.Dataset) or epochs is None:
        raise ValueError(
            f"`shuffle_seed` reshuffles in-memory arrays and needs the epoch range; "
            f"`{name}` is a tf.data.Dataset, so shuffle it yourself (with a fixed "
            "seed, for reproducible resumption) and pass shuffle_seed=None."
        )
    return _shuffled_stream(
        data, count, global_batch_size, drop_remainder, shuffle_seed, epochs
    ), steps


def _shuffled_stream(data, count, batch_size, drop_remainder, shuffle_seed, epochs):
    """Epochs `epochs[0]..epochs[1] - 1` back to back, each in the order of a
    stateless permutation seeded by `(shuffle_seed, epoch)`: it depends on nothing
    else (not the global TF seed, not how often the dataset was iterated)."""
    tensors = tf.nest.map_structure(tf.convert_to_tensor, tuple(data))

    def epoch_order(epoch):
        seed = tf.stack([tf.constant(shuffle_seed, tf.int64), epoch])
        order = tf.random.experimental.stateless_shuffle(
            tf.range(count, dtype=tf.int64), seed=seed
        )
        return tf.data.Dataset.from_tensor_slices(order).batch(
            batch_size, drop_remainder=drop_remainder
        )

    def gather(indices):
        return tf.nest.map_structure(lambda t: tf.gather(t, indices), tensors)

    first, last = epochs
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA
    )
    stream = tf.data.Dataset.range(first, last).flat_map(epoch_order).map(gather)
    return stream.with_options(options)
