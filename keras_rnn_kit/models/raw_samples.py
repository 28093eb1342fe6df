"""Raw samples (strings, images, encoded image bytes) -> batches a task trains on.

`Task.fit`, `evaluate` and `predict` use these to take raw inputs the keras-hub
way: the samples are sliced into a `tf.data.Dataset`, shuffled (for `fit`),
batched, and each batch goes through the task's `preprocess_samples` inside the
pipeline, so nothing is preprocessed twice and large inputs stream.
"""

import numpy as np
import tensorflow as tf

from keras_rnn_kit.utils.validation import check_positive_int

DEFAULT_BATCH_SIZE = 32


def holds_model_inputs(x, input_names: set) -> bool:
    """Whether `x` (or a dataset's first element component) already holds every
    named model input, i.e. needs no preprocessing."""
    if isinstance(x, tf.data.Dataset):
        spec = x.element_spec
        x = spec[0] if isinstance(spec, tuple) else spec
    return isinstance(x, dict) and input_names <= set(x)


def sample_count(name: str, value) -> int:
    """The number of samples (leading axis) of `value` or of each leaf of a dict,
    raising `ValueError` naming `name` when the leaves disagree."""
    leaves = value.items() if isinstance(value, dict) else [(None, value)]
    counts = {}
    for key, leaf in leaves:
        shape = getattr(leaf, "shape", None)
        if shape is None:
            shape = np.shape(np.asarray(leaf, dtype=object))
        if len(shape) == 0:
            label = name if key is None else f"{name}[{key!r}]"
            raise ValueError(
                f"`{label}` must hold one entry per sample (a leading batch axis), "
                f"got a scalar {leaf!r}."
            )
        counts[key] = int(shape[0])
    if len(set(counts.values())) > 1:
        raise ValueError(
            f"Every entry of `{name}` must hold the same number of samples, got "
            f"{counts}."
        )
    return next(iter(counts.values()))


def raw_batches(
    preprocess,
    x,
    y=None,
    sample_weight=None,
    batch_size=None,
    shuffle=False,
) -> tf.data.Dataset:
    """Raw samples -> a prefetched dataset of `preprocess(*batch)` results.

    Args:
        preprocess: called in the pipeline on each batch as `preprocess(x)`,
            `preprocess(x, y)` or `preprocess(x, y, sample_weight)`.
        x: raw inputs (a list / numpy array / tensor, or a dict of them, one
            entry per sample), or a batched `tf.data.Dataset` of raw elements.
        y: optional labels, one per sample (None with a dataset).
        sample_weight: optional weights, one per sample (needs `y`).
        batch_size: int > 0, default 32 (ignored for a dataset).
        shuffle: bool, reshuffle the samples every epoch.

    Returns:
        A `tf.data.Dataset`.
    """
    if isinstance(x, tf.data.Dataset):
        if y is not None or sample_weight is not None:
            raise ValueError(
                "`y` and `sample_weight` must be None when `x` is a tf.data.Dataset "
                "(its elements carry them), got "
                f"y={type(y).__name__}, sample_weight={type(sample_weight).__name__}."
            )
        return x.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE).prefetch(
            tf.data.AUTOTUNE
        )
    batch_size = check_positive_int(
        "batch_size", DEFAULT_BATCH_SIZE if batch_size is None else batch_size
    )
    if sample_weight is not None and y is None:
        raise ValueError("`sample_weight` needs `y` (one label per sample).")
    count = sample_count("x", x)
    if count == 0:
        raise ValueError("`x` must hold at least one sample, got 0.")
    parts = [x]
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if value is None:
            continue
        if sample_count(name, value) != count:
            raise ValueError(
                f"`x` and `{name}` must hold the same number of samples, got "
                f"{count} and {sample_count(name, value)}."
            )
        parts.append(value)
    dataset = tf.data.Dataset.from_tensor_slices(tuple(parts))
    if shuffle:
        dataset = dataset.shuffle(count, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    return dataset.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE).prefetch(
        tf.data.AUTOTUNE
    )


def scale_token_weights(weights, sample_weight=None):
    """Per-token weights `(batch, time)` times optional per-sample weights
    `(batch,)`: a sequence task's loss weights for raw samples."""
    if sample_weight is None:
        return weights
    return weights * tf.cast(sample_weight, weights.dtype)[:, None]


def validation_parts(validation_data) -> tuple:
    """Splits `fit`'s `validation_data` tuple into `(x, y, sample_weight)`."""
    if not isinstance(validation_data, tuple | list) or len(validation_data) not in (
        2,
        3,
    ):
        got = type(validation_data).__name__
        if isinstance(validation_data, tuple | list):
            got += f" of length {len(validation_data)}"
        raise ValueError(
            "`validation_data` must be a tf.data.Dataset, a pair (x, y) or a "
            f"triple (x, y, sample_weight), got a {got}."
        )
    x, y, *rest = validation_data
    return x, y, rest[0] if rest else None
