import pytest

from keras_rnn_kit.data import load_review_folders
from keras_rnn_kit.data.review_folders import list_review_files


@pytest.fixture
def acl_root(tmp_path):
    reviews = {
        "train/pos": ["Loved it.<br />Great!", "wonderful film"],
        "train/neg": ["boring", "awful acting", "bad"],
        "test/pos": ["nice"],
        "test/neg": ["meh"],
    }
    for folder, texts in reviews.items():
        (tmp_path / folder).mkdir(parents=True)
        for i, text in enumerate(texts):
            (tmp_path / folder / f"{i}_7.txt").write_text(text, encoding="utf-8")
    (tmp_path / "train" / "unsup").mkdir()
    (tmp_path / "train" / "pos" / "urls.lst").write_text("ignored")
    return tmp_path


def test_lists_neg_then_pos_with_labels(acl_root):
    paths, labels = list_review_files(str(acl_root), "train")
    assert labels == [0, 0, 0, 1, 1]
    assert all(p.endswith(".txt") for p in paths)


def test_pipeline_reads_texts_with_labels(acl_root):
    pairs = []
    for texts, labels in load_review_folders(str(acl_root), "train", batch_size=2):
        pairs += list(zip([t.decode() for t in texts.numpy()], labels.numpy().tolist(),
                          strict=True))
    assert sorted(pairs) == sorted([
        ("Loved it.<br />Great!", 1), ("wonderful film", 1),
        ("boring", 0), ("awful acting", 0), ("bad", 0),
    ])


def test_missing_and_empty_folders(acl_root, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"valid[/\\]neg"):
        list_review_files(str(acl_root), "valid")
    for path in (acl_root / "test" / "pos").iterdir():
        path.unlink()
    with pytest.raises(ValueError, match=r"test[/\\]pos.*no \.txt"):
        list_review_files(str(acl_root), "test")
