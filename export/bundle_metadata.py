"""The TFLite Metadata a bundle's `model.tflite` carries (see `tflite_metadata`).

TFLite Metadata describes subgraph 0, the subgraph of one signature (`encode` for
generation and dialog models, `serving_default` otherwise). Each of its inputs
and outputs gets a description; token inputs get the vocabulary file, label
outputs the label file, and float images their normalization (`pixel / 255`:
mean 0, std 255) and range.
"""

from ai_edge_litert import schema_py_generated as schema

from keras_rnn_kit import __version__

_DESCRIPTIONS = {
    "token_ids": "Token ids, int32; 0 is padding (text_rules.TextEncoder).",
    "padding_mask": "True where token_ids holds a token.",
    "history_token_ids": "Token ids of each history round, 0-padded.",
    "candidate_token_ids": "Token ids of one candidate answer.",
    "images": "RGB image, float32 in [0, 1] (pixels / 255).",
    "probabilities": "Class probabilities (labels.txt in id order).",
    "logits": "Next-token log-probabilities over the target vocabulary.",
    "encoding": "The dialog encoding that `score` compares candidates with.",
    "score": "The candidate's score (higher is better).",
}
_SUMMARIES = {
    "sentiment": "Text classification: sentiment of a review.",
    "translation": "Sequence to sequence translation (encode, then step).",
    "captioning": "Image captioning (encode an image, then step).",
    "vqa": "Visual question answering over a fixed answer set.",
    "visual_dialog": "Visual dialog: ranks candidate answers (encode, score).",
}


def _subgraph_zero_definition(content: bytes):
    """The `SignatureDef` whose subgraph is subgraph 0."""
    model = schema.Model.GetRootAs(content, 0)
    for i in range(model.SignatureDefsLength()):
        definition = model.SignatureDefs(i)
        if definition.SubgraphIndex() == 0:
            return definition
    raise ValueError("`content` has no signature on subgraph 0.")


def signature_of_subgraph_zero(content: bytes) -> str:
    """The name of the signature whose subgraph is subgraph 0."""
    return _subgraph_zero_definition(content).SignatureKey().decode()


def _ordered(content: bytes, definition, kind: str) -> list[str]:
    """`definition`'s input or output names in subgraph 0's tensor order."""
    subgraph = schema.Model.GetRootAs(content, 0).Subgraphs(0)
    if kind == "inputs":
        pairs = [definition.Inputs(j) for j in range(definition.InputsLength())]
        indices = subgraph.InputsAsNumpy()
    else:
        pairs = [definition.Outputs(j) for j in range(definition.OutputsLength())]
        indices = subgraph.OutputsAsNumpy()
    by_tensor = {pair.TensorIndex(): pair.Name().decode() for pair in pairs}
    return [by_tensor[int(index)] for index in indices]


# Which bundle file holds the vocabulary of each token tensor: the first present.
_VOCABULARIES = {
    "token_ids": ("source_vocabulary", "question_vocabulary", "text_vocabulary"),
    "history_token_ids": ("history_vocabulary",),
    "candidate_token_ids": ("answer_vocabulary",),
    "logits": ("target_vocabulary", "text_vocabulary"),
}


def _tensor(name: str, assets: dict, names: dict) -> dict:
    description = _DESCRIPTIONS.get(name, "Recurrent state passed between calls.")
    tensor = {"name": name, "description": description, "content": {"feature": {}}}
    if name == "images":
        size = assets["image_size"]
        tensor["content"] = {
            "image": {"color_space": "RGB", "width": size, "height": size}
        }
        tensor["normalization"] = {"mean": [0.0], "std": [255.0]}
        tensor["stats"] = {"min": [0.0], "max": [1.0]}
    vocabulary = next(
        (names[key] for key in _VOCABULARIES.get(name, ()) if key in names), None
    )
    if vocabulary:
        kind = "TENSOR_AXIS_LABELS" if name == "logits" else "VOCABULARY"
        tensor["associated_files"] = [{"name": vocabulary, "type": kind}]
    if name == "probabilities" and "labels" in names:
        tensor["associated_files"] = [
            {"name": names["labels"], "type": "TENSOR_AXIS_LABELS"}
        ]
    return tensor


def bundle_metadata(
    application: str, assets: dict, content: bytes, files: dict, names: dict
) -> tuple[dict, dict]:
    """Returns `(metadata, associated_files)` for `tflite_metadata.add_metadata`.

    Args:
        application: the bundle's application.
        assets: the task's `text_assets()`.
        content: the `.tflite` bytes.
        files: `{file name: text}` of the bundle's vocabulary and label files.
        names: `{what: file name}` (`text_vocabulary`, `source_vocabulary`,
            `labels`, ...).
    """
    definition = _subgraph_zero_definition(content)
    signature = definition.SignatureKey().decode()
    metadata = {
        "name": f"keras_rnn_kit {application}",
        "description": f"{_SUMMARIES[application]} Subgraph 0 is the "
        f"{signature!r} signature; bundle.json and rnnkit_bundle.py describe "
        "and run every signature.",
        "version": __version__,
        "author": "keras-rnn-kit",
        "license": "Apache-2.0",
    }
    for kind in ("inputs", "outputs"):
        metadata[f"{kind[:-1]}_tensor_metadata"] = [
            _tensor(name, assets, names) for name in _ordered(content, definition, kind)
        ]
    used = {
        file["name"]
        for key in ("input_tensor_metadata", "output_tensor_metadata")
        for tensor in metadata[key]
        for file in tensor.get("associated_files", [])
    }
    extra = sorted(set(files) - used)
    if extra:
        metadata["associated_files"] = [
            {"name": name, "type": "VOCABULARY" if "vocab" in name else "DESCRIPTIONS"}
            for name in extra
        ]
    return metadata, {name: text.encode("utf-8") for name, text in files.items()}
