"""Loader for the VQA v2 question and annotation JSON files (Goyal et al. 2017).

Reads `v2_OpenEnded_mscoco_<split>_questions.json` and, for train/val,
`v2_mscoco_<split>_annotations.json` from disk (the kit never downloads), and
picks the top-K answers that the classifier predicts over.
"""

import collections
import dataclasses
import json
import os


def read_json(path, what: str):
    """Reads a JSON file, raising errors that name the argument and the file.

    Args:
        path: file path.
        what: the argument name shown in errors.

    Returns:
        The decoded JSON value.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"`{what}` file not found: {os.fspath(path)!r}.")
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(
            f"`{what}` file {os.fspath(path)!r} is not valid UTF-8 JSON: {error}"
        ) from error


def require_keys(record, keys, where: str):
    """Raises `ValueError` naming `where` if `record` is not a dict with `keys`."""
    if not isinstance(record, dict):
        raise ValueError(f"{where} must be a JSON object, got {type(record).__name__}.")
    missing = [key for key in keys if key not in record]
    if missing:
        raise ValueError(f"{where} is missing the key(s) {missing}.")


@dataclasses.dataclass(frozen=True)
class VQAQuestion:
    """One VQA v2 question.

    Attributes:
        question_id: int.
        image_id: int, the COCO image id.
        question: the question text.
        answers: the human answers (ten in VQA v2; empty without annotations).
        multiple_choice_answer: the most common human answer, or `None`.
        answer_type: `"yes/no"`, `"number"`, `"other"`, or `None`.
        image_path: path of the image when `images_dir` was given, else `None`.
    """

    question_id: int
    image_id: int
    question: str
    answers: tuple = ()
    multiple_choice_answer: str | None = None
    answer_type: str | None = None
    image_path: str | None = None


def load_vqa_v2(
    questions_path,
    annotations_path=None,
    images_dir=None,
    image_pattern: str = "COCO_{split}_{image_id:012d}.jpg",
) -> list[VQAQuestion]:
    """Reads VQA v2 questions and, optionally, their annotations.

    Args:
        questions_path: the `..._questions.json` file.
        annotations_path: the `..._annotations.json` file, or `None` (test split).
        images_dir: folder of the COCO images, or `None`.
        image_pattern: file name of an image, formatted with `split` (the
            questions file's `data_subtype`, e.g. `"train2014"`) and `image_id`.

    Returns:
        A list of `VQAQuestion`, in the questions file's order.

    Raises:
        FileNotFoundError / ValueError: naming the file, the record and the key,
            for missing files, malformed JSON, missing keys, or an annotation
            whose question id is not in the questions file.

    Example:

    >>> import json, tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "q.json")
    >>> json.dump({"questions": [{"question_id": 1, "image_id": 9,
    ...            "question": "What is it?"}]}, open(path, "w"))
    >>> load_vqa_v2(path)[0].question
    'What is it?'
    """
    data = read_json(questions_path, "questions_path")
    require_keys(data, ["questions"], "`questions_path` top level")
    split = data.get("data_subtype", "")
    records = {}
    for index, item in enumerate(data["questions"]):
        require_keys(
            item, ["question_id", "image_id", "question"], f"questions[{index}]"
        )
        path = None
        if images_dir is not None:
            name = image_pattern.format(split=split, image_id=int(item["image_id"]))
            path = os.path.join(images_dir, name)
        records[int(item["question_id"])] = VQAQuestion(
            question_id=int(item["question_id"]),
            image_id=int(item["image_id"]),
            question=str(item["question"]),
            image_path=path,
        )
    if annotations_path is not None:
        annotations = read_json(annotations_path, "annotations_path")
        require_keys(annotations, ["annotations"], "`annotations_path` top level")
        for index, item in enumerate(annotations["annotations"]):
            where = f"annotations[{index}]"
            require_keys(item, ["question_id", "answers"], where)
            question_id = int(item["question_id"])
            if question_id not in records:
                raise ValueError(
                    f"{where} refers to question_id {question_id}, which is not in "
                    "`questions_path`."
                )
            answers = []
            for answer_index, answer in enumerate(item["answers"]):
                require_keys(answer, ["answer"], f"{where}.answers[{answer_index}]")
                answers.append(str(answer["answer"]))
            records[question_id] = dataclasses.replace(
                records[question_id],
                answers=tuple(answers),
                multiple_choice_answer=item.get("multiple_choice_answer"),
                answer_type=item.get("answer_type"),
            )
    return list(records.values())


def top_answers(questions: list[VQAQuestion], k: int = 1000) -> list[str]:
    """The `k` most frequent `multiple_choice_answer`s (ties: alphabetical).

    Antol et al. classify over the top 1,000 answers, which cover about 87% of
    the training answers.

    Example:

    >>> qs = [VQAQuestion(i, 0, "?", multiple_choice_answer=a)
    ...       for i, a in enumerate(["yes", "no", "yes", "2"])]
    >>> top_answers(qs, k=2)
    ['yes', '2']
    """
    counts = collections.Counter(
        q.multiple_choice_answer for q in questions if q.multiple_choice_answer
    )
    ranked = sorted(counts, key=lambda answer: (-counts[answer], answer))
    return ranked[:k]
