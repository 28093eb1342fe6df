"""Loader for COCO captions JSON (`captions_<split>2014.json`, Chen et al. 2015)."""

import dataclasses
import os

from keras_rnn_kit.data.vqa_v2 import read_json
from keras_rnn_kit.data.vqa_v2 import require_keys


@dataclasses.dataclass(frozen=True)
class CaptionedImage:
    """One image and its reference captions.

    Attributes:
        image_id: int, the COCO image id.
        file_name: the image's file name from the JSON.
        captions: tuple of caption strings (COCO has about five per image).
        image_path: `images_dir/file_name` when `images_dir` was given, else `None`.
    """

    image_id: int
    file_name: str
    captions: tuple
    image_path: str | None = None


def load_coco_captions(
    annotations_path, images_dir=None, require_captions: bool = True
) -> list[CaptionedImage]:
    """Reads a COCO captions annotation file.

    Args:
        annotations_path: the `captions_*.json` file (keys `images` and
            `annotations`).
        images_dir: folder holding the images, or `None`.
        require_captions: if True (default), an image without any caption
            raises; if False it is kept with an empty `captions` tuple (e.g. a
            test split).

    Returns:
        A list of `CaptionedImage` in the order of the file's `images`, each
        image's captions in annotation order.

    Raises:
        FileNotFoundError / ValueError: naming the file, record and key, for a
            missing file, malformed JSON, a missing key, a caption whose
            `image_id` is not among the images, or an image without captions.

    Example:

    >>> import json, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "captions.json")
    >>> json.dump({"images": [{"id": 7, "file_name": "a.jpg"}],
    ...            "annotations": [{"id": 1, "image_id": 7, "caption": "A cat."}]},
    ...           open(path, "w"))
    >>> load_coco_captions(path)[0].captions
    ('A cat.',)
    """
    data = read_json(annotations_path, "annotations_path")
    require_keys(data, ["images", "annotations"], "`annotations_path` top level")
    images, captions = {}, {}
    for index, image in enumerate(data["images"]):
        require_keys(image, ["id", "file_name"], f"images[{index}]")
        images[int(image["id"])] = str(image["file_name"])
        captions[int(image["id"])] = []
    for index, annotation in enumerate(data["annotations"]):
        where = f"annotations[{index}]"
        require_keys(annotation, ["image_id", "caption"], where)
        image_id = int(annotation["image_id"])
        if image_id not in images:
            raise ValueError(
                f"{where} refers to image_id {image_id}, which is not among the "
                "file's `images`."
            )
        captions[image_id].append(str(annotation["caption"]).strip())
    records = []
    for image_id, file_name in images.items():
        if require_captions and not captions[image_id]:
            raise ValueError(
                f"image_id {image_id} ({file_name!r}) has no caption in "
                "`annotations_path`; pass require_captions=False to keep it."
            )
        path = None if images_dir is None else os.path.join(images_dir, file_name)
        records.append(
            CaptionedImage(image_id, file_name, tuple(captions[image_id]), path)
        )
    return records
