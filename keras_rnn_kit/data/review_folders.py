"""Sentiment reviews stored one per file in `pos/` and `neg/` folders (aclImdb)."""

import os
from collections.abc import Sequence

import tensorflow as tf

from keras_rnn_kit.data.text_pipeline import DEFAULT_BUCKET_BOUNDARIES
from keras_rnn_kit.data.text_pipeline import batch_text_dataset

CLASS_FOLDERS = ("neg", "pos")


def list_review_files(root: str, split: str = "train") -> tuple[list[str], list[int]]:
    """Lists `root/split/neg/*.txt` (label 0) and `root/split/pos/*.txt` (label 1).

    Args:
        root: the `aclImdb` folder (it holds `train/` and `test/`).
        split: the sub-folder, `"train"` or `"test"`.

    Returns:
        `(paths, labels)`, sorted by path within each class.

    Raises:
        FileNotFoundError: naming the missing folder.
        ValueError: naming the folder, if a class folder holds no `.txt` file.
    """
    paths, labels = [], []
    for label, folder in enumerate(CLASS_FOLDERS):
        directory = os.path.join(root, split, folder)
        if not os.path.isdir(directory):
            raise FileNotFoundError(
                f"Review folder not found: {directory!r} (expected "
                f"{os.path.join(root, split)}/{{neg,pos}}/*.txt, the aclImdb layout)."
            )
        names = sorted(n for n in os.listdir(directory) if n.endswith(".txt"))
        if not names:
            raise ValueError(f"Review folder {directory!r} holds no .txt files.")
        paths += [os.path.join(directory, name) for name in names]
        labels += [label] * len(names)
    return paths, labels


def load_review_folders(
    root: str,
    split: str = "train",
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int = 0,
    bucket_boundaries: Sequence[int] | None = DEFAULT_BUCKET_BOUNDARIES,
) -> tf.data.Dataset:
    """Loads an aclImdb-style folder as batches of `(texts, labels)`.

    Files are read lazily by the pipeline; `<br />` line breaks in the reviews are
    left to the tokenizer (its punctuation stripping turns them into `br`).

    Args:
        root: the folder that holds `train/` and `test/`.
        split: `"train"` or `"test"` (any sub-folder with `neg/` and `pos/`).
        batch_size, shuffle, seed, bucket_boundaries: see `batch_text_dataset`.

    Returns:
        A `tf.data.Dataset` of `(texts (batch,) tf.string, labels (batch,) int32)`.

    Example:

    ```python
    train = load_review_folders("aclImdb", "train", batch_size=64)
    ```
    """
    paths, labels = list_review_files(root, split)
    dataset = tf.data.Dataset.from_tensor_slices(
        (tf.constant(paths), tf.constant(labels, tf.int32))
    )
    if shuffle:
        dataset = dataset.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.map(
        lambda path, label: (tf.io.read_file(path), label),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return batch_text_dataset(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        bucket_boundaries=bucket_boundaries,
    )
