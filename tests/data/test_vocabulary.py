import pytest

from keras_rnn_kit.data import TextTokenizer
from keras_rnn_kit.data import Vocabulary

TEXTS = ["the food was good", "the food was bad", "the soup", "bad bad bad"]


def test_reserved_ids_and_frequency_order():
    vocab = Vocabulary.build(TEXTS)
    assert vocab.tokens[:4] == ["<pad>", "<oov>", "<go>", "<eos>"]
    assert (vocab.pad_id, vocab.oov_id, vocab.go_id, vocab.eos_id) == (0, 1, 2, 3)
    # the: 3, bad: 4, food/was: 2, good/soup: 1; ties alphabetical.
    assert vocab.tokens[4:] == ["bad", "the", "food", "was", "good", "soup"]
    assert len(vocab) == 10


def test_build_order_does_not_depend_on_corpus_order():
    assert Vocabulary.build(TEXTS) == Vocabulary.build(list(reversed(TEXTS)))


def test_max_size_and_min_frequency():
    assert Vocabulary.build(TEXTS, max_size=6).tokens[4:] == ["bad", "the"]
    assert Vocabulary.build(TEXTS, min_frequency=2).tokens[4:] == [
        "bad", "the", "food", "was"
    ]
    assert len(Vocabulary.build(TEXTS, max_size=4)) == 4


def test_token_lists_and_custom_tokenizer():
    from_lists = Vocabulary.build([["a", "b"], ("b",)])
    assert from_lists.tokens[4:] == ["b", "a"]
    chars = Vocabulary.build(["ab"], tokenizer=TextTokenizer(mode="char"))
    assert chars.tokens[4:] == ["a", "b"]
    upper = Vocabulary.build(["a b"], tokenizer=lambda t: t.upper().split())
    assert upper.tokens[4:] == ["A", "B"]


def test_reserved_tokens_in_corpus_are_not_duplicated():
    vocab = Vocabulary.build([["<eos>", "x", "<pad>"]])
    assert vocab.tokens == ["<pad>", "<oov>", "<go>", "<eos>", "x"]


def test_encode_decode():
    vocab = Vocabulary.build(TEXTS)
    ids = vocab.encode(["the", "pizza", "was", "bad"])
    assert ids == [5, 1, 7, 4]
    assert vocab.decode([2] + ids + [3, 4, 0]) == ["the", "<oov>", "was", "bad"]
    assert vocab.decode([2, 5, 3, 0], strip_special=False) == [
        "<go>", "the", "<eos>", "<pad>"
    ]


def test_decode_out_of_range_and_encode_str_errors():
    vocab = Vocabulary.build(TEXTS)
    with pytest.raises(ValueError, match=r"\[0, 10\), got 10 at position 1"):
        vocab.decode([4, 10])
    with pytest.raises(TypeError, match="single str"):
        vocab.encode("the food")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"max_size": 3}, "`max_size` must be at least 4"),
        ({"max_size": 0}, "`max_size`"),
        ({"min_frequency": 0}, "`min_frequency`"),
    ],
)
def test_build_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Vocabulary.build(TEXTS, **kwargs)


def test_build_rejects_non_text_items():
    with pytest.raises(TypeError, match="item 1 is 5"):
        Vocabulary.build(["ok", 5])


def test_save_load_round_trip_is_plain_utf8(tmp_path):
    vocab = Vocabulary.build(["我爱机器学习 with keras", "good"])
    path = tmp_path / "vocab.txt"
    vocab.save(str(path))
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[:-1] == vocab.tokens and lines[-1] == ""
    assert Vocabulary.load(str(path)) == vocab


def test_load_missing_file_names_path(tmp_path):
    path = str(tmp_path / "nope.txt")
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        Vocabulary.load(path)


@pytest.mark.parametrize(
    "content, match",
    [
        ("<pad>\n<oov>\n<go>\n<eos>\nx\nx\n", "duplicate token 'x' at line 6"),
        ("<pad>\n<oov>\n<go>\n<eos>\nx\n\ny\n", "line 6 must be non-empty"),
        ("<pad>\n<oov>\n<eos>\nx\n", "must start with the reserved tokens"),
        ("", "must start with the reserved tokens"),
    ],
)
def test_load_corrupt_files_name_file_and_line(tmp_path, content, match):
    path = tmp_path / "vocab.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=match) as info:
        Vocabulary.load(str(path))
    assert "vocab.txt" in str(info.value)


def test_load_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("<pad>\n<oov>\n<go>\n<eos>\ncafé\n".encode("latin-1"))
    with pytest.raises(ValueError, match="latin1.txt.*not valid UTF-8"):
        Vocabulary.load(str(path))


def test_constructor_rejects_line_breaks():
    with pytest.raises(ValueError, match="index 4"):
        Vocabulary(["<pad>", "<oov>", "<go>", "<eos>", "a\nb"])
