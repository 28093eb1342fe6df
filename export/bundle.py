"""A self-contained TFLite bundle per application: model, text files, reference code.

`export_tflite_bundle(task, folder)` writes everything a mobile team needs without
the `.keras` file or the kit:

```
folder/
  model.tflite       builtin ops only, with TFLite Metadata (inputs, outputs,
                     normalization) and its vocabulary and label files attached
  bundle.json        the application, its signatures and text settings
                     (`task.text_assets()`: tokenizer rules, vocabularies, lengths,
                     special ids, labels, image size)
  vocab.txt          one token per line in id order (translation: source_vocab.txt
                     and target_vocab.txt; visual dialog: one per text if they
                     differ); labels.txt for classifiers
  text_rules.py      pure-Python text -> ids -> text (`keras_rnn_kit.data.text_rules`)
  tflite_runner.py   signatures, greedy and beam decoding (numpy + ai_edge_litert)
  rnnkit_bundle.py   `Bundle(folder)`: each application's inference call
  README.md          what each file is and how to run it
```
"""

import json
import os
import shutil
import tempfile

from keras_rnn_kit.data import text_rules
from keras_rnn_kit.export import bundle_runner
from keras_rnn_kit.export import tflite_runner
from keras_rnn_kit.export.bundle_metadata import bundle_metadata
from keras_rnn_kit.export.bundle_runner import BUNDLE_FILE
from keras_rnn_kit.export.bundle_runner import BUNDLE_FORMAT
from keras_rnn_kit.export.tflite import export_tflite
from keras_rnn_kit.export.tflite_metadata import add_metadata

MODEL_FILE = "model.tflite"
REFERENCE_FILES = {
    "text_rules.py": text_rules.__file__,
    "tflite_runner.py": tflite_runner.__file__,
    "rnnkit_bundle.py": bundle_runner.__file__,
}
# `task.text_assets()["format"]` is "keras_rnn_kit.<application>_text_assets/1".
_FORMAT_PREFIX, _FORMAT_SUFFIX = "keras_rnn_kit.", "_text_assets/1"
_CALLS = {
    "sentiment": 'bundle.classify(["The food was good."])',
    "translation": 'bundle.translate(["三百二十一"], beam_width=1)',
    "captioning": "bundle.caption(images)  # uint8 (batch, size, size, 3)",
    "vqa": 'bundle.answer(images, ["what shape is in the image?"])',
    "visual_dialog": "bundle.rank_answers(images, questions, histories, candidates)",
}


def application_of(assets: dict) -> str:
    """The application named by a task's `text_assets()["format"]`."""
    fmt = str(assets.get("format", ""))
    name = fmt.removeprefix(_FORMAT_PREFIX).removesuffix(_FORMAT_SUFFIX)
    if not (fmt.startswith(_FORMAT_PREFIX) and fmt.endswith(_FORMAT_SUFFIX)):
        raise ValueError(
            f"`text_assets()['format']` must look like '{_FORMAT_PREFIX}<application>"
            f"{_FORMAT_SUFFIX}', got {fmt!r}."
        )
    if name not in _CALLS:
        raise ValueError(
            f"Unknown application {name!r} in text assets format {fmt!r}; bundles "
            f"exist for {sorted(_CALLS)}."
        )
    return name


def _text_files(assets: dict) -> tuple[dict, dict]:
    """`({file name: text}, {what: file name})` for the vocabularies and labels.

    One vocabulary is `vocab.txt`; several distinct ones (translation's source
    and target) are `<part>_vocab.txt`; identical ones (visual dialog's three
    texts) share a file.
    """
    if "vocabulary" in assets:
        parts = {"text": assets}
    else:
        parts = {
            key: value
            for key, value in assets.items()
            if isinstance(value, dict) and "vocabulary" in value
        }
    owners = {}
    for part, settings in parts.items():
        owners.setdefault(tuple(settings["vocabulary"]), part)
    files, names = {}, {}
    for part, settings in parts.items():
        tokens = tuple(settings["vocabulary"])
        name = "vocab.txt" if len(owners) == 1 else f"{owners[tokens]}_vocab.txt"
        files[name] = "".join(f"{token}\n" for token in tokens)
        names[f"{part}_vocabulary"] = name
    labels = assets.get("answers") or assets.get("class_names")
    if labels is None and "num_classes" in assets:
        labels = [str(i) for i in range(assets["num_classes"])]
    if labels:
        files["labels.txt"] = "".join(f"{label}\n" for label in labels)
        names["labels"] = "labels.txt"
    return files, names


def _readme(application: str, names: dict) -> str:
    files = "\n".join(f"- `{name}`: {part}" for part, name in names.items())
    return f"""# {application} TFLite bundle (keras-rnn-kit)

Runs with Python, numpy and `ai-edge-litert` only (no TensorFlow, Keras or kit):

```python
import sys
sys.path.insert(0, "path/to/this/folder")
from rnnkit_bundle import Bundle
bundle = Bundle("path/to/this/folder")
{_CALLS[application]}
```

- `{MODEL_FILE}`: the model (LiteRT builtin ops), with TFLite Metadata.
- `{BUNDLE_FILE}`: the signatures and every text setting (`text`).
{files}
- `text_rules.py`: text -> token ids -> text, the rules a port must follow.
- `tflite_runner.py`: signatures, greedy and beam decoding.
- `rnnkit_bundle.py`: the application's inference call.
"""


def _signature_list(content: bytes) -> dict:
    return tflite_runner.TFLiteRunner(model_content=content).signatures


def export_tflite_bundle(
    task,
    folder: str,
    quantization: str | None = None,
    representative_data=None,
    overwrite: bool = False,
) -> str:
    """Exports an application task as a self-contained TFLite bundle folder.

    Args:
        task: a built application task with a preprocessor (it implements
            `text_assets()` and `tflite_signatures()`).
        folder: the bundle folder to write.
        quantization, representative_data: as in `export_tflite`.
        overwrite: replace an existing `folder`.

    Returns:
        `folder`.

    Example:

    >>> export_tflite_bundle(classifier, "sentiment_tflite")  # doctest: +SKIP
    'sentiment_tflite'
    >>> from keras_rnn_kit.export.bundle_runner import Bundle
    >>> Bundle("sentiment_tflite").classify(["The food was good."])  # doctest: +SKIP
    (['pos'], array([[0.03, 0.97]], dtype=float32))
    """
    folder = os.fspath(folder)
    if os.path.exists(folder) and not overwrite:
        raise FileExistsError(
            f"`folder` {folder!r} already exists; pass `overwrite=True` to replace it."
        )
    if not callable(getattr(task, "text_assets", None)):
        raise TypeError(
            "`task` must be an application task with `text_assets()` (a "
            f"SentimentClassifier, Translator, ...), got {type(task).__name__}."
        )
    assets = task.text_assets()
    application = application_of(assets)
    files, names = _text_files(assets)
    parent = os.path.dirname(os.path.abspath(folder))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".bundle-", dir=parent)
    try:
        model_path = os.path.join(staging, MODEL_FILE)
        export_tflite(task, model_path, quantization, representative_data)
        with open(model_path, "rb") as f:
            content = f.read()
        signatures = _signature_list(content)
        metadata, attached = bundle_metadata(application, assets, content, files, names)
        with open(model_path, "wb") as f:
            f.write(add_metadata(content, metadata, attached))
        for name, text in files.items():
            with open(os.path.join(staging, name), "w", encoding="utf-8") as f:
                f.write(text)
        config = {
            "format": BUNDLE_FORMAT,
            "application": application,
            "model": MODEL_FILE,
            "quantization": quantization,
            "signatures": signatures,
            "files": names,
            "text": assets,
        }
        with open(os.path.join(staging, BUNDLE_FILE), "w", encoding="utf-8") as f:
            json.dump(config, f, ensure_ascii=False, indent=1)
        for name, source in REFERENCE_FILES.items():
            shutil.copyfile(source, os.path.join(staging, name))
        with open(os.path.join(staging, "README.md"), "w", encoding="utf-8") as f:
            f.write(_readme(application, names))
        if os.path.exists(folder):
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
