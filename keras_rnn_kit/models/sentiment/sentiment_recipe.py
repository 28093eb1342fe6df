"""The sentiment recipe: one set of defaults for every entry point.

`rnnkit train sentiment`, the sentiment example and the README train through
`SentimentRecipe`: the data (generated reviews, a user's labelled CSV/TSV/JSONL
file, an aclImdb folder or a tensorflow-datasets name), a `sequence_length`
chosen from the training texts, a bidirectional LSTM classifier and its
`compile()` defaults.

A user's file is split seeded, shuffled and stratified by label
(`keras_rnn_kit.data.splits`), each distinct text once (repeated texts would
land on both sides); its degenerate cases (one class, too few of one, sorted
labels, test texts that are training texts) are named, and the notes report the
class balance and what the chosen sequence length truncates.

Example:

>>> recipe = SentimentRecipe()
>>> prepared = recipe.load(None, tiny=True)
>>> prepared.sequence_length, len(prepared.train_texts), len(prepared.test[0])
(16, 204, 52)
>>> model = recipe.build(prepared, tiny=True)
>>> model.fit(*prepared.train, epochs=1, verbose=0).history["loss"][0] > 0
True
"""

import dataclasses
import math
import os
from typing import ClassVar

import numpy as np

from keras_rnn_kit.data.delimited_text import FORMATS
from keras_rnn_kit.data.delimited_text import read_labelled_text
from keras_rnn_kit.data.generated_reviews import generate_reviews
from keras_rnn_kit.data.length_coverage import length_notes
from keras_rnn_kit.data.length_coverage import token_counts
from keras_rnn_kit.data.length_coverage import tokenized_batches
from keras_rnn_kit.data.review_folders import load_review_folders
from keras_rnn_kit.data.splits import distinct_texts
from keras_rnn_kit.data.splits import split_indices
from keras_rnn_kit.data.text_tokenizer import TextTokenizer
from keras_rnn_kit.data.tfds_text import load_tfds_text
from keras_rnn_kit.models.recipe import USER_FILE_OPTIONS
from keras_rnn_kit.models.recipe import PreparedData
from keras_rnn_kit.models.recipe import Recipe
from keras_rnn_kit.models.recipe import held_out_fraction
from keras_rnn_kit.models.recipe import refuse_test_data
from keras_rnn_kit.models.sentiment.sentiment_backbone import SentimentBackbone
from keras_rnn_kit.models.sentiment.sentiment_classifier import SentimentClassifier
from keras_rnn_kit.models.sentiment.sentiment_preprocessor import SentimentPreprocessor
from keras_rnn_kit.utils.validation import check_positive_int

CLASS_NAMES = ("negative", "positive")


@dataclasses.dataclass
class SentimentData(PreparedData):
    """`PreparedData` for sentiment.

    Attributes:
        train_texts: the training texts (the vocabulary is built from them).
        sequence_length: tokens per text, chosen from the data or given.
    """

    train_texts: list = dataclasses.field(default_factory=list)
    sequence_length: int = 0
    bigram_buckets: int = 0


@dataclasses.dataclass(frozen=True)
class SentimentRecipe(Recipe):
    """Sentiment classification: texts -> `SentimentClassifier`.

    Attributes:
        embedding_dim, units: the `SentimentBackbone`'s sizes (a one-layer
            bidirectional LSTM).
        bigram_buckets: the most rows of the backbone's token-pair embedding;
            a run takes twice the distinct token pairs of its training texts
            (as a power of two), up to this.
        pooling, dropout: the backbone's pooling, and the dropout on its
            embeddings and before the classifier's output layer.
        test_fraction: the share of a `--data` file held out without
            `--test-data` or `--validation-split`.
        length_coverage: `sequence_length` from the data covers this share of
            the training texts, within `[min_sequence_length,
            max_sequence_length]` (`tiny_max_sequence_length` with `tiny`).
        generated_reviews: reviews generated without `--data` (`tiny`: 256).
    """

    name: ClassVar[str] = "sentiment"
    data_help: ClassVar[str] = (
        "an aclImdb folder, a CSV/TSV/JSONL file with `text` and `label` "
        "columns, or a tfds name (default: generated reviews)"
    )
    data_options: ClassVar[tuple[str, ...]] = USER_FILE_OPTIONS

    epochs: int = 2
    min_steps: int = 200
    embedding_dim: int = 32
    units: int = 32
    bigram_buckets: int = 16384
    pooling: str = "max_mean"
    dropout: float = 0.5
    test_fraction: float = 0.2
    length_coverage: float = 0.95
    min_sequence_length: int = 8
    max_sequence_length: int = 512
    tiny_max_sequence_length: int = 16
    generated_reviews: int = 4000

    def load(
        self,
        data,
        tiny=False,
        seed=0,
        test_data=None,
        validation_split=None,
        sequence_length=None,
    ) -> SentimentData:
        fraction = held_out_fraction(validation_split, self.test_fraction)
        notes = []
        if data is None:
            refuse_test_data(test_data, "the generated reviews")
            texts, labels = generate_reviews(
                256 if tiny else self.generated_reviews, seed=seed
            )
            cut = int((1 - fraction) * len(texts))
            train_texts, train_labels = texts[:cut], labels[:cut]
            test = (texts[cut:], labels[cut:])
            source, train = "generated reviews", (np.array(train_texts), train_labels)
        elif os.path.isfile(data):
            (train_texts, train_labels), test, notes = _review_file_splits(
                data, test_data, fraction, seed
            )
            source, train = repr(data), (np.array(train_texts), train_labels)
            if test_data is not None:
                source += f", tested on {test_data!r}"
        else:
            if test_data is not None or validation_split is not None:
                raise ValueError(
                    "`--test-data` and `--validation-split` apply to a CSV/TSV/JSONL "
                    f"`--data` file; {data!r} brings its own train and test splits."
                )
            train_batches, test_batches = _review_sets(data)
            train = train_batches.unbatch()
            train_texts, train_labels = _texts_and_labels(train_batches)
            test = _texts_and_labels(test_batches)
            source = f"{data!r} (aclImdb folder or tfds name)"
        tokenizer = TextTokenizer()  # the one `SentimentPreprocessor` uses
        train_counts, pairs = token_statistics(tokenizer, train_texts)
        length, coverage = self._sequence_length(
            train_counts, token_counts(tokenizer, test[0]), tiny, sequence_length
        )
        cap = 64 if tiny else self.bigram_buckets
        buckets = min(cap, 2 ** math.ceil(math.log2(2 * pairs + 2)))
        coverage.append(
            f"bigram embedding: {buckets:,} rows for {pairs:,} distinct token pairs"
        )
        description = (
            f"{source}: {len(train_texts):,} training texts "
            f"({class_balance(train_labels)}), {len(test[0]):,} test"
        )
        if test_data is not None:
            description += f" ({class_balance(test[1])})"
        return SentimentData(
            description,
            train,
            test,
            notes + coverage,
            list(train_texts),
            length,
            buckets,
        )

    def _sequence_length(self, train_counts, test_counts, tiny, sequence_length):
        """`(sequence_length, notes)` from the tokens per training and test text:
        `sequence_length`, else the count that covers `length_coverage` of the
        training texts, within bounds."""
        wanted = int(
            np.quantile(train_counts, self.length_coverage, method="inverted_cdf")
        )
        if sequence_length is not None:
            length = check_positive_int("sequence_length", sequence_length)
            setting = f"sequence_length {length} (--sequence-length)"
        else:
            cap = self.tiny_max_sequence_length if tiny else self.max_sequence_length
            length = min(max(wanted, self.min_sequence_length), cap)
            setting = f"sequence_length {length}"
            if wanted > cap:
                setting += f" (the {'--tiny ' if tiny else ''}cap)"
        return length, length_notes(
            setting,
            train_counts <= length,
            test_counts <= length,
            "texts",
            "test",
            f"pass --sequence-length {wanted} to cover "
            f"{self.length_coverage:.0%} of them",
        )

    def build(self, prepared, tiny=False, epochs=None, batch_size=None):
        preprocessor = SentimentPreprocessor.from_texts(
            prepared.train_texts,
            sequence_length=prepared.sequence_length,
            overflow="truncate",
        )
        backbone = SentimentBackbone(
            len(preprocessor.vocabulary),
            8 if tiny else self.embedding_dim,
            units=8 if tiny else self.units,
            num_layers=1,
            pooling=self.pooling,
            dropout=self.dropout,
            bigram_buckets=prepared.bigram_buckets,
        )
        model = SentimentClassifier(
            backbone,
            preprocessor=preprocessor,
            class_names=list(CLASS_NAMES),
            dropout=self.dropout,
        )
        model.compile()
        return model

    def evaluate(self, model, test):
        texts, labels = test
        predicted = model.predict_text(list(texts)).label_ids
        return {"accuracy": float(np.mean(predicted == np.asarray(labels)))}

    def predict(self, model, inputs, options):
        prediction = model.predict_text(list(inputs))
        return [
            f"{label}\t{probabilities.max():.3f}\t{text}"
            for text, label, probabilities in zip(
                inputs, prediction.labels, prediction.probabilities, strict=True
            )
        ]


def token_statistics(tokenizer, texts) -> tuple[np.ndarray, int]:
    """`(tokens per text, distinct (token, next token) pairs)` of `texts`, in one
    tokenizing pass (`tokenizer` is the one `SentimentPreprocessor` uses)."""
    counts, pairs = [], set()
    for tokens in tokenized_batches(tokenizer, texts):
        counts.append(tokens.row_lengths().numpy())
        for row in tokens.to_list():
            pairs.update(zip(row, row[1:], strict=False))
    return (np.concatenate(counts) if counts else np.zeros(0, "int64")), len(pairs)


def class_balance(labels) -> str:
    """`"negative 51.2%, positive 48.8%"`."""
    counts = np.bincount(labels, minlength=len(CLASS_NAMES))
    return ", ".join(
        f"{name} {count / max(len(labels), 1):.1%}"
        for name, count in zip(CLASS_NAMES, counts, strict=True)
    )


def _names_a_file(data):
    """Whether `--data` is meant as a path rather than a tfds name (which has no
    leading `/`, `.` or `~` and no file extension)."""
    extension = os.path.splitext(data)[1].lower()
    return data.startswith(("/", ".", "~")) or extension in (*FORMATS, ".txt")


def _review_sets(data):
    """The batched train and test sets of an aclImdb folder or a tfds name."""
    if os.path.isdir(data):
        return tuple(load_review_folders(data, s) for s in ("train", "test"))
    if _names_a_file(data):
        raise FileNotFoundError(
            f"`--data` names a file or folder that does not exist: {data!r}. "
            "Give an existing CSV/TSV/JSONL file, an aclImdb folder, or a "
            "tensorflow-datasets name such as imdb_reviews."
        )
    return tuple(
        load_tfds_text(data, s, text_keys="text", label_key="label")
        for s in ("train", "test")
    )


def _texts_and_labels(batches):
    """`(texts, int32 labels)` of a batched `(texts, labels)` set, in one pass."""
    texts, labels = [], []
    for text, label in batches:
        texts += [t.decode("utf-8") for t in text.numpy().reshape(-1)]
        labels.append(label.numpy().reshape(-1))
    return texts, np.concatenate(labels).astype("int32")


def _review_file_splits(data, test_data, fraction, seed):
    """`(train, test, notes)` of a labelled file: a seeded, shuffled, stratified
    split, or all of it (shuffled) for training when `test_data` is given."""
    texts, labels = _read_reviews(data, "--data")
    notes = []
    if test_data is None:
        # Every copy of a text on one side of the split (see `distinct_texts`).
        rows, repeats, conflicting = distinct_texts(texts, labels)
        if repeats or conflicting:
            notes.append(_distinct_note(data, repeats, conflicting, len(rows)))
            texts, labels = [texts[i] for i in rows], labels[rows]
    counts = np.bincount(labels, minlength=len(CLASS_NAMES))
    if np.count_nonzero(counts) < len(CLASS_NAMES):
        present, missing = (int(c) for c in np.argsort(-counts))
        raise ValueError(
            f"`--data` {data!r} holds only {CLASS_NAMES[present]} texts (label "
            f"{present}, {counts[present]:,} rows): a classifier needs both classes "
            f"to learn. Add {CLASS_NAMES[missing]} rows (label {missing}), or "
            "check that the `label` column is the one you meant."
        )
    if test_data is None:
        if counts.min() < 2:
            scarce = int(np.argmin(counts))
            raise ValueError(
                f"`--data` {data!r} has only 1 {CLASS_NAMES[scarce]} text "
                f"(label {scarce}): the stratified split needs at least 2 of each "
                "class, one to train on and one to test on. Add "
                f"{CLASS_NAMES[scarce]} rows, or pass --test-data FILE."
            )
        train, held = split_indices(labels, fraction, seed)
        test = ([texts[i] for i in held], labels[held])
        handled = (
            "the split is shuffled and stratified, so both splits hold both classes"
        )
    else:
        train = np.random.default_rng(seed).permutation(len(texts))
        test = _read_reviews(test_data, "--test-data")
        handled = "training reads it shuffled"
        known = set(texts)
        seen = sum(text in known for text in test[0])
        if seen:
            notes.append(
                f"note: {seen:,} of the {len(test[0]):,} `--test-data` texts "
                f"({seen / len(test[0]):.1%}) are also in `--data`: the test "
                "accuracy partly measures recall of training texts"
            )
    if np.count_nonzero(np.diff(labels)) == 1:
        first, last = (CLASS_NAMES[labels[i]] for i in (0, -1))
        notes.append(
            f"note: {data!r} is sorted by label (all {first}, then all {last}); "
            f"{handled}"
        )
    return ([texts[i] for i in train], labels[train]), test, notes


def _distinct_note(data, repeats, conflicting, kept):
    """The note saying which rows of `data` `distinct_texts` left out."""
    parts = []
    if repeats:
        rows = "1 row that repeats" if repeats == 1 else f"{repeats:,} rows that repeat"
        parts.append(f"{rows} another row's text")
    if conflicting:
        texts = "text" if conflicting == 1 else "texts"
        parts.append(f"the {conflicting:,} {texts} labelled both negative and positive")
    return (
        f"note: {data!r}: left out {' and '.join(parts)}, so that no test text is "
        f"also a training text; {kept:,} distinct texts remain"
    )


def _read_reviews(path, flag):
    """`(texts, int32 labels)` of a CSV/TSV/JSONL file with labels 0 and 1."""
    texts, labels = read_labelled_text(path, "text", "label")
    if not texts:
        raise ValueError(
            f"`{flag}` {path!r} holds no rows; it needs `text` and `label` columns."
        )
    labels = np.asarray(labels, "int32")
    unknown = sorted(set(labels.tolist()) - set(range(len(CLASS_NAMES))))
    if unknown:
        raise ValueError(
            f"`{flag}` {path!r} has label {unknown[0]}: sentiment labels are 0 "
            "(negative) and 1 (positive). Map your classes to 0 and 1."
        )
    return texts, labels
