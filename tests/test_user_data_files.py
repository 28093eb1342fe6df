"""`rnnkit train/evaluate` on a user's own files (issue 12): seeded, shuffled and
stratified splits, `--test-data`, `--validation-split`, the sequence length chosen
from the data, and the degenerate files each get a line naming the problem.

The splits themselves are tested in tests/data/test_splits.py; here the loaders
(fast) and a few in-process `--tiny` CLI runs (slow).
"""

import contextlib
import csv
import dataclasses
import io
import json
import os
import random

import numpy as np
import pytest

from keras_rnn_kit.applications import get_application
from keras_rnn_kit.cli import main
from keras_rnn_kit.data.length_coverage import token_counts
from keras_rnn_kit.data.number_translation import number_to_chinese
from keras_rnn_kit.data.number_translation import number_to_english
from keras_rnn_kit.data.text_tokenizer import TextTokenizer
from keras_rnn_kit.models.sentiment.sentiment_recipe import token_statistics

SENTIMENT = get_application("sentiment")
TRANSLATION = get_application("translation")

FILLER = "the food service place night table staff movie plot we it was and".split()


def reviews(count, seed=0, length=(3, 8)):
    """`count` rows per class, sorted by label: negatives hold "bad", positives
    "good", among `length` filler words."""
    rng = random.Random(seed)
    rows = []
    for label, word in ((0, "bad"), (1, "good")):
        for _ in range(count):
            words = rng.choices(FILLER, k=rng.randint(*length))
            words.insert(rng.randrange(len(words) + 1), word)
            rows.append((" ".join(words), label))
    return rows


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return str(path)


def run_cli(argv, status=0):
    """`main(argv)` in-process; returns `(stdout, stderr)`."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        got = main(argv)
    assert got == status, f"rnnkit {' '.join(argv)} -> {got}:\n{err.getvalue()}"
    return out.getvalue(), err.getvalue()


def metrics_of(out):
    with open(os.path.join(out, "metrics.json"), encoding="utf-8") as f:
        return json.load(f)


def evaluate_lines(stdout):
    return dict(line.split(": ") for line in stdout.splitlines()[:-1])


# --- loaders (fast) -----------------------------------------------------------


def test_a_sorted_file_is_split_stratified_and_named(tmp_path):
    path = write_csv(tmp_path / "sorted.csv", reviews(50))
    task = SENTIMENT.load(path, tiny=True, seed=0)
    texts, labels = task.test
    assert labels.tolist().count(0) == labels.tolist().count(1) == 10
    assert task.train[1].tolist().count(0) == 40
    assert "80 training texts (negative 50.0%, positive 50.0%), 20 test" in (
        task.description
    )
    assert task.notes[0] == (
        f"note: {path!r} is sorted by label (all negative, then all positive); "
        "the split is shuffled and stratified, so both splits hold both classes"
    )
    # Training order is shuffled too: the first 20 are not all one class.
    assert 0 < task.train[1][:20].mean() < 1


def test_the_split_depends_on_the_seed_and_validation_split(tmp_path):
    path = write_csv(tmp_path / "sorted.csv", reviews(50))
    first = SENTIMENT.load(path, tiny=True, seed=0)
    again = SENTIMENT.load(path, tiny=True, seed=0)
    other = SENTIMENT.load(path, tiny=True, seed=1)
    assert first.test[0] == again.test[0] and first.test[0] != other.test[0]
    quarter = SENTIMENT.load(path, tiny=True, seed=0, validation_split=0.3)
    assert len(quarter.test[0]) == 30 and len(quarter.train_texts) == 70


def test_a_one_class_file_names_the_file_the_class_and_the_fix(tmp_path):
    path = write_csv(tmp_path / "positive.csv", reviews(20)[20:])
    out = str(tmp_path / "out")
    _, err = run_cli(["train", "sentiment", "--data", path, "--out", out], status=1)
    assert f"`--data` {path!r} holds only positive texts (label 1, 20 rows)" in err
    assert "Add negative rows (label 0)" in err
    assert not os.path.exists(out)


def test_a_class_of_one_example_cannot_be_split(tmp_path):
    rows = reviews(20)[:20] + [("good food", 1)]
    path = write_csv(tmp_path / "one_positive.csv", rows)
    with pytest.raises(ValueError, match="only 1 positive text .* at least 2 of each"):
        SENTIMENT.load(path, tiny=True, seed=0)
    # With a separate test file all 21 rows train.
    test = write_csv(tmp_path / "test.csv", reviews(3))
    task = SENTIMENT.load(path, tiny=True, seed=0, test_data=test)
    assert len(task.train_texts) == 21 and len(task.test[0]) == 6


def test_repeated_texts_never_land_on_both_sides_of_the_split(tmp_path):
    # 40 distinct reviews, each written 3 times, plus one text given both labels.
    rows = reviews(20) * 3 + [("so so", 0), ("so so", 1)]
    random.Random(1).shuffle(rows)
    path = write_csv(tmp_path / "repeats.csv", rows)
    task = SENTIMENT.load(path, tiny=True, seed=0)
    train_texts, test_texts = set(task.train_texts), set(task.test[0])
    assert not train_texts & test_texts
    assert len(task.train_texts) + len(task.test[0]) == 40
    assert "so so" not in train_texts | test_texts
    assert task.notes[0] == (
        f"note: {path!r}: left out 80 rows that repeat another row's text and the "
        "1 text labelled both negative and positive, so that no test text is also "
        "a training text; 40 distinct texts remain"
    )
    # Counts of one read as one; two conflicting texts leave 4 rows out.
    rows = reviews(20) + [reviews(20)[0], ("meh", 0), ("meh", 1), ("ok", 1), ("ok", 0)]
    path = write_csv(tmp_path / "one_repeat.csv", rows)
    assert SENTIMENT.load(path, tiny=True, seed=0).notes[0] == (
        f"note: {path!r}: left out 1 row that repeats another row's text and the "
        "2 texts labelled both negative and positive, so that no test text is also "
        "a training text; 40 distinct texts remain"
    )


def test_test_data_shared_with_training_data_is_named(tmp_path):
    train = write_csv(tmp_path / "train.csv", reviews(20))
    test = write_csv(tmp_path / "test.csv", reviews(20)[:5] + reviews(5, seed=9))
    task = SENTIMENT.load(train, tiny=True, seed=0, test_data=test)
    assert len(task.test[0]) == 15
    assert (
        "note: 5 of the 15 `--test-data` texts (33.3%) are also in `--data`: the "
        "test accuracy partly measures recall of training texts"
    ) in task.notes


def test_labels_other_than_0_and_1_are_refused(tmp_path):
    path = write_csv(tmp_path / "stars.csv", [("good", 1), ("bad", 0), ("ok", 2)])
    with pytest.raises(ValueError, match="has label 2: sentiment labels are 0"):
        SENTIMENT.load(path, tiny=True, seed=0)


def test_sequence_length_covers_95_percent_and_reports_truncation(tmp_path):
    # Training texts of 10..49 tokens: 38 of 40 fit in 47 tokens (95.0%).
    train = [(" ".join(["word"] * n), n % 2) for n in range(10, 50)]
    test = [(" ".join(["term"] * n), n % 2) for n in (5, 20, 47, 48, 60)]
    path = write_csv(tmp_path / "long.csv", train)
    test_path = write_csv(tmp_path / "long_test.csv", test)
    task = SENTIMENT.load(path, tiny=False, seed=0, test_data=test_path)
    assert task.sequence_length == 47
    assert task.notes == [
        "sequence_length 47 covers 95.0% of training texts; 2 of 5 test texts "
        "(40.0%) are truncated",
        # One pair, (word, word): twice that plus room, as a power of two.
        "bigram embedding: 4 rows for 1 distinct token pairs",
    ]
    # --tiny caps it at 16, which cuts most texts: a warning with the fix.
    tiny = SENTIMENT.load(path, tiny=True, seed=0, test_data=test_path)
    assert tiny.sequence_length == 16
    assert tiny.notes == [
        "sequence_length 16 (the --tiny cap) covers 17.5% of training texts; 4 of "
        "5 test texts (80.0%) are truncated",
        "warning: sequence_length 16 (the --tiny cap) cuts most training texts "
        "short (it covers 17.5%); pass --sequence-length 47 to cover 95% of them",
        "bigram embedding: 4 rows for 1 distinct token pairs",
    ]
    given = SENTIMENT.load(
        path, tiny=True, seed=0, test_data=test_path, sequence_length=48
    )
    assert given.sequence_length == 48
    assert given.notes[0].startswith("sequence_length 48 (--sequence-length) covers")


def test_bigram_rows_follow_the_distinct_token_pairs_up_to_the_cap(tmp_path):
    # 30 distinct words in one text: 29 distinct pairs -> 64 rows (>= 2 * 29 + 2).
    words = [f"w{i}" for i in range(30)]
    rows = [(" ".join(words), 1), ("w0 w1", 0), ("w2", 0), ("w3", 1)]
    path = write_csv(tmp_path / "pairs.csv", rows)
    test = write_csv(tmp_path / "pairs_test.csv", rows)
    task = SENTIMENT.load(path, seed=0, test_data=test)
    assert task.bigram_buckets == 64
    assert task.notes[-1] == "bigram embedding: 64 rows for 29 distinct token pairs"
    capped = dataclasses.replace(SENTIMENT, bigram_buckets=32)
    task = capped.load(path, seed=0, test_data=test)
    assert task.bigram_buckets == 32
    assert capped.build(task).backbone.bigram_buckets == 32


def test_token_statistics_count_tokens_and_distinct_pairs_in_one_pass():
    texts = ["good good film", "", "Film good good good", "我爱它"]
    counts, pairs = token_statistics(TextTokenizer(), texts)
    np.testing.assert_array_equal(counts, token_counts(TextTokenizer(), texts))
    # Lower-cased: (good, good), (good, film), (film, good); (我, 爱), (爱, 它).
    assert counts.tolist() == [3, 0, 4, 3]
    assert pairs == 5


def test_generated_reviews_keep_their_split():
    task = SENTIMENT.load(None, tiny=True, seed=0)
    assert task.description.startswith("generated reviews: 204 training texts (")
    assert task.description.endswith("), 52 test")
    assert task.sequence_length == 16


def test_translation_split_is_a_seeded_shuffle(tmp_path):
    path = tmp_path / "pairs.tsv"
    rows = [(number_to_chinese(n), number_to_english(n)) for n in range(40)]
    path.write_text("".join(f"{s}\t{t}\n" for s, t in rows), encoding="utf-8")
    task = TRANSLATION.load(str(path), tiny=True, seed=0)
    again = TRANSLATION.load(str(path), tiny=True, seed=0)
    sources, targets = task.test
    assert sources == again.test[0] and len(sources) == 4
    assert sources != [s for s, _ in rows[-4:]]  # not the file's tail
    assert all(dict(rows)[s] == t for s, t in zip(sources, targets, strict=True))
    assert "36 training pairs, 4 held out" in task.description
    assert task.notes[0].startswith("sequence_length ")


@pytest.mark.slow
def test_translation_test_data_longer_than_training_is_cut_not_refused(tmp_path):
    train, test = tmp_path / "train.tsv", tmp_path / "test.tsv"
    rows = [(number_to_chinese(n), number_to_english(n)) for n in range(1, 10)]
    train.write_text("".join(f"{s}\t{t}\n" for s, t in rows), encoding="utf-8")
    test.write_text("三百二十一\tthree hundred twenty one\n", encoding="utf-8")
    task = TRANSLATION.load(str(train), tiny=True, seed=0, test_data=str(test))
    assert task.test == (["三百二十一"], ["three hundred twenty one"])
    assert "9 training pairs, 1 held out" in task.description
    assert task.notes[0] == (
        "sequence_length 1 source / 1 target tokens (the longest training pair) "
        "covers 100.0% of training pairs; 1 of 1 held-out pairs (100.0%) are "
        "truncated"
    )
    # The untrained translator reads the over-long source without raising.
    model = TRANSLATION.build(task, tiny=True)
    assert len(model.translate(task.test[0])) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["train", "vqa", "--test-data", "t.csv"],
            "`test_data` (--test-data) does "
            "not apply to vqa; only sentiment and translation read it.",
        ),
        (
            ["train", "sentiment", "--test-data", "t.csv"],
            "`--test-data` 't.csv' needs a `--data` file to train on",
        ),
        (
            ["train", "translation", "--validation-split", "1"],
            "`--validation-split` must be a float in (0, 1), got 1.0.",
        ),
        (
            [
                "train",
                "sentiment",
                "--data",
                "imdb_reviews",
                "--validation-split",
                "0.1",
            ],
            "apply to a CSV/TSV/JSONL `--data` file",
        ),
        (
            ["evaluate", "captioning", "m.keras", "--validation-split", "0.5"],
            "`validation_split` (--validation-split) does not apply to captioning",
        ),
    ],
)
def test_split_options_are_checked_before_training(tmp_path, argv, message):
    out = str(tmp_path / "out")
    flags = ["--out", out] if argv[0] == "train" else []
    _, err = run_cli(argv + flags, status=1)
    assert message in " ".join(err.split())
    assert not os.path.exists(out)


# --- end to end (slow) --------------------------------------------------------


@pytest.fixture(scope="module")
def sorted_run(tmp_path_factory):
    """`rnnkit train sentiment --tiny` on a CSV sorted by label, once."""
    root = tmp_path_factory.mktemp("sorted_run")
    path = write_csv(root / "sorted.csv", reviews(100))
    flags = ["--tiny", "--data", path, "--validation-split", "0.25", "--seed", "5"]
    out = str(root / "out")
    stdout, _ = run_cli(
        ["train", "sentiment", *flags, "--out", out, "--epochs", "5"]
        + ["--batch-size", "8"]
    )
    return flags, out, stdout


@pytest.mark.slow
def test_a_csv_sorted_by_label_trains_well_above_chance(sorted_run):
    # Head/tail 80/20 tested on positives only, trained (mostly) on negatives:
    # accuracy 0.0. Stratified and shuffled, it learns "good" versus "bad".
    _, out, stdout = sorted_run
    metrics = metrics_of(out)
    assert metrics["accuracy"] >= 0.8
    assert metrics["data"].endswith(
        "150 training texts (negative 50.0%, positive 50.0%), 50 test"
    )
    lines = stdout.splitlines()
    assert lines[0] == f"sentiment: {metrics['data']}"
    assert "is sorted by label" in lines[1]
    assert lines[2].startswith("sentiment: sequence_length 9 covers 100.0% of")


@pytest.mark.slow
def test_evaluate_with_the_same_flags_reproduces_train_metrics(sorted_run):
    flags, out, _ = sorted_run
    model = os.path.join(out, "sentiment.keras")
    stdout, _ = run_cli(["evaluate", "sentiment", model, *flags])
    assert evaluate_lines(stdout) == {"accuracy": f"{metrics_of(out)['accuracy']:.4f}"}


@pytest.mark.slow
def test_test_data_is_the_test_split_and_long_texts_are_cut(tmp_path):
    train = write_csv(tmp_path / "train.csv", reviews(30))
    # Test texts longer than the --tiny cap (16 tokens): cut, not refused.
    test = write_csv(tmp_path / "test.csv", reviews(5, seed=1, length=(20, 30)))
    out = str(tmp_path / "out")
    flags = ["--tiny", "--data", train, "--test-data", test]
    stdout, _ = run_cli(["train", "sentiment", *flags, "--out", out])
    metrics = metrics_of(out)
    assert metrics["data"] == (
        f"{train!r}, tested on {test!r}: 60 training texts (negative 50.0%, "
        "positive 50.0%), 10 test (negative 50.0%, positive 50.0%)"
    )
    assert (
        "sentiment: sequence_length 9 covers 100.0% of training texts; 10 of 10 "
        "test texts (100.0%) are truncated"
    ) in stdout.splitlines()
    model = os.path.join(out, "sentiment.keras")
    stdout, _ = run_cli(["evaluate", "sentiment", model, *flags])
    assert evaluate_lines(stdout) == {"accuracy": f"{metrics['accuracy']:.4f}"}
