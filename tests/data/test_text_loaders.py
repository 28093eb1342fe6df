import pytest
import tensorflow_datasets as tfds

from keras_rnn_kit.data import load_text_dataset
from keras_rnn_kit.data import load_tfds_text


@pytest.fixture
def mock_tfds():
    with tfds.testing.mock_data(
        num_examples=12, policy=tfds.testing.MockPolicy.USE_CODE
    ):
        yield


@pytest.mark.parametrize("name", ["imdb_reviews", "yelp_polarity_reviews"])
def test_sentiment_tfds_names_give_text_label_batches(mock_tfds, name):
    count = 0
    for texts, labels in load_text_dataset(name, split="train", batch_size=5):
        assert texts.dtype.name == "string" and labels.dtype.name == "int32"
        assert texts.shape == labels.shape and texts.shape[0] <= 5
        assert set(labels.numpy().tolist()) <= {0, 1}
        count += texts.shape[0]
    assert count == 12


def test_wmt19_zh_en_gives_source_target_string_pairs(mock_tfds):
    batches = list(load_text_dataset("wmt19_translate/zh-en", split="train"))
    assert sum(source.shape[0] for source, _ in batches) == 12
    for source, target in batches:
        assert source.dtype.name == "string" and target.dtype.name == "string"
        assert source.shape == target.shape


def test_generic_tfds_pairs_and_text_only(mock_tfds):
    pairs = load_tfds_text("imdb_reviews", "test", ("text", "text"), batch_size=4)
    for source, target in pairs:
        assert source.numpy().tolist() == target.numpy().tolist()
    texts = load_text_dataset("tfds", "imdb_reviews", "test", "text", batch_size=4)
    assert sum(batch.shape[0] for batch in texts) == 12


def test_unknown_feature_lists_features(mock_tfds):
    with pytest.raises(ValueError, match=r"no feature 'review'.*\['label', 'text'\]"):
        load_tfds_text("imdb_reviews", "train", "review", "label")
    with pytest.raises(ValueError, match="`text_keys`"):
        load_tfds_text("imdb_reviews", "train", ())


def test_unknown_loader_lists_accepted_names():
    match = "Unknown text loader 'imbd'.*imdb_reviews.*csv"
    with pytest.raises(ValueError, match=match):
        load_text_dataset("imbd")


def test_local_loader_by_name(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"text": "good", "label": 1}\n', encoding="utf-8")
    (texts, labels), = list(load_text_dataset("jsonl", str(path), "text", "label"))
    assert texts.numpy().tolist() == [b"good"] and labels.numpy().tolist() == [1]
