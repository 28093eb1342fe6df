"""Tests for keras_rnn_kit/data/coco_captions.py with small fixture files."""

import json

import pytest

from keras_rnn_kit.data.coco_captions import load_coco_captions


def _write(path, value):
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def _fixture(tmp_path, annotations):
    return _write(
        tmp_path / "captions.json",
        {
            "images": [
                {"id": 3, "file_name": "COCO_val2014_000000000003.jpg"},
                {"id": 1, "file_name": "COCO_val2014_000000000001.jpg"},
            ],
            "annotations": annotations,
        },
    )


def test_groups_captions_per_image_in_file_order(tmp_path):
    path = _fixture(
        tmp_path,
        [
            {"id": 10, "image_id": 1, "caption": "A dog runs. "},
            {"id": 11, "image_id": 3, "caption": "Two cats."},
            {"id": 12, "image_id": 1, "caption": "A brown dog."},
        ],
    )
    records = load_coco_captions(path, images_dir="/data/val2014")
    assert [r.image_id for r in records] == [3, 1]
    assert records[1].captions == ("A dog runs.", "A brown dog.")
    assert records[0].image_path == "/data/val2014/COCO_val2014_000000000003.jpg"


def test_images_without_captions(tmp_path):
    path = _fixture(tmp_path, [{"id": 10, "image_id": 1, "caption": "A dog."}])
    with pytest.raises(ValueError, match="image_id 3.*require_captions"):
        load_coco_captions(path)
    records = load_coco_captions(path, require_captions=False)
    assert records[0].captions == () and records[0].image_path is None


def test_bad_records_raise(tmp_path):
    path = _fixture(tmp_path, [{"id": 10, "image_id": 5, "caption": "A dog."}])
    with pytest.raises(ValueError, match=r"annotations\[0\].*image_id 5"):
        load_coco_captions(path)
    path = _fixture(tmp_path, [{"id": 10, "image_id": 1}])
    with pytest.raises(ValueError, match=r"annotations\[0\].*'caption'"):
        load_coco_captions(path)
    path = _write(tmp_path / "other.json", {"images": []})
    with pytest.raises(ValueError, match="top level.*'annotations'"):
        load_coco_captions(path)
