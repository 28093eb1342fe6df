"""Tests for keras_rnn_kit/data/vqa_v2.py with small fixture files."""

import json

import pytest

from keras_rnn_kit.data.vqa_v2 import VQAQuestion
from keras_rnn_kit.data.vqa_v2 import load_vqa_v2
from keras_rnn_kit.data.vqa_v2 import top_answers


def _write(path, value):
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    questions = _write(
        tmp_path / "questions.json",
        {
            "data_subtype": "val2014",
            "questions": [
                {"question_id": 11, "image_id": 42, "question": "What color?"},
                {"question_id": 12, "image_id": 7, "question": "How many?"},
            ],
        },
    )
    annotations = _write(
        tmp_path / "annotations.json",
        {
            "annotations": [
                {
                    "question_id": 12,
                    "image_id": 7,
                    "answers": [
                        {"answer": a, "answer_id": i + 1}
                        for i, a in enumerate(["2"] * 6 + ["two"] * 4)
                    ],
                    "multiple_choice_answer": "2",
                    "answer_type": "number",
                }
            ]
        },
    )
    return questions, annotations


def test_questions_annotations_and_image_paths(files, tmp_path):
    questions, annotations = files
    records = load_vqa_v2(questions, annotations, images_dir=str(tmp_path))
    assert [r.question_id for r in records] == [11, 12]
    assert records[0].answers == () and records[0].multiple_choice_answer is None
    assert records[1].answers == ("2",) * 6 + ("two",) * 4
    assert records[1].answer_type == "number"
    assert records[1].image_path == str(tmp_path / "COCO_val2014_000000000007.jpg")


def test_top_answers_orders_by_count_then_alphabet():
    questions = [
        VQAQuestion(i, 0, "?", multiple_choice_answer=a)
        for i, a in enumerate(["no", "yes", "yes", "2", "no", "red"])
    ]
    assert top_answers(questions, k=3) == ["no", "yes", "2"]


def test_errors_name_the_file_record_and_key(files, tmp_path):
    questions, _ = files
    with pytest.raises(FileNotFoundError, match="`questions_path`.*missing.json"):
        load_vqa_v2(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="`annotations_path`.*not valid"):
        load_vqa_v2(questions, broken)
    no_key = _write(tmp_path / "q2.json", {"questions": [{"question_id": 1}]})
    with pytest.raises(ValueError, match=r"questions\[0\].*'image_id', 'question'"):
        load_vqa_v2(no_key)
    stray = _write(
        tmp_path / "a2.json", {"annotations": [{"question_id": 99, "answers": []}]}
    )
    with pytest.raises(ValueError, match="question_id 99"):
        load_vqa_v2(questions, stray)
