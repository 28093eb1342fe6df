import pytest

from keras_rnn_kit.data import MalformedRowError
from keras_rnn_kit.data import load_parallel_files
from keras_rnn_kit.data import load_parallel_tsv
from keras_rnn_kit.data import pairs_to_dataset
from keras_rnn_kit.data import read_parallel_files
from keras_rnn_kit.data import read_parallel_tsv


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def collect(dataset):
    pairs = []
    for source, target in dataset:
        pairs += [
            (s.decode(), t.decode())
            for s, t in zip(source.numpy(), target.numpy(), strict=True)
        ]
    return pairs


def test_tsv_pairs_with_extra_columns_and_column_choice(tmp_path):
    content = "Hi.\t嗨。\tCC-BY\n\nI love ML.\t我爱机器学习。\tCC\n"
    path = write(tmp_path, "cmn.txt", content)
    want = [("Hi.", "嗨。"), ("I love ML.", "我爱机器学习。")]
    assert read_parallel_tsv(path) == want
    swapped = read_parallel_tsv(path, source_column=1, target_column=0)
    assert swapped[1] == ("我爱机器学习。", "I love ML.")


def test_tsv_malformed_lines(tmp_path):
    path = write(tmp_path, "p.tsv", "a\tb\nno tab here\n\tempty source\nc\td\n")
    with pytest.raises(MalformedRowError, match=r"p\.tsv:2: 1 tab-separated fields"):
        read_parallel_tsv(path)
    assert read_parallel_tsv(path, on_error="skip") == [("a", "b"), ("c", "d")]
    with pytest.raises(ValueError, match="must differ"):
        read_parallel_tsv(path, source_column=1, target_column=1)


def test_aligned_files(tmp_path):
    source = write(tmp_path, "train.zh", "我爱你\n\n你好\n")
    target = write(tmp_path, "train.en", "I love you\n\nhello\n")
    want = [("我爱你", "I love you"), ("你好", "hello")]
    assert read_parallel_files(source, target) == want
    short = write(tmp_path, "short.en", "I love you\n")
    with pytest.raises(MalformedRowError, match=r"train\.zh has 3 lines but .*short"):
        read_parallel_files(source, short)
    gap = write(tmp_path, "gap.en", "I love you\nextra\n\n")
    with pytest.raises(MalformedRowError, match=r":2: empty on one side only"):
        read_parallel_files(source, gap)
    assert read_parallel_files(source, gap, on_error="skip") == want[:1]
    with pytest.raises(FileNotFoundError, match="Target file not found.*none.en"):
        read_parallel_files(source, str(tmp_path / "none.en"))


def test_datasets_keep_every_pair(tmp_path):
    lines = [f"src {'w ' * (i % 7)}{i}\ttgt {i}" for i in range(9)]
    path = write(tmp_path, "pairs.tsv", "\n".join(lines))
    got = collect(load_parallel_tsv(path, batch_size=2, seed=5))
    assert sorted(got) == sorted(tuple(line.split("\t")) for line in lines)
    source = write(tmp_path, "s.txt", "a\nb\n")
    target = write(tmp_path, "t.txt", "x\ny\n")
    got = sorted(collect(load_parallel_files(source, target)))
    assert got == [("a", "x"), ("b", "y")]
    with pytest.raises(ValueError, match="`pairs` is empty"):
        pairs_to_dataset([])
