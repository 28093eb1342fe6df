import json
import logging

import pytest

from keras_rnn_kit.data import MalformedRowError
from keras_rnn_kit.data import dataset_texts
from keras_rnn_kit.data import load_delimited_text
from keras_rnn_kit.data import read_labelled_text


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_csv_with_quotes_commas_and_class_names(tmp_path):
    path = write(
        tmp_path,
        "reviews.csv",
        'id,review,sentiment\n1,"Great, really ""great"" food",pos\n'
        "2,awful,neg\n\n3,\"multi\nline\",pos\n",
    )
    texts, labels = read_labelled_text(path, "review", "sentiment", ["neg", "pos"])
    assert texts == ['Great, really "great" food', "awful", "multi\nline"]
    assert labels == [1, 0, 1]


def test_tsv_without_quoting_and_integer_labels(tmp_path):
    path = write(tmp_path, "r.tsv", 'text\tlabel\nhe said "hi\t1\nbad\t0\n')
    assert read_labelled_text(path, "text", "label") == (['he said "hi', "bad"], [1, 0])


def test_jsonl_and_text_only(tmp_path):
    rows = [{"t": "good 好", "y": 1}, {"t": "bad", "y": "0"}]
    path = write(tmp_path, "r.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n\n")
    assert read_labelled_text(path, "t", "y") == (["good 好", "bad"], [1, 0])
    assert read_labelled_text(path, "t") == (["good 好", "bad"], None)


@pytest.mark.parametrize(
    "name, content, match",
    [
        ("a.csv", "text,label\nok,1\nbad row,1,extra\n", r"a\.csv:3: 3 fields"),
        ("b.csv", "text,label\nok,1\nfine,maybe\n", r"b\.csv:3: label 'maybe'"),
        ("c.jsonl", '{"text": "ok", "label": 1}\n{"text": "x",\n', r"c\.jsonl:2: inv"),
        ("d.jsonl", '{"text": "ok", "label": 1}\n[1, 2]\n', r"d\.jsonl:2: expected"),
        ("e.jsonl", '{"label": 1}\n', r"e\.jsonl:1: missing text field 'text'"),
        ("f.jsonl", '{"text": 5, "label": 1}\n', r"f\.jsonl:1: text 5"),
        ("g.csv", "text,label\nok,-1\n", r"g\.csv:2: label '-1' is not an integer"),
    ],
)
def test_malformed_rows_name_file_and_line(tmp_path, name, content, match):
    path = write(tmp_path, name, content)
    with pytest.raises(MalformedRowError, match=match):
        read_labelled_text(path, "text", "label")


def test_skip_malformed_rows_counts_them(tmp_path, caplog):
    path = write(tmp_path, "s.csv", "text,label\nok,1\nbad,2,x\nno,zz\nfine,0\n")
    with caplog.at_level(logging.WARNING, logger="keras_rnn_kit.data"):
        texts, labels = read_labelled_text(path, "text", "label", on_error="skip")
    assert (texts, labels) == (["ok", "fine"], [1, 0])
    assert "Skipped 2 malformed rows" in caplog.text and "line 3" in caplog.text


def test_label_outside_class_names_is_an_error(tmp_path):
    path = write(tmp_path, "c.csv", "text,label\nok,pos\nhmm,neutral\n")
    with pytest.raises(MalformedRowError, match=r"c\.csv:3: label 'neutral'"):
        read_labelled_text(path, "text", "label", class_names=["neg", "pos"])


def test_file_level_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        read_labelled_text(str(tmp_path / "nope.csv"), "text")
    path = write(tmp_path, "h.csv", "body,label\nx,1\n")
    with pytest.raises(ValueError, match=r"h\.csv:1: the header must name.*'text'"):
        read_labelled_text(path, "text", "label")
    odd = write(tmp_path, "data.txt", "text\nx\n")
    with pytest.raises(ValueError, match="Cannot infer the format"):
        read_labelled_text(odd, "text")
    assert read_labelled_text(odd, "text", file_format="csv") == (["x"], None)
    with pytest.raises(ValueError, match="`class_names`"):
        read_labelled_text(path, "body", "label", class_names=["a", "a"])


def test_load_returns_batched_pipeline(tmp_path):
    rows = "".join(f"{'word ' * (i % 5)}t{i},{i % 2}\n" for i in range(10))
    path = write(tmp_path, "p.csv", "text,label\n" + rows)
    dataset = load_delimited_text(path, "text", "label", batch_size=4, seed=0)
    texts, labels = [], []
    for batch_texts, batch_labels in dataset:
        assert batch_texts.shape[0] <= 4 and batch_labels.dtype.name == "int32"
        texts += [t.decode() for t in batch_texts.numpy()]
        labels += batch_labels.numpy().tolist()
    assert sorted(texts) == sorted(f"{'word ' * (i % 5)}t{i}" for i in range(10))
    assert sum(labels) == 5
    unlabelled = load_delimited_text(path, "text", batch_size=3)
    assert len(list(dataset_texts(unlabelled))) == 10


def test_broken_csv_quoting_names_line(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b"text,label\nok,1\n\"a\"b,1\n")
    with pytest.raises(MalformedRowError, match=r"q\.csv:3"):
        read_labelled_text(str(path), "text", "label")
