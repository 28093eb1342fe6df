"""TFLite Metadata (`metadata_schema.fbs`) without the `tflite-support` package.

Android's ML Model Binding, the Task Library and `MetadataExtractor` read a
`ModelMetadata` flatbuffer (file identifier `M001`) kept in the model buffer that
`Model.metadata` names `TFLITE_METADATA`, and the associated files (labels,
vocabularies) appended to the `.tflite` file as an uncompressed ZIP archive. This
module writes and reads that layout as tflite-support's `MetadataPopulator` does,
with the `flatbuffers` package and LiteRT's model schema only (`tflite-support`
pins an older protobuf than TensorFlow 2.21 needs).

Schema followed: `tensorflow_lite_support/metadata/metadata_schema.fbs` of
tensorflow/tflite-support at commit 49b22edaca62d3dc53db7c34836210a09595448f
(schema 1.2.1); later versions only append fields, enum values and union
members. `_SCHEMA` transcribes each table's fields in declaration order, which
fixes their vtable slots (a union takes two: its `_type`, then its value). A
field's kind is `str`, `[float]`, a table name, `[table name]`, an `_Enum`, a
`_Union` (names in declaration order, so index = value), a scalar's flatbuffers
flags, or `None` for a field this module neither writes nor reads.
"""

import io
import zipfile
from typing import NamedTuple

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as schema
from flatbuffers import number_types as N
from flatbuffers.table import Table

from keras_rnn_kit.utils.validation import check_choice
from keras_rnn_kit.utils.validation import check_positive_int

METADATA_NAME = "TFLITE_METADATA"
METADATA_IDENTIFIER = b"M001"
MODEL_IDENTIFIER = b"TFL3"
FILE_TYPES = (  # enum AssociatedFileType : byte
    "UNKNOWN",
    "DESCRIPTIONS",
    "TENSOR_AXIS_LABELS",
    "TENSOR_VALUE_LABELS",
    "TENSOR_AXIS_SCORE_CALIBRATION",
    "VOCABULARY",  # added in schema 1.0.1
)
COLOR_SPACES = ("UNKNOWN", "RGB", "GRAYSCALE")  # enum ColorSpaceType : byte


class _Enum(NamedTuple):
    flags: type
    names: tuple


class _Union(NamedTuple):
    members: tuple


_FILES = ["AssociatedFile"]
_SCHEMA = {
    "ModelMetadata": {
        "name": str, "description": str, "version": str,
        "subgraph_metadata": ["SubGraphMetadata"], "author": str, "license": str,
        "associated_files": _FILES, "min_parser_version": str,
    },
    "SubGraphMetadata": {
        "name": str, "description": str,
        "input_tensor_metadata": ["TensorMetadata"],
        "output_tensor_metadata": ["TensorMetadata"],
        "associated_files": _FILES,
        "input_process_units": None, "output_process_units": None,
        "input_tensor_groups": None, "output_tensor_groups": None,
    },
    "TensorMetadata": {
        "name": str, "description": str, "dimension_names": None,
        "content": "Content", "process_units": ["ProcessUnit"], "stats": "Stats",
        "associated_files": _FILES,
    },
    "AssociatedFile": {
        "name": str, "description": str,
        "type": _Enum(N.Int8Flags, FILE_TYPES), "locale": str,
    },
    "Content": {
        "content_properties_type": N.Uint8Flags,
        "content_properties": _Union((
            "NONE", "FeatureProperties", "ImageProperties", "BoundingBoxProperties",
        )),
        "range": None,
    },
    "FeatureProperties": {},
    "ImageProperties": {
        "color_space": _Enum(N.Int8Flags, COLOR_SPACES), "default_size": "ImageSize",
    },
    "ImageSize": {"width": N.Uint32Flags, "height": N.Uint32Flags},
    "ProcessUnit": {
        "options_type": N.Uint8Flags,
        "options": _Union((
            "NONE", "NormalizationOptions", "ScoreCalibrationOptions",
            "ScoreThresholdingOptions", "BertTokenizerOptions",
            "SentencePieceTokenizerOptions", "RegexTokenizerOptions",
        )),
    },
    "NormalizationOptions": {"mean": [float], "std": [float]},
    "Stats": {"max": [float], "min": [float]},
}  # fmt: skip
_MODEL_KEYS = ("name", "description", "version", "author", "license")
_TENSOR_LISTS = ("input_tensor_metadata", "output_tensor_metadata")
_TENSOR_KEYS = ("name", "description", "stats", "associated_files")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed: the same inputs give the same bytes


def _write(builder: flatbuffers.Builder, table: str, value: dict) -> int:
    """Writes `value`, a dict keyed by `_SCHEMA[table]` fields, as a table."""
    fields = _SCHEMA[table]
    refs, scalars = {}, {}
    for field, item in value.items():
        kind = fields[field]
        if kind is str:
            refs[field] = builder.CreateString(item)
        elif kind == [float]:
            refs[field] = builder.CreateNumpyVector(np.asarray(item, "<f4").ravel())
        elif isinstance(kind, list):
            tables = [_write(builder, kind[0], entry) for entry in item]
            builder.StartVector(4, len(tables), 4)
            for offset in reversed(tables):
                builder.PrependUOffsetTRelative(offset)
            refs[field] = builder.EndVector()
        elif isinstance(kind, _Union):
            ((member, body),) = item.items()
            refs[field] = _write(builder, member, body)
            scalars[f"{field}_type"] = kind.members.index(member)
        elif isinstance(kind, _Enum):
            scalars[field] = kind.names.index(item)
        elif isinstance(kind, str):
            refs[field] = _write(builder, kind, item)
        else:
            scalars[field] = item
    slots = list(fields)
    builder.StartObject(len(slots))
    for field, offset in refs.items():
        builder.PrependUOffsetTRelativeSlot(slots.index(field), offset, 0)
    for field, item in scalars.items():
        flags = getattr(fields[field], "flags", fields[field])
        builder.PrependSlot(flags, slots.index(field), item, 0)
    return builder.EndObject()


def _read(buf: bytes, pos: int, table: str) -> dict:
    """Reads the table at `pos` into a dict of its modelled fields that are set."""
    tab, value = Table(buf, pos), {}
    for slot, (field, kind) in enumerate(_SCHEMA[table].items()):
        offset = tab.Offset(4 + 2 * slot)
        at = tab.Pos + offset
        if isinstance(kind, _Enum):  # an unset scalar holds its default, 0
            number = tab.Get(kind.flags, at) if offset else 0
            value[field] = dict(enumerate(kind.names)).get(number, number)
        elif not offset or kind is None:
            continue
        elif kind is str:
            value[field] = tab.String(at).decode("utf-8")
        elif kind == [float]:
            value[field] = tab.GetVectorAsNumpy(N.Float32Flags, offset).tolist()
        elif isinstance(kind, list):
            start, length = tab.Vector(offset), tab.VectorLen(offset)
            value[field] = [
                _read(buf, tab.Indirect(start + 4 * i), kind[0]) for i in range(length)
            ]
        elif isinstance(kind, _Union):
            member = dict(enumerate(kind.members)).get(value.pop(f"{field}_type", 0))
            if member in _SCHEMA:
                value[field] = {member: _read(buf, tab.Indirect(at), member)}
        elif isinstance(kind, str):
            value[field] = _read(buf, tab.Indirect(at), kind)
        else:
            value[field] = tab.Get(kind, at)
    return value


def _check_keys(where: str, value, allowed, required=()) -> None:
    if not isinstance(value, dict):
        raise ValueError(f"`{where}` must be a dict, got {value!r}.")
    unknown = sorted(set(value) - set(allowed))
    missing = [key for key in required if key not in value]
    if unknown or missing:
        raise ValueError(
            f"`{where}` has unknown key(s) {unknown} and lacks {missing}; expected "
            f"keys among {sorted(allowed)}, with {list(required)} required."
        )


def _check_floats(where: str, values) -> int:
    try:
        return np.asarray(values, dtype="float32").ravel().size
    except (TypeError, ValueError):
        raise ValueError(
            f"`{where}` must be a list of numbers, got {values!r}."
        ) from None


def _check_files(where: str, files) -> list[str]:
    """Checks a list of associated-file dicts and returns their names."""
    if not isinstance(files, list):
        raise ValueError(f"`{where}` must be a list, got {files!r}.")
    for i, file in enumerate(files):
        at = f"{where}[{i}]"
        _check_keys(at, file, _SCHEMA["AssociatedFile"], ("name", "type"))
        if not isinstance(file["name"], str) or not file["name"]:
            raise ValueError(f"`{at}['name']` must be a non-empty string.")
        check_choice(f"{at}['type']", file["type"], FILE_TYPES)
    return [file["name"] for file in files]


def _check_tensor(where: str, tensor) -> list[str]:
    """Checks one tensor metadata dict and returns its associated file names."""
    _check_keys(where, tensor, (*_TENSOR_KEYS, "content", "normalization"))
    content = tensor.get("content", {"feature": {}})
    _check_keys(f"{where}['content']", content, ("feature", "image"))
    if len(content) != 1:
        raise ValueError(f"`{where}['content']` needs one key, got {list(content)}.")
    if "image" in content:
        image, at = content["image"], f"{where}['content']['image']"
        _check_keys(at, image, ("color_space", "width", "height"), ("color_space",))
        check_choice(f"{at}['color_space']", image["color_space"], COLOR_SPACES)
        for key in sorted({"width", "height"} & set(image)):
            check_positive_int(f"{at}[{key!r}]", image[key])
    else:
        _check_keys(f"{where}['content']['feature']", content["feature"], ())
    if "normalization" in tensor:
        norm, at = tensor["normalization"], f"{where}['normalization']"
        _check_keys(at, norm, ("mean", "std"), ("mean", "std"))
        sizes = [_check_floats(f"{at}[{key!r}]", norm[key]) for key in ("mean", "std")]
        if not sizes[0] or sizes[0] != sizes[1]:
            raise ValueError(
                f"`{at}` needs 'mean' and 'std' of one length, got {sizes}."
            )
    if "stats" in tensor:
        _check_keys(f"{where}['stats']", tensor["stats"], ("min", "max"))
        for key, values in tensor["stats"].items():
            _check_floats(f"{where}['stats'][{key!r}]", values)
    return _check_files(
        f"{where}['associated_files']", tensor.get("associated_files", [])
    )


def _check_metadata(metadata, inputs: list[str], outputs: list[str]) -> set[str]:
    """Validates `metadata` against subgraph 0 and returns the file names used."""
    _check_keys(
        "metadata", metadata, (*_MODEL_KEYS, *_TENSOR_LISTS, "associated_files")
    )
    names = _check_files(
        "metadata['associated_files']", metadata.get("associated_files", [])
    )
    for key, tensors in zip(_TENSOR_LISTS, (inputs, outputs), strict=True):
        entries = metadata.get(key, [])
        if not isinstance(entries, list) or len(entries) != len(tensors):
            got = len(entries) if isinstance(entries, list) else repr(entries)
            raise ValueError(
                f"`metadata[{key!r}]` must list one entry per {key.split('_')[0]} of "
                f"subgraph 0, in order: {len(tensors)} ({tensors}); received {got}."
            )
        for i, tensor in enumerate(entries):
            names += _check_tensor(f"metadata[{key!r}][{i}]", tensor)
    return set(names)


def _pick(value: dict, keys: tuple) -> dict:
    return {key: value[key] for key in keys if key in value}


def _tensor_to_fb(tensor: dict) -> dict:
    value = _pick(tensor, _TENSOR_KEYS)
    if "feature" in tensor.get("content", {}):
        value["content"] = {"content_properties": {"FeatureProperties": {}}}
    elif "content" in tensor:
        image = tensor["content"]["image"]
        properties = _pick(image, ("color_space",))
        if {"width", "height"} & set(image):
            properties["default_size"] = _pick(image, ("width", "height"))
        value["content"] = {"content_properties": {"ImageProperties": properties}}
    if "normalization" in tensor:
        options = {"NormalizationOptions": tensor["normalization"]}
        value["process_units"] = [{"options": options}]
    return value


def _tensor_from_fb(value: dict) -> dict:
    tensor = _pick(value, _TENSOR_KEYS)
    properties = value.get("content", {}).get("content_properties", {})
    if "FeatureProperties" in properties:
        tensor["content"] = {"feature": {}}
    if "ImageProperties" in properties:
        image = properties["ImageProperties"]
        found = {"color_space": image["color_space"], **image.get("default_size", {})}
        tensor["content"] = {"image": found}
    for unit in value.get("process_units", []):
        if "NormalizationOptions" in unit.get("options", {}):
            tensor["normalization"] = unit["options"]["NormalizationOptions"]
    return tensor


def _min_parser_version(metadata: dict) -> str:
    """tflite-support's rule (`cc/metadata_version.cc`) for the fields written here."""
    files = list(metadata.get("associated_files", []))
    for key in _TENSOR_LISTS:
        for tensor in metadata.get(key, []):
            files += tensor.get("associated_files", [])
    return "1.0.1" if any(f["type"] == "VOCABULARY" for f in files) else "1.0.0"


def _metadata_buffer(metadata: dict) -> bytes:
    """The `ModelMetadata` flatbuffer for `add_metadata`'s `metadata` dict."""
    value = _pick(metadata, (*_MODEL_KEYS, "associated_files"))
    value["subgraph_metadata"] = [
        {
            key: [_tensor_to_fb(t) for t in metadata.get(key, [])]
            for key in _TENSOR_LISTS
        }
    ]
    value["min_parser_version"] = _min_parser_version(metadata)
    builder = flatbuffers.Builder(1024)
    builder.Finish(_write(builder, "ModelMetadata", value), METADATA_IDENTIFIER)
    return bytes(builder.Output())


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _load_model(content: bytes) -> schema.Model:
    if len(content) < 8 or content[4:8] != MODEL_IDENTIFIER:
        raise ValueError(
            "`content` must be a .tflite flatbuffer (file identifier b'TFL3' at "
            f"bytes 4:8), got {bytes(content[4:8])!r}."
        )
    return schema.Model.GetRootAs(content, 0)


def add_metadata(
    content: bytes,
    metadata: dict,
    associated_files: dict[str, bytes] | None = None,
    overwrite: bool = False,
) -> bytes:
    """Returns `.tflite` bytes with TFLite Metadata and associated files added.

    The metadata flatbuffer goes into a new model buffer that `Model.metadata`
    names `TFLITE_METADATA` (the model is re-packed with LiteRT's schema) and the
    files are appended as an uncompressed ZIP archive, as tflite-support's
    `MetadataPopulator` does; the interpreter ignores both. `min_parser_version`
    follows tflite-support's rule for these fields: "1.0.1" when a file has type
    VOCABULARY, else "1.0.0".

    Args:
        content: a `.tflite` model.
        metadata: a dict with optional `name`, `description`, `version`,
            `author`, `license`, `associated_files` and, for subgraph 0,
            `input_tensor_metadata` / `output_tensor_metadata`: one dict per
            subgraph input / output, in order, with optional `name`,
            `description`, `content` (`{"feature": {}}` or `{"image":
            {"color_space": "RGB", "width": 224, "height": 224}}`, width and
            height optional), `normalization` (`{"mean": [...], "std": [...]}`),
            `stats` (`{"min": [...], "max": [...]}`; numbers stored as float32)
            and `associated_files`. A file is `{"name": ..., "type": ...}` with
            `type` one of `FILE_TYPES`, and optional `description`, `locale`.
        associated_files: `{name: bytes}`, exactly the files `metadata` names.
        overwrite: replace TFLITE_METADATA already in `content`. Files already
            appended to `content` are dropped either way.

    Returns:
        The new model bytes.

    Raises:
        ValueError: `content` is not a TFLite model or already holds metadata,
            `metadata` is malformed or does not match subgraph 0's inputs and
            outputs, or the named and the given associated files differ.

    Example:

    >>> import keras, os, tempfile
    >>> from keras_rnn_kit.export import export_tflite
    >>> inputs = keras.Input((None, 3), name="x")
    >>> model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    >>> path = export_tflite(model, os.path.join(tempfile.mkdtemp(), "m.tflite"))
    >>> labels = {"name": "labels.txt", "type": "TENSOR_AXIS_LABELS"}
    >>> content = add_metadata(
    ...     open(path, "rb").read(),
    ...     {"name": "demo", "input_tensor_metadata": [{"name": "x"}],
    ...      "output_tensor_metadata": [{"associated_files": [labels]}]},
    ...     {"labels.txt": b"no\\nyes\\n"},
    ... )
    >>> metadata, files = read_metadata(content)
    >>> metadata["name"], metadata["min_parser_version"], files["labels.txt"]
    ('demo', '1.0.0', b'no\\nyes\\n')
    """
    content = bytes(content)
    associated_files = dict(associated_files or {})
    model = _load_model(content)
    if model.SubgraphsLength() < 1:
        raise ValueError("`content` has no subgraph to describe.")
    graph = model.Subgraphs(0)
    inputs, outputs = (
        [_text(graph.Tensors(int(i)).Name()) for i in indices]
        for indices in (graph.InputsAsNumpy(), graph.OutputsAsNumpy())
    )
    names, given = _check_metadata(metadata, inputs, outputs), set(associated_files)
    if names != given:
        raise ValueError(
            f"`associated_files` must hold exactly the files `metadata` names, "
            f"{sorted(names)}; missing {sorted(names - given)}, not named "
            f"{sorted(given - names)}."
        )
    model_t = schema.ModelT.InitFromObj(model)
    model_t.buffers = list(model_t.buffers or [])
    entries = [m for m in model_t.metadata or [] if _text(m.name) == METADATA_NAME]
    if entries and not overwrite:
        raise ValueError(
            f"`content` already holds {METADATA_NAME}; pass `overwrite=True` to "
            "replace it and its associated files."
        )
    if any(buffer.offset > 1 for buffer in model_t.buffers):
        raise ValueError(
            "`content` keeps buffers outside the flatbuffer (a model over 2 GB); "
            "re-packing it is not supported."
        )
    buffer = schema.BufferT(np.frombuffer(_metadata_buffer(metadata), np.uint8))
    if entries:
        model_t.buffers[entries[0].buffer] = buffer
    else:
        model_t.buffers.append(buffer)
        entry = schema.MetadataT(METADATA_NAME, len(model_t.buffers) - 1)
        model_t.metadata = [*(model_t.metadata or []), entry]
    builder = flatbuffers.Builder(len(content) + 1024)
    builder.Finish(model_t.Pack(builder), MODEL_IDENTIFIER)
    out = io.BytesIO(bytes(builder.Output()))
    if associated_files:
        with zipfile.ZipFile(out, "a") as archive:  # ZipInfo: stored, not deflated
            for name, data in associated_files.items():
                archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_DATE), data)
    return out.getvalue()


def read_metadata(content: bytes) -> tuple[dict, dict[str, bytes]]:
    """Reads what `add_metadata` writes: the metadata dict and the appended files.

    Fields outside that subset (tensor groups, other process units, bounding
    boxes, ...) are skipped; only the first subgraph's metadata is read.

    Args:
        content: a `.tflite` model with TFLITE_METADATA.

    Returns:
        `(metadata, files)`: `metadata` in `add_metadata`'s format plus
        `min_parser_version`; `files` maps each archived file name to its bytes.

    Raises:
        ValueError: `content` is not a TFLite model or holds no TFLITE_METADATA.

    Example:

    >>> import keras, os, tempfile
    >>> from keras_rnn_kit.export import export_tflite
    >>> inputs = keras.Input((None, 3), name="x")
    >>> model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    >>> path = export_tflite(model, os.path.join(tempfile.mkdtemp(), "m.tflite"))
    >>> content = add_metadata(open(path, "rb").read(), {
    ...     "input_tensor_metadata": [{"stats": {"min": [0.0], "max": [1.5]}}],
    ...     "output_tensor_metadata": [{"content": {"feature": {}}}]})
    >>> read_metadata(content)[0]["input_tensor_metadata"]
    [{'stats': {'max': [1.5], 'min': [0.0]}}]
    """
    content = bytes(content)
    model = _load_model(content)
    indices = [
        model.Metadata(i).Buffer()
        for i in range(model.MetadataLength())
        if _text(model.Metadata(i).Name()) == METADATA_NAME
    ]
    if not indices:
        raise ValueError(f"`content` holds no {METADATA_NAME} metadata entry.")
    buf = model.Buffers(indices[0]).DataAsNumpy().tobytes()
    if buf[4:8] != METADATA_IDENTIFIER:
        raise ValueError(
            f"The {METADATA_NAME} buffer lacks the file identifier "
            f"{METADATA_IDENTIFIER!r} at bytes 4:8; got {buf[4:8]!r}."
        )
    value = _read(buf, int.from_bytes(buf[:4], "little"), "ModelMetadata")
    metadata = _pick(value, (*_MODEL_KEYS, "associated_files", "min_parser_version"))
    for subgraph in value.get("subgraph_metadata", [])[:1]:
        for key in _TENSOR_LISTS:
            metadata[key] = [_tensor_from_fb(t) for t in subgraph.get(key, [])]
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
    except zipfile.BadZipFile:
        files = {}
    return metadata, files
