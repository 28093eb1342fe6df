"""Tests for keras_rnn_kit/data/visdial.py with small fixture files."""

import json

import pytest

from keras_rnn_kit.data.visdial import load_visdial


def _write(path, value):
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def _dialogs(gt_index=2, question=1):
    return {
        "version": "1.0",
        "split": "val",
        "data": {
            "questions": ["is it sunny", "how many dogs"],
            "answers": ["yes", "no", "two", "one"],
            "dialogs": [
                {
                    "image_id": 185565,
                    "caption": "two dogs on a beach",
                    "dialog": [
                        {
                            "question": question,
                            "answer": 2,
                            "gt_index": gt_index,
                            "answer_options": [0, 3, 2, 1],
                        },
                        {
                            "question": 0,
                            "answer": 0,
                            "gt_index": 0,
                            "answer_options": [0, 1, 2, 3],
                        },
                    ],
                },
                {"image_id": 7, "caption": "a cat", "dialog": [{"question": 0}]},
            ],
        },
    }


def test_resolves_indices_to_strings(tmp_path):
    path = _write(tmp_path / "visdial.json", _dialogs())
    dialogs = load_visdial(path, images_dir="/img", image_pattern="{image_id:012d}.jpg")
    first = dialogs[0]
    assert first.caption == "two dogs on a beach"
    assert first.image_path == "/img/000000185565.jpg"
    assert first.rounds[0].question == "how many dogs"
    assert first.rounds[0].options == ("yes", "one", "two", "no")
    assert first.rounds[0].options[first.rounds[0].gt_index] == first.rounds[0].answer
    test_round = dialogs[1].rounds[0]  # the test split's unanswered last round
    assert test_round.answer is None and test_round.options == ()


def test_dense_annotations_attach_to_1_based_rounds(tmp_path):
    path = _write(tmp_path / "visdial.json", _dialogs())
    dense = _write(
        tmp_path / "dense.json",
        [{"image_id": 185565, "round_id": 2, "gt_relevance": [1.0, 0.0, 0.5, 0.0]}],
    )
    dialogs = load_visdial(path, dense_annotations_path=dense)
    assert dialogs[0].rounds[0].relevance is None
    assert dialogs[0].rounds[1].relevance == (1.0, 0.0, 0.5, 0.0)


@pytest.mark.parametrize(
    "dialogs, dense, message",
    [
        (_dialogs(gt_index=4), None, r"gt_index must lie in \[0, 4\)"),
        (_dialogs(question=5), None, r"question must index data.questions"),
        (
            _dialogs(),
            [{"image_id": 1, "round_id": 1, "gt_relevance": []}],
            "unknown image_id 1",
        ),
        (
            _dialogs(),
            [{"image_id": 7, "round_id": 3, "gt_relevance": []}],
            r"round_id must lie in \[1, 1\]",
        ),
        (
            _dialogs(),
            [{"image_id": 185565, "round_id": 1, "gt_relevance": [1.0]}],
            "1 values for 4 answer options",
        ),
        ({"data": {"questions": []}}, None, "'answers', 'dialogs'"),
    ],
)
def test_malformed_files_raise(tmp_path, dialogs, dense, message):
    path = _write(tmp_path / "visdial.json", dialogs)
    dense_path = None if dense is None else _write(tmp_path / "dense.json", dense)
    with pytest.raises(ValueError, match=message):
        load_visdial(path, dense_annotations_path=dense_path)
