"""One entry point that picks a text loader by name."""

import functools

from keras_rnn_kit.data.delimited_text import load_delimited_text
from keras_rnn_kit.data.parallel_corpus import load_parallel_files
from keras_rnn_kit.data.parallel_corpus import load_parallel_tsv
from keras_rnn_kit.data.review_folders import load_review_folders
from keras_rnn_kit.data.tfds_text import load_tfds_text

TEXT_LOADERS = {
    "imdb_reviews": functools.partial(
        load_tfds_text, "imdb_reviews", text_keys="text", label_key="label"
    ),
    "yelp_polarity_reviews": functools.partial(
        load_tfds_text, "yelp_polarity_reviews", text_keys="text", label_key="label"
    ),
    "wmt19_translate/zh-en": functools.partial(
        load_tfds_text, "wmt19_translate/zh-en", text_keys=("zh", "en")
    ),
    "tfds": load_tfds_text,
    "aclimdb": load_review_folders,
    "csv": functools.partial(load_delimited_text, file_format="csv"),
    "tsv": functools.partial(load_delimited_text, file_format="tsv"),
    "jsonl": functools.partial(load_delimited_text, file_format="jsonl"),
    "parallel_tsv": load_parallel_tsv,
    "parallel_files": load_parallel_files,
}


def load_text_dataset(name: str, *args, **kwargs):
    """Calls the loader registered under `name` with the remaining arguments.

    Args:
        name: one of `TEXT_LOADERS`: `"imdb_reviews"` and `"yelp_polarity_reviews"`
            (tfds; pass `split`), `"tfds"` (any tfds name, see `load_tfds_text`),
            `"aclimdb"` (a local aclImdb folder), `"csv"`, `"tsv"`, `"jsonl"`
            (labelled text files), `"parallel_tsv"`, `"parallel_files"` (pairs).
        *args, **kwargs: passed to the loader.

    Returns:
        The loader's batched `tf.data.Dataset`.

    Example:

    ```python
    train = load_text_dataset("imdb_reviews", split="train")
    local = load_text_dataset("csv", "reviews.csv", "text", "label")
    ```
    """
    if name not in TEXT_LOADERS:
        raise ValueError(
            f"Unknown text loader {name!r}; accepted: {', '.join(TEXT_LOADERS)}."
        )
    return TEXT_LOADERS[name](*args, **kwargs)
