"""Text datasets from the tensorflow-datasets catalog as batched `tf.data` pipelines."""

from collections.abc import Sequence

import tensorflow as tf

from keras_rnn_kit.data.text_pipeline import DEFAULT_BUCKET_BOUNDARIES
from keras_rnn_kit.data.text_pipeline import batch_text_dataset


def load_tfds_text(
    name: str,
    split: str,
    text_keys: str | Sequence[str],
    label_key: str | None = None,
    data_dir: str | None = None,
    download: bool = True,
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int = 0,
    bucket_boundaries: Sequence[int] | None = DEFAULT_BUCKET_BOUNDARIES,
) -> tf.data.Dataset:
    """Loads a tfds text dataset as batches of raw strings (and labels).

    Args:
        name: tfds name, e.g. `"imdb_reviews"` or `"wmt19_translate/zh-en"`.
        split: tfds split, e.g. `"train"` or `"test[:10%]"`.
        text_keys: the feature holding the text (a str), or several features
            (e.g. `("zh", "en")` for a parallel corpus).
        label_key: the feature holding an integer label, or None.
        data_dir: where tfds keeps its data (default `~/tensorflow_datasets`).
        download: bool, let tfds download and prepare the data if missing.
        batch_size, shuffle, seed, bucket_boundaries: see `batch_text_dataset`.

    Returns:
        A `tf.data.Dataset` of `(texts, labels)`, `texts`, `(source, target)` or
        `(source, target, labels)`; every component has shape `(batch,)`.

    Example:

    ```python
    pairs = load_tfds_text("wmt19_translate/zh-en", "train", ("zh", "en"))
    reviews = load_tfds_text("imdb_reviews", "train", "text", "label")
    ```
    """
    import tensorflow_datasets as tfds

    keys = (text_keys,) if isinstance(text_keys, str) else tuple(text_keys)
    if not keys or not all(isinstance(k, str) for k in keys):
        raise ValueError(
            f"`text_keys` must be a feature name or a sequence of them, got "
            f"{text_keys!r}."
        )
    builder = tfds.builder(name, data_dir=data_dir)
    features = builder.info.features
    for key in keys + ((label_key,) if label_key is not None else ()):
        if key not in features:
            raise ValueError(
                f"tfds dataset {name!r} has no feature {key!r}; its features are "
                f"{sorted(features.keys())}."
            )
    if download:
        builder.download_and_prepare()
    dataset = builder.as_dataset(split=split, shuffle_files=shuffle)

    def select(example):
        texts = tuple(example[k] for k in keys)
        if label_key is not None:
            return (*texts, tf.cast(example[label_key], tf.int32))
        return texts if len(texts) > 1 else texts[0]

    dataset = dataset.map(select, num_parallel_calls=tf.data.AUTOTUNE)
    return batch_text_dataset(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        bucket_boundaries=bucket_boundaries,
    )
