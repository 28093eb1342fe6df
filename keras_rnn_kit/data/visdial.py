"""Loader for VisDial v1.0 JSON (Das et al. 2017), with dense annotations."""

import dataclasses
import os

from keras_rnn_kit.data.vqa_v2 import read_json
from keras_rnn_kit.data.vqa_v2 import require_keys


@dataclasses.dataclass(frozen=True)
class DialogRound:
    """One question-answer round.

    Attributes:
        question: the question text.
        answer: the ground-truth answer, or `None` (last round of the test split).
        options: tuple of candidate answer strings (100 in VisDial), or `()`.
        gt_index: index of `answer` in `options`, or `None`.
        relevance: tuple of per-option relevance scores from the dense
            annotations, or `None`.
    """

    question: str
    answer: str | None
    options: tuple = ()
    gt_index: int | None = None
    relevance: tuple | None = None


@dataclasses.dataclass(frozen=True)
class Dialog:
    """One image's dialog.

    Attributes:
        image_id: int.
        caption: the caption (VisDial's round-0 history).
        rounds: tuple of `DialogRound`.
        image_path: path of the image when `images_dir` was given, else `None`.
    """

    image_id: int
    caption: str
    rounds: tuple
    image_path: str | None = None


def load_visdial(
    dialogs_path,
    dense_annotations_path=None,
    images_dir=None,
    image_pattern: str = "{image_id}.jpg",
) -> list[Dialog]:
    """Reads a VisDial v1.0 file (`visdial_1.0_<split>.json`).

    The file stores every question and answer string once in
    `data.questions` / `data.answers`; rounds refer to them by index. This
    loader resolves the indices to strings.

    Args:
        dialogs_path: the VisDial JSON file.
        dense_annotations_path: optional `visdial_1.0_val_dense_annotations.json`
            (a list of `{"image_id", "round_id", "gt_relevance"}`; `round_id`
            is 1-based); its relevance lands on the matching round.
        images_dir: folder of the images, or `None`.
        image_pattern: image file name, formatted with `image_id`.

    Returns:
        A list of `Dialog` in file order.

    Raises:
        FileNotFoundError / ValueError: naming the file, the record and the key,
            for missing files, malformed JSON, missing keys, indices outside the
            string tables, or dense annotations for an unknown dialog or round.

    Example:

    >>> import json, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "visdial.json")
    >>> json.dump({"data": {"questions": ["is it red?"], "answers": ["yes", "no"],
    ...     "dialogs": [{"image_id": 5, "caption": "a ball", "dialog": [
    ...         {"question": 0, "answer": 1, "gt_index": 1,
    ...          "answer_options": [0, 1]}]}]}}, open(path, "w"))
    >>> load_visdial(path)[0].rounds[0]
    DialogRound(question='is it red?', answer='no', options=('yes', 'no'), gt_index=1, relevance=None)
    """  # noqa: E501
    data = read_json(dialogs_path, "dialogs_path")
    require_keys(data, ["data"], "`dialogs_path` top level")
    body = data["data"]
    require_keys(body, ["questions", "answers", "dialogs"], "`dialogs_path` data")
    questions, answers = body["questions"], body["answers"]

    def lookup(table, name, index, where):
        if not isinstance(index, int) or not 0 <= index < len(table):
            raise ValueError(
                f"{where}.{name} must index data.{name}s (size {len(table)}), got "
                f"{index!r}."
            )
        return str(table[index])

    dialogs = []
    for d_index, item in enumerate(body["dialogs"]):
        where = f"dialogs[{d_index}]"
        require_keys(item, ["image_id", "dialog"], where)
        rounds = []
        for r_index, turn in enumerate(item["dialog"]):
            at = f"{where}.dialog[{r_index}]"
            require_keys(turn, ["question"], at)
            options = tuple(
                lookup(answers, "answer", o, f"{at}.answer_options")
                for o in turn.get("answer_options", ())
            )
            gt_index = turn.get("gt_index")
            if gt_index is not None and not 0 <= int(gt_index) < len(options):
                raise ValueError(
                    f"{at}.gt_index must lie in [0, {len(options)}), got {gt_index}."
                )
            answer = turn.get("answer")
            rounds.append(
                DialogRound(
                    question=lookup(questions, "question", turn["question"], at),
                    answer=None
                    if answer is None
                    else lookup(answers, "answer", answer, at),
                    options=options,
                    gt_index=None if gt_index is None else int(gt_index),
                )
            )
        image_id = int(item["image_id"])
        path = None
        if images_dir is not None:
            path = os.path.join(images_dir, image_pattern.format(image_id=image_id))
        dialogs.append(
            Dialog(image_id, str(item.get("caption", "")), tuple(rounds), path)
        )
    if dense_annotations_path is not None:
        dialogs = _attach_relevance(dialogs, dense_annotations_path)
    return dialogs


def _attach_relevance(dialogs, path):
    dense = read_json(path, "dense_annotations_path")
    if not isinstance(dense, list):
        raise ValueError(
            "`dense_annotations_path` must hold a JSON list, got "
            f"{type(dense).__name__}."
        )
    position = {dialog.image_id: i for i, dialog in enumerate(dialogs)}
    dialogs = list(dialogs)
    for index, item in enumerate(dense):
        where = f"dense annotation [{index}]"
        require_keys(item, ["image_id", "round_id", "gt_relevance"], where)
        image_id, round_id = int(item["image_id"]), int(item["round_id"])
        if image_id not in position:
            raise ValueError(f"{where} refers to unknown image_id {image_id}.")
        dialog = dialogs[position[image_id]]
        if not 1 <= round_id <= len(dialog.rounds):
            raise ValueError(
                f"{where}: round_id must lie in [1, {len(dialog.rounds)}] (1-based), "
                f"got {round_id}."
            )
        turn = dialog.rounds[round_id - 1]
        relevance = tuple(float(r) for r in item["gt_relevance"])
        if turn.options and len(relevance) != len(turn.options):
            raise ValueError(
                f"{where}: gt_relevance has {len(relevance)} values for "
                f"{len(turn.options)} answer options."
            )
        rounds = list(dialog.rounds)
        rounds[round_id - 1] = dataclasses.replace(turn, relevance=relevance)
        dialogs[position[image_id]] = dataclasses.replace(dialog, rounds=tuple(rounds))
    return dialogs
